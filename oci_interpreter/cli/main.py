"""The ``oci`` command: Typer app and the error boundary.

:func:`main_with_status` makes the invocation's :class:`Environment` (streams, terminal
flags, consoles, settings, the model loader: cli/environment.py) and hands it to the
command through Typer's context; the command returns its :class:`ExitStatus`, and every
exception meets here and becomes one line and a status. Heavy modules (llama_cpp,
huggingface_hub, prompt_toolkit) are imported inside the commands that need them, so
``oci --help`` stays instant.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated, Any

import typer

from oci_interpreter import __version__
from oci_interpreter.cli.environment import Environment, environment_of
from oci_interpreter.core.errors import ExitStatus, OciError

app = typer.Typer(
    name="oci",
    help=(
        "oci: a local code interpreter. A quantized code model (GGUF, llama.cpp) writes code, "
        "oci runs it under limits and feeds the result back, round after round.\n\n"
        "Run `oci chat` to start (plain `oci` on a terminal does the same)."
    ),
    no_args_is_help=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

def _version(value: bool) -> None:
    if value:
        typer.echo(f"oci {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the full traceback of an error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> ExitStatus:
    env = environment_of(ctx)
    env.traceback = traceback
    if ctx.invoked_subcommand is None:
        if env.interactive:
            from oci_interpreter.cli.chat import chat

            return ctx.invoke(chat, env=env)
        typer.echo(ctx.get_help(), file=env.stdout)
    return ExitStatus.OK


_PLACEHOLDERS = {"<str>": "TEXT", "<int>": "N", "<float>": "NUMBER", "<path>": "PATH",
                 "<file>": "FILE", "<dir>": "DIR", "<list[str]>": "TEXT..."}


def _plain_help_types() -> None:
    """Help without ``<bool>`` after flags and with one placeholder style (``TEXT``,
    ``N``, ``PATH``) instead of Typer's ``<str>``, ``<int>``, ``<path>``."""
    try:
        from typer import core
    except ImportError:  # pragma: no cover
        return
    for cls_name in ("TyperOption", "TyperArgument"):
        cls = getattr(core, cls_name, None)
        original = getattr(cls, "display_type_rich", None)
        if cls is None or original is None:
            continue

        def display(self: Any, ctx: Any, _original: Any = original) -> str | None:
            if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False):
                return None
            shown = _original(self, ctx)
            return _PLACEHOLDERS.get(shown, shown) if isinstance(shown, str) else shown

        cls.display_type_rich = display


def _register() -> None:
    from oci_interpreter.cli import (
        bench_cmd,
        chat,
        config_cmd,
        exec_cmd,
        fix_cmd,
        models,
        run_cmd,
        serve_cmd,
    )

    app.command("chat")(chat.chat)
    app.command("run")(run_cmd.run)
    app.command("fix")(fix_cmd.fix)
    app.command("exec")(exec_cmd.exec_)
    app.add_typer(models.app, name="models")
    app.add_typer(config_cmd.app, name="config")
    app.add_typer(bench_cmd.app, name="bench")
    app.command("serve")(serve_cmd.serve)


_plain_help_types()
_register()


def _print_error(env: Environment, message: str) -> None:
    env.err.print(f"[bold red]oci:[/bold red] {message}", markup=True, highlight=False,
                  soft_wrap=True)


def _escape(text: str) -> str:
    """An error's text (it may quote a file name or a program's words) as one line, no
    markup."""
    from rich.markup import escape

    from oci_interpreter.ui.console import one_line

    return escape(one_line(" ".join(text.split())))


def _stdout_identity() -> tuple[int, int] | None:
    try:
        info = os.fstat(1)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _reader_left(stdout_was: tuple[int, int] | None) -> bool:
    """The reader of our stdout went away and Rich (Typer's help, our consoles) answered
    as it does: stdout made /dev/null, then ``SystemExit(1)``."""
    now = _stdout_identity()
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return now != stdout_was and now == (null.st_dev, null.st_ino)


def entry(argv: list[str] | None = None) -> None:
    """Console-script entry point (`oci`, `opencodeinterpreter`): run the app, exit with
    the status an error maps to. A reader that leaves early (`oci models list | head -1`)
    is not an error: whatever could not be written is dropped, the status stays."""
    status = main_with_status(argv)
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(status)


try:  # Typer >= 0.20 ships its own copy of click
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older Typer on top of click
    from click import exceptions as _cx  # type: ignore[no-redef]

_NoArgsIsHelp: type[Exception] = (
    getattr(_cx, "NoArgsIsHelpError", None) or getattr(_cx, "NoArgsIsHelp")  # noqa: B009
)


def _tolerant_streams(env: Environment) -> None:
    """In a non-UTF-8 locale, print what the encoding lacks as ``?`` instead of crashing
    (model text, program output and our own symbols may be any Unicode)."""
    for stream in (env.stdout, env.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if encoding and encoding != "utf8" and reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="replace")


def main_with_status(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run ``oci`` with ``argv`` (default: the process's) in ``env`` (default: the real
    process's streams and variables); the exit status the command returned, or the one
    its error maps to (docs/usage.md)."""
    args = sys.argv[1:] if argv is None else argv
    env = env if env is not None else Environment()
    stdout_was = _stdout_identity()
    _tolerant_streams(env)
    env.traceback = "--traceback" in args or env.environ.get("OCI_TRACEBACK") == "1"
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="oci", standalone_mode=False, obj=env)
        return int(result) if isinstance(result, int) else 0
    except OciError as exc:
        if env.traceback:
            import traceback

            traceback.print_exc()
        _print_error(env, _escape(exc.one_line()))
        return int(exc.exit_code)
    except _NoArgsIsHelp:  # the help was already printed
        return int(ExitStatus.USAGE)
    except _cx.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "oci"
        _print_error(env, _escape(f"{exc.format_message()} (see `{where} --help`)"))
        return int(ExitStatus.USAGE)
    except typer.Exit as exc:  # --version, --help
        return int(exc.exit_code)
    except SystemExit as exc:  # not oci's (its commands return their status): a library's
        if exc.code == 1 and _reader_left(stdout_was):
            return int(ExitStatus.OK)  # Rich's own answer to a closed pipe is exit 1: ours, 0
        return exc.code if isinstance(exc.code, int) else int(ExitStatus.ERROR)
    except (typer.Abort, KeyboardInterrupt):
        _print_error(env, "interrupted")
        return int(ExitStatus.INTERRUPTED)
    except _cx.ClickException as exc:
        _print_error(env, _escape(exc.format_message()))
        return int(exc.exit_code)
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `oci models list | head`).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, env.stdout.fileno())
        return int(ExitStatus.OK)
    except Exception as exc:  # a bug: one line, and the traceback on request
        if env.traceback:
            raise
        _print_error(
            env, _escape(f"internal error: {type(exc).__name__}: {exc}. "
                         "Run again with --traceback and report it.")
        )
        return int(ExitStatus.ERROR)
