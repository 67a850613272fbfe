"""`oci exec`: run a script under the sandbox's limits, as the model's code would run."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oci_interpreter.cli.environment import Environment, takes_environment
from oci_interpreter.cli.options import (
    SANDBOX,
    takes_settings,
    working_dir,
)
from oci_interpreter.core.errors import ExitStatus, UsageError

if TYPE_CHECKING:
    from oci_interpreter.sandbox.limits import ExecResult


def exit_status(result: ExecResult) -> int:
    """`oci exec`'s exit status: 130 after Ctrl-C, else the program's own (128 + N when
    signal N ended it), as the shell would report it (0-255)."""
    if result.interrupted:
        return ExitStatus.INTERRUPTED
    code = result.exit_code if result.exit_code >= 0 else 128 - result.exit_code
    return code & 0xFF


@takes_settings(SANDBOX)
@takes_environment
def exec_(
    file: Annotated[str, typer.Argument(help="Python file to run, or - to read the code "
                                        "from stdin.", show_default=False, metavar="FILE")],
    args: Annotated[list[str] | None, typer.Argument(help="Arguments for the program "
                                                     "(put -- before them).",
                                                     show_default=False,
                                                     metavar="ARGS")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the "
                                          "result instead of the live output.")] = False,
    cwd: Annotated[Path | None, typer.Option("--cwd", help="Working directory [default: the "
                                             "current one].", show_default=False)] = None,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> int:
    """Run a Python script in the sandbox, under the same limits as the model's code.

    Stdin is what you pipe in (`echo Bob | oci exec inp.py`), else empty; the environment
    is scrubbed of secrets, the network is off, and
    every process the script starts is gone when it ends. It writes a copy-on-write view
    of the working directory (under bubblewrap or unshare): when it ends, what it created,
    changed and deleted is applied and listed, except what could run code later (.git,
    virtualenvs, node_modules, links: listed as "not applied"). Exit status: the
    program's own; 128 + N when signal N ended it (137 when oci killed it for a limit, 152
    for the CPU limit); 130 after Ctrl-C.
    """
    from oci_interpreter.cli.piped import MAX_PIPED_BYTES, piped_data
    from oci_interpreter.sandbox.capture import ELIDED
    from oci_interpreter.sandbox.limits import Limits
    from oci_interpreter.sandbox.runner import run_program
    from oci_interpreter.ui.execution import LiveOutput, status_text

    settings = env.settings(flags)
    limits = Limits.from_settings(settings)
    code = path = None
    if file == "-":
        if env.stdin_isatty:
            raise UsageError("oci exec - reads the program from stdin, but stdin is a terminal",
                             "Pipe the code in, e.g. echo 'print(1)' | oci exec -")
        code = env.stdin.read()
    else:
        path = Path(file)
        if not path.exists():
            raise UsageError(f"{file}: no such file", "Check the path.")
        if not path.is_file():
            raise UsageError(f"{file} is not a file", "Give a Python script.")
        from oci_interpreter.core.sourcefile import not_python

        try:
            with path.open("rb") as f:
                why = not_python(path, f.read(65536))
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror}", "Check the path.") from None
        if why is not None:
            raise UsageError(why, "oci exec runs Python scripts; run other programs "
                             "yourself, or name a Python script NAME.py.")
    workdir = working_dir(cwd)
    err = env.err
    env.say_containment(settings)
    live = None if as_json else LiveOutput(env.stdout, env.stderr,
                                           out_terminal=env.stdout_isatty,
                                           err_terminal=env.stderr_isatty)
    # `echo Bob | oci exec inp.py`: what is piped in is the script's stdin.
    with piped_data(env=env) if path is not None else contextlib.nullcontext() as piped:
        if piped is not None and piped.cut:
            err.print(f"[yellow]stdin: only the first {MAX_PIPED_BYTES // 2**20} MiB reach "
                      "the script[/yellow]")
        result = run_program(code=code, path=path, args=args or [], cwd=workdir,
                             limits=limits, sandbox=settings.sandbox, python=settings.python,
                             on_output=live, filename="<stdin>" if code is not None else None,
                             stdin_file=piped.path if piped is not None else None)
    if as_json:
        env.print_json(result.to_dict())
    else:
        # The head was shown live; show the elision marker and the kept tail too.
        for name in ("stdout", "stderr"):
            text = getattr(result, name)
            cut = text.find(ELIDED)
            if cut >= 0 and live is not None:
                live(name, text[cut:])
        if live is not None and not live.ends_line:
            env.stderr.write("\n")
        err.print(status_text(result, workdir.resolve()))
    return exit_status(result)
