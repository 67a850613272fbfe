"""`oci chat`."""

from __future__ import annotations

import sys

from oci_cli.cli.options import (
    GpuLayersOpt,
    MaxTokensOpt,
    ModelOpt,
    NCtxOpt,
    SeedOpt,
    TemperatureOpt,
    ThreadsOpt,
    VerboseOpt,
    overrides,
)


def chat(
    model: ModelOpt = None,
    n_ctx: NCtxOpt = None,
    threads: ThreadsOpt = None,
    gpu_layers: GpuLayersOpt = None,
    temperature: TemperatureOpt = None,
    seed: SeedOpt = None,
    max_tokens: MaxTokensOpt = None,
    verbose: VerboseOpt = None,
) -> None:
    """Chat with the model in the terminal. Ctrl-C stops a reply; Ctrl-D or /exit leaves.

    The model is the one given by --model, else OCI_MODEL, else `model` in the config file,
    else the best model present in the store, else the embedded default.
    """
    from oci_cli.backend.base import GenerationOptions
    from oci_cli.backend.loader import load_backend
    from oci_cli.core.config import load_settings
    from oci_cli.ui.chat import plain_input, run_chat, terminal_input
    from oci_cli.ui.console import err_console, make_console
    from oci_cli.ui.progress import byte_progress

    settings = load_settings(overrides(
        model=model, n_ctx=n_ctx, threads=threads, gpu_layers=gpu_layers,
        temperature=temperature, seed=seed, max_tokens=max_tokens, verbose=verbose,
    )).settings
    err = err_console()
    with byte_progress(err, "preparing model") as progress:
        backend = load_backend(settings, progress)
    try:
        console = make_console()
        interactive = sys.stdin.isatty()
        read = terminal_input() if interactive else plain_input
        options = GenerationOptions(temperature=settings.temperature, seed=settings.seed,
                                    max_tokens=settings.max_tokens)
        status = run_chat(backend, console, read, options)
    finally:
        backend.close()
    if status:
        raise SystemExit(status)
