"""The world a command runs in, as one object (httpie's ``Environment``).

``main_with_status`` makes one :class:`Environment` per invocation and hands it to the
command (``@takes_environment`` gives the command an ``env`` argument); a command reads
and writes only through it: its streams, whether each is a terminal, the consoles made
for them, the settings (with the command's flags) and the model loader. Nothing else
asks a stream whether it is a terminal, so a test can give a command any world it likes
(``Environment(stdin=..., stdout_isatty=True, load_backend=...)``) without patching
``sys``. The ``ui`` modules keep taking what they are given (a console, a flag).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from oci_interpreter.backend.base import Backend
    from oci_interpreter.core.config import LoadedSettings, Settings

ModelLoader = Callable[..., "Backend"]
"""``(settings, progress) -> Backend``: backend/loader.load_backend, or a test's own."""


def is_terminal(stream: Any) -> bool:
    """``stream.isatty()``; False for a stream that has no such method or is closed."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def is_data(stream: Any) -> bool:
    """The stream is a pipe or a file: data piped in (not a terminal, not /dev/null, not
    closed, not an in-memory stream)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError, TypeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


class Environment:
    """Streams, terminal flags, consoles, settings and the model loader of one command.

    Every argument defaults to the real thing (``sys.stdin``..., each stream's own
    ``isatty()``, ``os.environ``, backend/loader.load_backend); the flags are computed
    once, here, and only here."""

    def __init__(self, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 stderr: TextIO | None = None, stdin_isatty: bool | None = None,
                 stdout_isatty: bool | None = None, stderr_isatty: bool | None = None,
                 stdin_is_data: bool | None = None, environ: Mapping[str, str] | None = None,
                 load_backend: ModelLoader | None = None, traceback: bool = False) -> None:
        self.stdin: TextIO = sys.stdin if stdin is None else stdin
        self.stdout: TextIO = sys.stdout if stdout is None else stdout
        self.stderr: TextIO = sys.stderr if stderr is None else stderr
        self.stdin_isatty = is_terminal(self.stdin) if stdin_isatty is None else stdin_isatty
        self.stdout_isatty = (is_terminal(self.stdout) if stdout_isatty is None
                              else stdout_isatty)
        self.stderr_isatty = (is_terminal(self.stderr) if stderr_isatty is None
                              else stderr_isatty)
        self.stdin_is_data = is_data(self.stdin) if stdin_is_data is None else stdin_is_data
        """Stdin is a pipe or a file: data for the program (`cat data.csv | oci run ...`)."""
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        """The variables the settings read (``OCI_*``)."""
        self._load_backend = load_backend
        self.traceback = traceback
        """Show the full traceback of an error (``--traceback``)."""
        self.loaded: LoadedSettings | None = None
        """The settings last loaded, with where each value came from."""

    @property
    def interactive(self) -> bool:
        """Someone at a terminal: stdin and stdout are both terminals."""
        return self.stdin_isatty and self.stdout_isatty

    # ------------------------------------------------------------ consoles --

    @cached_property
    def console(self) -> Console:
        """The console for stdout (results, tables, the chat)."""
        from oci_interpreter.ui.console import make_console

        return make_console(self.stdout, terminal=self.stdout_isatty)

    @cached_property
    def err(self) -> Console:
        """The console for stderr (progress, notes, errors)."""
        from oci_interpreter.ui.console import make_console

        return make_console(self.stderr, terminal=self.stderr_isatty)

    def print_json(self, data: Any, *, indent: int | None = None,
                   ascii_only: bool = False) -> None:
        """``--json``: ``data`` as JSON and a newline on stdout (:func:`json_text`)."""
        self.stdout.write(json_text(data, indent=indent, ascii_only=ascii_only) + "\n")
        self.stdout.flush()

    # ---------------------------------------------------- settings, model --

    def load_settings(self, flags: Mapping[str, Any] | None = None) -> LoadedSettings:
        """Defaults < config file < ``OCI_*`` < ``flags`` (core/config.py), kept as
        :attr:`loaded`."""
        from oci_interpreter.core.config import load_settings

        self.loaded = load_settings(flags, self.environ)
        return self.loaded

    def settings(self, flags: Mapping[str, Any] | None = None) -> Settings:
        """The settings a command runs with (:meth:`load_settings`)."""
        return self.load_settings(flags).settings

    def load_model(self, settings: Settings, *, note: bool = True) -> Backend:
        """The model ``settings`` name (assembled, verified, loaded), with a progress bar
        on stderr; ``note``: say what the backend wants said about itself."""
        from oci_interpreter.ui.progress import byte_progress

        load = self._load_backend
        if load is None:
            from oci_interpreter.backend import loader

            load = loader.load_backend
        with byte_progress(self.err, "preparing model", waiting="loading the model") as bar:
            backend = load(settings, bar)
        if note and backend.info.note:
            self.err.print(f"[yellow]{backend.info.note}[/yellow]", highlight=False)
        return backend

    def say_containment(self, settings: Settings) -> None:
        """Probe the sandbox and say, once, what it cannot enforce here (if anything)."""
        from oci_interpreter.sandbox import containment
        from oci_interpreter.ui.execution import print_note

        contained = containment.probe(settings.sandbox)
        # Without namespaces nothing is isolated, network or not: say so whatever was asked.
        if not settings.allow_network or not contained.pid_namespace:
            print_note(self.err, contained.note)


