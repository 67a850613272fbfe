"""Options shared by the commands that load a model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oci_interpreter.core.errors import UsageError

ModelOpt = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Catalog name (NAME[:QUANT]) or path to a .gguf file.",
                 show_default=False),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="Use the model of an OpenAI-compatible server (llama-server, "
                 "vLLM, Ollama, `oci serve`) instead of a local one, e.g. "
                 "http://127.0.0.1:8080/v1. API key: $OCI_API_KEY.", show_default=False),
]
ServerModelOpt = Annotated[
    str | None,
    typer.Option("--server-model", help="Model name on the server [default: the first it "
                 "lists].", show_default=False),
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


# The sandbox's limits (every command that runs code takes them; see docs/security.md).
TimeoutOpt = Annotated[
    float | None, typer.Option("--timeout", help="Wall-clock seconds per program or cell "
                               "[default: 30].", show_default=False)
]
CpuOpt = Annotated[
    float | None, typer.Option("--cpu", help="CPU seconds [default: timeout + 1].",
                               show_default=False)
]
MemoryOpt = Annotated[
    str | None, typer.Option("--memory", help="Memory, e.g. 512M or 2G [default: 1G].",
                             show_default=False)
]
MaxProcessesOpt = Annotated[
    int | None, typer.Option("--max-processes", help="Processes at once [default: 64].",
                             show_default=False)
]
MaxFileSizeOpt = Annotated[
    str | None, typer.Option("--max-file-size", help="Largest file written [default: 256M].",
                             show_default=False)
]
MaxOpenFilesOpt = Annotated[
    int | None, typer.Option("--max-open-files", help="Open files [default: 256].",
                             show_default=False)
]
MaxOutputOpt = Annotated[
    str | None, typer.Option("--max-output", help="Output kept per stream, head and tail "
                             "[default: 1M].", show_default=False)
]
AllowHomeOpt = Annotated[
    bool | None, typer.Option("--allow-home", help="Run programs with your home directory "
                              "itself as the working directory (refused otherwise: a program "
                              "could change your shell's startup files).", show_default=False)
]
AllowNetworkOpt = Annotated[
    bool | None, typer.Option("--allow-network/--no-network",
                              help="Let programs use the network [default: no].",
                              show_default=False)
]
SandboxOpt = Annotated[
    str | None, typer.Option("--sandbox", help="Containment: auto, bwrap, unshare or none "
                             "[default: auto].", show_default=False)
]
PythonOpt = Annotated[
    str | None, typer.Option("--python", help="Interpreter for programs [default: the one "
                             "running oci].", show_default=False)
]


def overrides(**values: Any) -> dict[str, Any]:
    """Flags given on the command line (None = not given)."""
    return {k: v for k, v in values.items() if v is not None}


# The refine loop.
RoundsOpt = Annotated[
    int | None, typer.Option("--rounds", "-r", help="Execution rounds at most [default: 3].",
                             show_default=False)
]
StrategyOpt = Annotated[
    str | None, typer.Option("--strategy", help="After a failed run: conversation (append the "
                             "result) or fresh (restate it in a new short context) "
                             "[default: conversation].", show_default=False)
]
CandidatesOpt = Annotated[
    int | None, typer.Option("--candidates", help="Programs tried per failed round; extra ones "
                             "are sampled [default: 3].", show_default=False)
]


# Where programs run.
CwdOpt = Annotated[
    Path | None, typer.Option("--cwd", help="Directory the programs run in [default: the "
                              "current one].", show_default=False)
]


def working_dir(cwd: Path | None) -> Path:
    """``--cwd`` (or the current directory), which must exist."""
    workdir = (cwd or Path.cwd()).expanduser()
    if not workdir.is_dir():
        raise UsageError(f"--cwd {workdir}: no such directory", "Create it first.")
    return workdir
