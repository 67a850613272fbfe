"""Options shared by the commands that load a model."""

from __future__ import annotations

from typing import Annotated, Any

import typer

ModelOpt = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Catalog name (NAME[:QUANT]) or path to a .gguf file.",
                 show_default=False),
]
NCtxOpt = Annotated[
    int | None, typer.Option("--n-ctx", help="Context window in tokens [default: 8192].",
                             show_default=False)
]
ThreadsOpt = Annotated[
    int | None, typer.Option("--threads", help="CPU threads [default: physical cores].",
                             show_default=False)
]
GpuLayersOpt = Annotated[
    int | None,
    typer.Option("--gpu-layers", help="Layers to offload to the GPU (-1 all, 0 none) "
                 "[default: all when llama.cpp was built with GPU support].", show_default=False),
]
TemperatureOpt = Annotated[
    float | None, typer.Option("--temperature", "-t", help="Sampling temperature [default: 0].",
                               show_default=False)
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Sampling seed.", show_default=False)]
MaxTokensOpt = Annotated[
    int | None, typer.Option("--max-tokens", help="Longest reply in tokens [default: 1024].",
                             show_default=False)
]
VerboseOpt = Annotated[
    bool | None, typer.Option("--verbose/--quiet", help="Show llama.cpp's own log.",
                              show_default=False)
]


def overrides(**values: Any) -> dict[str, Any]:
    """Flags given on the command line (None = not given)."""
    return {k: v for k, v in values.items() if v is not None}
