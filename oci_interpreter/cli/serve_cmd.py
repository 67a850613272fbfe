"""`oci serve`: one model process shared by several terminals (llama-cpp-python's server)."""

from __future__ import annotations

import importlib.util
import os
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oci_interpreter.cli.environment import Environment, takes_environment
from oci_interpreter.cli.options import takes_settings
from oci_interpreter.core.errors import ExitStatus, MissingExtraError, ServerError, UsageError

if TYPE_CHECKING:
    import subprocess

_SERVER_MODULES = ("fastapi", "uvicorn", "sse_starlette", "starlette_context",
                   "pydantic_settings")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@takes_settings(("model", "n_ctx", "threads", "gpu_layers", "verbose"))
@takes_environment
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on. Anything but "
                                      "loopback lets other machines use the model: set an API "
                                      "key then.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8080,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> ExitStatus:
    """Serve a model over the OpenAI chat-completions API (llama-cpp-python's server), so
    several terminals share one loaded model: `oci chat --base-url http://HOST:PORT/v1`.

    Requests queue one after another (one model, one context). If the environment variable
    named by api_key_env (OCI_API_KEY) is set, every request must carry that key. For
    parallel requests, bigger models or GPUs, see docs/scale-out.md (llama-server, vLLM).
    Ctrl-C stops the server.
    """
    import subprocess

    from oci_interpreter.backend.serve import serve_command, server_env
    from oci_interpreter.core.store import resolve_model
    from oci_interpreter.ui.progress import byte_progress

    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(
            f"oci serve needs llama-cpp-python's server extra ({', '.join(missing)} missing)",
            "Install it: pip install 'oci-interpreter[server]'.")
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a port number", "Use 1-65535, e.g. 8080.")
    settings = env.settings(flags)
    _check_port(host, port)
    err = env.err
    with byte_progress(err, "preparing model", waiting="loading the model") as bar:
        resolved = resolve_model(settings.model, bar)
    key = env.environ.get(settings.api_key_env, "").strip()
    server_environ = server_env(env.environ, key)
    command = serve_command(str(resolved.path), settings, host, port, alias=resolved.name)
    url = f"http://{_url_host(host)}:{port}/v1"
    err.print(f"[bold]oci serve[/bold]: {resolved.name} at [cyan]{url}[/cyan] "
              f"(context {settings.n_ctx:,}; requests queue one at a time)",
              markup=True, highlight=False)
    if host not in _LOOPBACK and not key:
        err.print(f"[yellow]warning:[/yellow] listening on {host} without an API key: anyone "
                  f"who reaches this port can use the model (set {settings.api_key_env})",
                  markup=True, highlight=False)
    err.print(f"in another terminal: oci chat --base-url {url}    (Ctrl-C here stops it)",
              highlight=False, style="dim")
    proc = subprocess.Popen(command, env=server_environ, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        status = proc.wait()
    except KeyboardInterrupt:
        _stop(proc)
        err.print("stopped", style="dim")
        return ExitStatus.OK
    if status:
        raise ServerError(f"the model server exited with status {status}",
                          "See its messages above (a model it cannot load, a port taken).")
    return ExitStatus.OK


def _url_host(host: str) -> str:
    import socket

    if host in ("0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def _check_port(host: str, port: int) -> None:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == 98 or "in use" in str(exc):
                raise UsageError(f"port {port} on {host} is already in use",
                                 "Pick another with --port, or stop what listens there.") \
                    from None
            raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                             "Check --host (an address of this machine, e.g. 127.0.0.1).") \
                from None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server (its own process group: the terminal's Ctrl-C does not reach it)."""
    import signal

    for sig, wait_s in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
