"""`oci fix`: repair a failing script, verified by running it, written back safely."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from oci_interpreter.cli.options import (
    LOOP,
    MODEL,
    SANDBOX,
    takes_settings,
)
from oci_interpreter.core.errors import ExitStatus, UsageError

MAX_FILE_BYTES = 512 * 1024
"""Refused before loading a model; the model's context usually allows much less."""


@takes_settings(LOOP, MODEL, SANDBOX)
def fix(
    file: Annotated[Path, typer.Argument(help="The Python script to repair.",
                                         show_default=False, metavar="FILE")],
    args: Annotated[list[str] | None, typer.Argument(help="Arguments for the script (put -- "
                                                     "before them).", show_default=False,
                                                     metavar="ARGS")] = None,
    test: Annotated[str | None, typer.Option("--test", help="A command that must exit 0 with "
                                             "the fixed file in place, e.g. \"pytest -q "
                                             "tests/test_x.py\" (run in a copy of the "
                                             "current directory).",
                                             show_default=False)] = None,
    message: Annotated[str | None, typer.Option("--message", "-m", help="What the script does "
                                                "wrong, in words (\"the total should include "
                                                "the 8% tax\"); - reads it from stdin. The "
                                                "model turns it into a check you see first; "
                                                "the fix must pass it.",
                                                show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Write the fix without asking (and "
                                      "accept the check written from -m).")] = False,
    diff_only: Annotated[bool, typer.Option("--diff", help="Print the diff and write "
                                            "nothing (also --dry-run).")] = False,
    # Typer's help joins an option's names without a space ("--diff,--dry-run"): the
    # synonym is an option of its own, named in --diff's help.
    dry_run: Annotated[bool, typer.Option("--dry-run", hidden=True)] = False,
    no_backup: Annotated[bool, typer.Option("--no-backup", help="Do not keep FILE.orig.")
                         ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the "
                                          "outcome (implies no question: combine with --yes "
                                          "to write).")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="Show the rounds on stderr [default: "
                                                  "when stderr is a terminal].",
                                                  show_default=False)] = None,
    *,
    flags: dict[str, Any],
) -> None:
    """Repair FILE: run it, show the model the failure, run each corrected version as a
    temporary copy until one works, then show the diff and write it (asking first).

    A fix counts only on evidence, which the last line names: the --test command passes,
    the check written from -m passes, or the code of the original traceback runs without
    the error; a candidate that deletes or silences the failing code is refused. Nothing
    is written without --yes or a "y" at the prompt; --diff only shows it. The write is
    atomic, keeps the file's encoding, newlines and mode, and keeps a backup (FILE.orig).
    Exit status: 0 fixed (or nothing to fix), 1 not fixed, 2 usage error, 7 it runs now but
    nothing checked what it does, 130 interrupted.
    """
    from oci_interpreter.agent.fix import FixJob
    from oci_interpreter.cli.common import prepare_backend, say_containment
    from oci_interpreter.core.config import load_settings
    from oci_interpreter.ui.console import err_console
    from oci_interpreter.ui.execution import status_text
    from oci_interpreter.ui.loop_view import LoopView, is_terminal, print_diff

    diff_only = diff_only or dry_run
    if diff_only and yes:
        raise UsageError("--diff writes nothing and --yes writes without asking",
                         "Pick one.")
    if message is not None and test is not None:
        raise UsageError("-m and --test are two ways to say what is right", "Give one.")
    description = _description(message)
    settings = load_settings(flags).settings
    job = FixJob(file.expanduser().absolute(), list(args or []), settings, test=test,
                 max_bytes=MAX_FILE_BYTES, label=_label(file))
    err = err_console()
    say_containment(err, settings)
    show = is_terminal(sys.stderr) if progress is None else progress
    view = LoopView(err, stream_text=False, rounds=settings.rounds) if show else None

    if view is not None:
        err.print(f"[bold]running[/bold] {_escape(job.command)}", highlight=False)
    first = job.run_original(on_output=view.output if view else None)
    if view is not None:
        view.finish_output()
        err.print(status_text(first))
    if first.interrupted:
        raise SystemExit(int(ExitStatus.INTERRUPTED))
    if first.ok and description is None:
        what = "the test passes" if test is not None else f"{file} runs without error"
        if as_json:
            _print_json(job.nothing_to_fix(first).to_dict())
        else:
            err.print(f"[green]✓[/green] {_escape(what)}: nothing to fix (if it does the "
                      "wrong thing, say what with -m).", highlight=False)
        return

    backend = prepare_backend(err, settings)
    try:
        if description is not None:
            first = _agree_on_a_check(job, backend, description, err, yes=yes, view=view)
            if first.ok:
                err.print(f"[yellow]your check passes on {_escape(str(file))} as it is, so it "
                          "does not show the problem; nothing changed[/yellow] (describe it "
                          "differently, or give --test)", highlight=False)
                raise SystemExit(1)
        outcome = job.repair(backend, first, on_event=view,
                             on_output=view.output if view else None)
    finally:
        backend.close()

    if outcome.cancelled:
        if as_json:
            _print_json(outcome.to_dict())
        err.print(f"[yellow]interrupted: {_escape(str(file))} is unchanged.[/yellow]")
        raise SystemExit(int(ExitStatus.INTERRUPTED))
    if not outcome.fixed:
        if as_json:
            _print_json(outcome.to_dict())
        else:
            if outcome.diff:
                err.print("[bold]best attempt[/bold] (not written):")
                print_diff(err, outcome.diff)
            for item in outcome.rejected:
                err.print(f"  round {item['round']}: ran cleanly but refused: "
                          f"{_escape(item['why'])}", highlight=False, style="yellow")
            message = outcome.stopped.message if outcome.stopped else "no fix"
            err.print(f"[bold red]✗[/bold red] could not fix {_escape(str(file))}: "
                      f"{_escape(message)}. The file is unchanged.", highlight=False)
            if outcome.hint:
                err.print(f"  next: {_escape(outcome.hint)}", style="dim", highlight=False)
        raise SystemExit(1)
    if not outcome.diff:
        if as_json:
            _print_json(outcome.to_dict())
        else:
            err.print("[green]✓[/green] it passes now without changes (a flaky failure?); "
                      "nothing written.", highlight=False)
        return
    if not as_json:
        print_diff(_stdout_console(), outcome.diff)
    write = yes
    if not yes and not diff_only and not as_json and sys.stdin.isatty():
        from oci_interpreter.ui.console import one_line

        name = one_line(str(file))  # the prompt is not Rich's: no markup to escape
        note = f" ({name} has {outcome.git} changes in git)" if outcome.git else ""
        write = typer.confirm(f"Write the fix to {name}{note}?", default=False, err=True)
    verified = outcome.verified
    mark = "[green]✓[/green]" if verified else "[yellow]?[/yellow]"
    if write:
        job.write(outcome, backup=not no_backup)
        if not as_json:
            kept = (f" (the original is in {_label(outcome.backup)})" if outcome.backup
                    else "")
            head = "fixed" if verified else "wrote the change to"
            err.print(f"{mark} {head} {_escape(str(file))}{_escape(kept)}: "
                      f"{_escape(outcome.evidence())}.", highlight=False)
    elif not as_json:
        hint = "" if diff_only else " Run with --yes to write it."
        head = "found a fix" if verified else "found a change that runs"
        err.print(f"{mark} {head}: {_escape(outcome.evidence())}; "
                  f"{_escape(str(file))} is unchanged.{hint}", highlight=False)
    if as_json:
        _print_json(outcome.to_dict())
    if not verified:
        raise SystemExit(int(ExitStatus.UNVERIFIED))


