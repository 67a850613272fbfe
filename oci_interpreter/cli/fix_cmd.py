"""`oci fix`: repair a failing script, verified by running it, written back safely."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oci_interpreter.cli.environment import Environment, takes_environment
from oci_interpreter.cli.options import LOOP, MODEL, SANDBOX, read_description, takes_settings
from oci_interpreter.core.errors import ExitStatus, UsageError

MAX_FILE_BYTES = 512 * 1024
"""Refused before loading a model; the model's context usually allows much less."""


@takes_settings(LOOP, MODEL, SANDBOX)
@takes_environment
def fix(
    file: Annotated[Path, typer.Argument(help="The Python script to repair.",
                                         show_default=False, metavar="FILE")],
    args: Annotated[list[str] | None, typer.Argument(
        help="Arguments for the script (put -- before them).", show_default=False,
        metavar="ARGS")] = None,
    test: Annotated[str | None, typer.Option(
        "--test", help="A command that must exit 0 with the fixed file in place, e.g. "
        "\"pytest -q tests/test_x.py\" (run in a copy of the current directory).",
        show_default=False)] = None,
    message: Annotated[str | None, typer.Option(
        "--message", "-m", help="What the script does wrong, in words (\"the total should "
        "include the 8% tax\"); - reads it from stdin. The model turns it into a check you "
        "see first; the fix must pass it.", show_default=False)] = None,
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
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Show the rounds on stderr [default: when stderr "
        "is a terminal].", show_default=False)] = None,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> ExitStatus:
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
    from oci_interpreter.agent.fix import FixJob, FixOutcome, follow_fix
    from oci_interpreter.ui import words
    from oci_interpreter.ui.console import one_line
    from oci_interpreter.ui.loop_view import FixView, as_given, print_fix_outcome

    diff_only = diff_only or dry_run
    if diff_only and yes:
        raise UsageError("--diff writes nothing and --yes writes without asking", "Pick one.")
    if message is not None and test is not None:
        raise UsageError("-m and --test are two ways to say what is right", "Give one.")
    description = read_description(message, env)
    settings = env.settings(flags)
    job = FixJob(file.expanduser().absolute(), list(args or []), settings, test=test,
                 max_bytes=MAX_FILE_BYTES, label=as_given(file))
    err = env.err
    env.say_containment(settings)
    show = env.stderr_isatty if progress is None else progress
    view = FixView(err, None if as_json else env.console, rounds=settings.rounds,
                   progress=show)

    def accept_check(check: str) -> bool:  # --yes accepts it; else the user, on a terminal
        if not yes and not env.stdin_isatty:
            raise UsageError("the fix must pass this check, and nobody accepted it",
                             "Read it above; run again with --yes to accept it (or on a "
                             "terminal to answer).")
        return yes or typer.confirm(words.USE_CHECK, default=True, err=True)

    def accept_write(outcome: FixOutcome) -> bool:
        if yes or diff_only or as_json or not env.stdin_isatty:
            return yes
        question = words.write_fix(one_line(str(file)), outcome.git)  # not Rich: no markup
        return typer.confirm(question, default=False, err=True)

    outcome = follow_fix(job.run(load_model=lambda: env.load_model(settings),
                                 description=description, accept_check=accept_check,
                                 accept_write=accept_write, backup=not no_backup,
                                 on_output=view.output if show else None), view)
    reported = as_json and outcome.end in ("nothing_to_fix", "repaired")
    if reported:
        env.print_json(outcome.to_dict())
    if not reported or outcome.cancelled:
        print_fix_outcome(err, outcome, str(file),
                          to_write="" if diff_only else " Run with --yes to write it.")
    return outcome.exit_status