# ------------------------------------------------------------------- JSON --

_SURROGATE = re.compile("[\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    # A byte that was not UTF-8 (os.fsdecode keeps it as U+DC80..U+DCFF): shown as \xff.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _utf8(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub(_visible, value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_utf8(k): _utf8(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_utf8(v) for v in value]
    return value


def json_text(data: Any, *, indent: int | None = None, ascii_only: bool = False) -> str:
    """``data`` as JSON that is always valid UTF-8: a file name that is not UTF-8
    (``b"\\xff.txt"``) holds lone surrogates, which would be written as raw bytes or fail
    on a strict UTF-8 stdout; they become the text ``\\xff``. ``ascii_only``: every
    character beyond ASCII escaped (``\\u00e9``), as `oci config show` and `oci models`
    print it."""
    if ascii_only:
        return json.dumps(data, indent=indent)
    return json.dumps(_utf8(data), ensure_ascii=False, indent=indent)


# ----------------------------------------------------- handing it over --

F = TypeVar("F", bound=Callable[..., Any])
_CONTEXT = "oci_context"


def _is_context(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, typer.Context)


def environment_of(ctx: typer.Context | None) -> Environment:
    """The invocation's :class:`Environment`: the one ``main_with_status`` put in the
    context, else a new one for the real process (a command called some other way)."""
    if ctx is None:
        return Environment()
    return ctx.ensure_object(Environment)


def takes_environment(func: F) -> F:
    """Give a Typer command the invocation's :class:`Environment` as its ``env`` argument.

    Typer sees a context parameter instead (the command's own ``typer.Context`` where it
    has one); the environment is the context's object, which ``main_with_status`` sets.
    A caller may pass ``env=`` itself (``oci`` without a command invokes the chat so)."""
    signature = inspect.signature(func, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "env"]
    own = next((p.name for p in params if _is_context(p.annotation)), None)
    if own is None:
        params.insert(0, inspect.Parameter(_CONTEXT, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                           annotation=typer.Context))

    @functools.wraps(func)
    def command(*args: Any, env: Environment | None = None, **kwargs: Any) -> Any:
        ctx = kwargs.pop(_CONTEXT, None) if own is None else kwargs.get(own)
        return func(*args, env=env if env is not None else environment_of(ctx), **kwargs)

    command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {k: v for k, v in func.__annotations__.items() if k != "env"}
    return command  # type: ignore[return-value]
