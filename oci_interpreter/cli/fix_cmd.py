"""`oci fix`: repair a failing script, verified by running it, written back safely."""

from __future__ import annotations

import json
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
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Write the fix without asking.")
                   ] = False,
    diff_only: Annotated[bool, typer.Option("--diff", "--dry-run", help="Print the diff and "
                                            "write nothing.")] = False,
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

    Nothing is written without --yes or a "y" at the prompt; --diff only shows it. The
    write is atomic, keeps the file's encoding, newlines and mode, and keeps a backup
    (FILE.orig). Exit status: 0 fixed (or nothing to fix), 1 not fixed, 2 usage error,
    130 interrupted.
    """
    from oci_interpreter.agent.fix import (
        FileExecutor,
        command_line,
        first_failure,
        fix_options,
        fix_task,
    )
    from oci_interpreter.agent.loop import LoopOptions, RefineLoop
    from oci_interpreter.agent.prompts import for_family
    from oci_interpreter.backend.base import GenerationOptions, Message
    from oci_interpreter.backend.loader import load_backend
    from oci_interpreter.cli.run_cmd import follow
    from oci_interpreter.core.config import load_settings
    from oci_interpreter.core.sourcefile import git_status, read_source, unified_diff, write_back
    from oci_interpreter.sandbox import containment
    from oci_interpreter.sandbox.limits import Limits
    from oci_interpreter.ui.console import err_console
    from oci_interpreter.ui.execution import print_note, status_text
    from oci_interpreter.ui.loop_view import LoopView, is_terminal, print_diff
    from oci_interpreter.ui.progress import byte_progress

    if diff_only and yes:
        raise UsageError("--diff writes nothing and --yes writes without asking",
                         "Pick one.")
    settings = load_settings(flags).settings
    source = read_source(file.expanduser().absolute(), max_bytes=MAX_FILE_BYTES)
    err = err_console()
    show = is_terminal(sys.stderr) if progress is None else progress
    contained = containment.probe(settings.sandbox)
    if not settings.allow_network or contained.mode == "none":
        print_note(err, contained.note)
    limits = Limits.from_settings(settings)
    script_args = list(args or [])
    executor = FileExecutor(source, script_args, limits, sandbox=settings.sandbox,
                            python=settings.python, test=test)
    command = test if test is not None else command_line(source.path, script_args)
    view = LoopView(err, stream_text=False) if show else None

    if view is not None:
        err.print(f"[bold]running[/bold] {_escape(command)}", highlight=False)
    first = executor.run_original(on_output=view.output if view else None)
    if view is not None:
        view.finish_output()
        err.print(status_text(first))
    if first.interrupted:
        raise SystemExit(int(ExitStatus.INTERRUPTED))
    report: dict[str, Any] = {
        "file": str(source.path), "command": command, "original": first.to_dict(),
        "success": False, "written": False, "backup": None, "diff": "", "final_code": None,
    }
    if first.ok:
        what = "the test passes" if test is not None else f"{file} runs without error"
        if as_json:
            report.update(success=True, stop_reason="nothing_to_fix",
                          message=f"{what}; nothing to fix")
            _print_json(report)
        else:
            err.print(f"[green]✓[/green] {_escape(what)}: nothing to fix.", highlight=False)
        return

    with byte_progress(err, "preparing model") as bar:
        backend = load_backend(settings, bar)
    try:
        prompts = for_family(backend.info.family)
        failure = first_failure(prompts, executor, first)
        task = fix_task(prompts, source, command, failure)
        file_tokens = backend.count_tokens([Message("user", source.text)])
        need = backend.count_tokens(task.messages) + file_tokens + 64
        if need > backend.info.n_ctx:
            per_token = max(len(source.text.encode()) / max(file_tokens, 1), 1.0)
            fits = int(backend.info.n_ctx / 2.4 * per_token / 1024)
            raise UsageError(
                f"{file} is too large for the model's context: the request and the whole "
                f"corrected file need about {need:,} tokens, the context holds "
                f"{backend.info.n_ctx:,} (files up to about {fits} KiB fit)",
                "Raise --n-ctx if the model allows it, or fix a smaller file.",
            )
        options = fix_options(LoopOptions(
            max_rounds=settings.rounds, strategy=settings.strategy,  # type: ignore[arg-type]
            candidates=settings.candidates,
            generation=GenerationOptions(temperature=settings.temperature, seed=settings.seed,
                                         max_tokens=settings.max_tokens),
        ), file_tokens)
        loop = RefineLoop(backend, executor, prompts, options,
                          on_output=view.output if view else None)
        stopped, transcript = follow(loop, task, view)
    finally:
        backend.close()

    report.update(rounds=stopped.rounds, stop_reason=stopped.reason, message=stopped.message,
                  stats=stopped.totals.to_dict(), events=transcript)
    if stopped.reason == "cancelled":
        if as_json:
            _print_json(report)
        err.print(f"[yellow]interrupted: {_escape(str(file))} is unchanged.[/yellow]")
        raise SystemExit(int(ExitStatus.INTERRUPTED))
    code = stopped.final_code
    if not stopped.success or code is None:
        report["best_attempt"] = code
        if code is not None:
            report["diff"] = unified_diff(source, code)
        if as_json:
            _print_json(report)
        else:
            if code is not None and report["diff"]:
                err.print("[bold]best attempt[/bold] (not written):")
                print_diff(err, report["diff"])
            err.print(f"[bold red]✗[/bold red] could not fix {_escape(str(file))}: "
                      f"{_escape(stopped.message)}. The file is unchanged.", highlight=False)
        raise SystemExit(1)

    diff = unified_diff(source, code)
    report.update(success=True, final_code=code, diff=diff)
    if not diff:
        if as_json:
            _print_json(report)
        else:
            err.print("[green]✓[/green] it passes now without changes (a flaky failure?); "
                      "nothing written.", highlight=False)
        return
    status = git_status(source.path)
    if not as_json:
        print_diff(_stdout_console(), diff)
    write = yes
    if not yes and not diff_only and not as_json and sys.stdin.isatty():
        note = f" ({file} has {status} changes in git)" if status else ""
        write = typer.confirm(f"Write the fix to {file}{note}?", default=False, err=True)
    if write:
        backup = write_back(source, code, backup=not no_backup or status is not None)
        report.update(written=True, backup=str(backup) if backup else None)
        if not as_json:
            kept = f" (the original is in {backup.name})" if backup else ""
            err.print(f"[green]✓[/green] fixed {_escape(str(file))}{_escape(kept)}.",
                      highlight=False)
    elif not as_json:
        hint = "" if diff_only else " Run with --yes to write it."
        err.print(f"[green]✓[/green] found a fix; {_escape(str(file))} is unchanged.{hint}",
                  highlight=False)
    if as_json:
        _print_json(report)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _print_json(report: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _stdout_console() -> Any:
    from oci_interpreter.ui.console import make_console

    return make_console(file=sys.stdout)
