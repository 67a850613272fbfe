"""How `oci serve` starts llama-cpp-python's OpenAI-compatible server for a model: its
command line and its environment. (The client side, oci talking to any such server, is
server.py.)"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from oci_interpreter.core.config import Settings


def serve_command(model_path: str, settings: Settings, host: str, port: int,
                  alias: str | None = None) -> list[str]:
    """The command line of llama-cpp-python's OpenAI-compatible server for a model.

    Requests queue instead of interrupting each other (its default interrupts a stream
    when the next request arrives, which would cut replies short under ``--jobs``).
    """
    import psutil

    from oci_interpreter.backend.llama import use_mmap_for

    threads = settings.threads or psutil.cpu_count(logical=False) or os.cpu_count() or 1
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", model_path,
        "--host", host, "--port", str(port),
        "--n_ctx", str(settings.n_ctx),
        "--n_threads", str(threads), "--n_threads_batch", str(threads),
        "--n_gpu_layers", str(settings.gpu_layers),
        "--flash_attn", str(settings.flash_attn),
        "--use_mmap", str(use_mmap_for(settings)),
        "--interrupt_requests", "False",
        "--verbose", str(settings.verbose),
    ]
    if alias:
        command += ["--model_alias", alias]
    return command


# llama-cpp-python's server reads HOST, PORT and CONFIG_FILE from the environment over its
# command line, and any of its settings (API_KEY, MODEL, N_CTX, ...) where no flag is given.
_SERVER_ENV = ("HOST", "PORT", "CONFIG_FILE", "API_KEY")


def server_env(environ: Mapping[str, str], key: str) -> dict[str, str]:
    """The server's environment: the user's, without variables that would override what
    `oci serve` asked for, and the API key (never on the command line, where `ps` shows it)."""
    env = {k: v for k, v in environ.items() if k.upper() not in _SERVER_ENV}
    if key:
        env["API_KEY"] = key
    return env