def _label(path: Path) -> str:
    """A path as the user would write it: relative to the current directory when inside
    it (``sub/x.py``), else as given."""
    absolute = path.expanduser().absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _description(message: str | None) -> str | None:
    """``-m TEXT``, or ``-m -``: the text on stdin."""
    if message is None:
        return None
    if message.strip() == "-":
        if sys.stdin.isatty():
            raise UsageError("-m - reads the description from stdin, but stdin is a terminal",
                             "Pipe it in, or give it as -m \"...\".")
        message = sys.stdin.read()
    if not message.strip():
        raise UsageError("-m is empty", "Say what the script does wrong, in a sentence.")
    return message.strip()


def _agree_on_a_check(job: Any, backend: Any, description: str, err: Any, *, yes: bool,
                      view: Any) -> Any:
    """The model writes a check from the description; the user sees it and accepts it
    (--yes accepts it); then the check runs on the script as it is."""
    from rich.syntax import Syntax

    err.print("[bold]writing a check from your description[/bold]", highlight=False)
    check = job.write_check(backend, description, on_note=lambda note: err.print(
        f"[yellow]{_escape(note)}[/yellow]", highlight=False))
    err.print(Syntax(check, "python", theme="ansi_dark", background_color="default"))
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("the fix must pass this check, and nobody accepted it",
                             "Read it above; run again with --yes to accept it (or on a "
                             "terminal to answer).")
        if not typer.confirm("Use this check?", default=True, err=True):
            err.print("nothing changed", style="yellow")
            raise SystemExit(1)
    job.use_check(check, description)
    err.print(f"[bold]running[/bold] {_escape(job.command)}", highlight=False)
    first = job.run_original(on_output=view.output if view else None)
    if view is not None:
        view.finish_output()
    from oci_interpreter.ui.execution import status_text

    err.print(status_text(first))
    return first


def _escape(text: str) -> str:
    """``text`` (a file name, a program's error, the model's words) for one of the command's
    one-line messages: on one line (oci_interpreter.ui.console.one_line), no markup."""
    from rich.markup import escape

    from oci_interpreter.ui.console import one_line

    return escape(one_line(text))


def _print_json(report: dict[str, Any]) -> None:
    from oci_interpreter.cli.common import json_line

    sys.stdout.write(json_line(report))
    sys.stdout.flush()


def _stdout_console() -> Any:
    from oci_interpreter.ui.console import make_console

    return make_console(file=sys.stdout)
