"""`oci run`: solve a task by writing and running code, no questions asked."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from oci_interpreter.cli.environment import Environment, takes_environment
from oci_interpreter.cli.options import (
    AGREE,
    LOOP,
    MODEL,
    SANDBOX,
    CwdOpt,
    takes_settings,
    working_dir,
)
from oci_interpreter.core.errors import ExitStatus, UsageError

MAX_TASK_BYTES = 256 * 1024

ProgressOpt = Annotated[
    bool | None, typer.Option("--progress/--no-progress",
                              help="Show the rounds on stderr [default: when stderr is a "
                              "terminal].", show_default=False)
]


def read_task(task: str | None, task_file: Path | None, env: Environment) -> str:
    """The task from the argument, ``-`` (stdin) or ``-f FILE``; one clear error otherwise."""
    if task is not None and task_file is not None:
        raise UsageError("give the task either as an argument or with -f, not both")
    if task_file is not None:
        try:
            data = task_file.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"{task_file}: no such file", "Check the path.") from None
        except IsADirectoryError:
            raise UsageError(f"{task_file} is a directory", "Give a text file.") from None
        except OSError as exc:
            raise UsageError(f"cannot read {task_file}: {exc.strerror}") from None
        text = _decode(data, str(task_file))
    elif task == "-":
        if env.stdin_isatty:
            raise UsageError("`oci run -` reads the task from stdin, but stdin is a terminal",
                             'Pipe it in (echo "task" | oci run -) or give it as an argument.')
        text = _decode(env.stdin.buffer.read(MAX_TASK_BYTES + 1), "stdin")
    elif task is None:
        raise UsageError("no task given",
                         'Use oci run "TASK", echo "TASK" | oci run -, or oci run -f task.txt.')
    else:
        text = task
    if len(text.encode("utf-8", "replace")) > MAX_TASK_BYTES:
        raise UsageError(f"the task is longer than {MAX_TASK_BYTES // 1024} KiB",
                         "Shorten it; put data in a file the program can read instead.")
    if not text.strip():
        raise UsageError("the task is empty", "Say what the program should do.")
    return text.strip()


def _decode(data: bytes, where: str) -> str:
    if b"\x00" in data:
        raise UsageError(f"{where} is binary, not a text task", "Give the task as text.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text", "Save it as UTF-8.") from None


@takes_settings(LOOP, AGREE, MODEL, SANDBOX)
@takes_environment
def run(
    task: Annotated[str | None, typer.Argument(help="The task, in words; - reads it from "
                                               "stdin (all of it).", show_default=False,
                                               metavar="TASK")] = None,
    task_file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the task from "
                                                   "a file.", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: success, "
                                          "final_code, final_output, rounds, stop_reason, "
                                          "events, stats.")] = False,
    print_code: Annotated[bool, typer.Option("--code", help="Print the final program instead "
                                             "of its output.")] = False,
    cwd: CwdOpt = None,
    progress: ProgressOpt = None,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> ExitStatus:
    """Solve TASK: the model writes a program, oci runs it in the sandbox, the model reads
    the result and refines, up to --rounds times. No questions are asked.

    Stdout gets the final program's output (--code: the program; --json: everything);
    progress goes to stderr. Exit status: 0 solved, 1 not solved within the rounds,
    2 usage error, 130 interrupted. Deterministic by default (temperature 0, fixed seed).
    """
    from oci_interpreter.agent.answers import named_outputs
    from oci_interpreter.agent.contracts import LoopOptions
    from oci_interpreter.agent.execute import ProgramExecutor
    from oci_interpreter.agent.hints import installed_modules
    from oci_interpreter.agent.prompts import for_family
    from oci_interpreter.agent.solve import solve, task_checks
    from oci_interpreter.agent.tasks import WORDS_DATA_CHARS, wants_words
    from oci_interpreter.cli.piped import MAX_PIPED_BYTES, describe, piped_data
    from oci_interpreter.sandbox.limits import Limits
    from oci_interpreter.sandbox.runner import resolve_workdir
    from oci_interpreter.ui.loop_view import LoopView, print_run_outcome

    text = read_task(task, task_file, env)
    if as_json and print_code:
        raise UsageError("--json and --code cannot be combined", "Pick one.")
    settings = env.settings(flags)
    workdir = resolve_workdir(working_dir(cwd), Limits.from_settings(settings))
    err = env.err
    # The task came from the argument or -f: what is piped in is data for the program.
    checks, examples = task_checks(text)  # before piped data is added to the text
    words = wants_words(text)
    with piped_data(workdir, env=env) if task != "-" else contextlib.nullcontext() as piped:
        executor = ProgramExecutor(workdir, Limits.from_settings(settings),
                                   sandbox=settings.sandbox, python=settings.python,
                                   check_answers=True, checks=checks,
                                   stdin_file=piped.path if piped is not None else None,
                                   task=text, outputs=named_outputs(text, workdir))
        env.say_containment(settings)
        backend = env.load_model(settings)
        show = env.stderr_isatty if progress is None else progress
        options = LoopOptions.from_settings(settings, "run")
        view = LoopView(err, rounds=options.max_rounds) if show else None
        if piped is not None:
            prompts = for_family(backend.info.family)
            cut = prompts.piped_cut.format(mib=MAX_PIPED_BYTES // 2**20) if piped.cut else ""
            where = "" if print_code else prompts.piped_file.format(name=piped.path.name)
            if words and not piped.binary:  # no program will read it: the model does
                text += prompts.piped_text.format(size=describe(piped), cut=cut,
                                                  text=piped.text(WORDS_DATA_CHARS))
            elif piped.binary:
                text += prompts.piped_binary.format(size=describe(piped), cut=cut, where=where)
            else:
                text += prompts.piped_data.format(size=describe(piped), cut=cut, where=where,
                                                  head=piped.head())
            options = replace(options, stdin_data=True)
            if piped.cut:
                err.print(f"[yellow]stdin: only the first {MAX_PIPED_BYTES // 2**20} MiB "
                          "reach the program[/yellow]")
        try:
            outcome = solve(backend, executor, text, options, on_event=view,
                            on_output=view.output if view else None,
                            modules=installed_modules(settings.python), examples=examples,
                            words=words)
        finally:
            backend.close()
    if view is not None:
        print_run_outcome(err, outcome.stopped)
    stopped = outcome.stopped
    if stopped.agreement is not None and view is None and not as_json:
        # Progress off: the vote is still what the answer is worth (--json carries it).
        style = "green" if stopped.agreement.clear else "yellow"
        err.print(f"[{style}]oci: {stopped.agreement.describe()}[/{style}]", highlight=False)
    if as_json:
        env.print_json(outcome.to_dict())
    elif stopped.success:
        shown = stopped.final_code if print_code else outcome.final_output
        if outcome.answer_only:
            shown = stopped.answer
        if shown:
            _write_result(env, shown)
        if examples:
            err.print(f"oci: {outcome.evidence}", highlight=False, style="green")
    env.stdout.flush()
    if outcome.exit_status == ExitStatus.NOT_SOLVED and not as_json:
        from rich.markup import escape

        from oci_interpreter.ui.console import one_line

        err.print(f"[bold red]oci:[/bold red] not solved: "
                  f"{escape(one_line(stopped.message))}. "
                  "Try more rounds (--rounds 5), a larger model (oci models list) or a "
                  "more precise task; --json shows every attempt.",
                  highlight=False, markup=True)
    return outcome.exit_status


def _write_result(env: Environment, text: str) -> None:
    """The answer on stdout; on a terminal, without escape sequences."""
    from oci_interpreter.ui.console import sanitize

    if env.stdout_isatty:
        text = sanitize(text)
    env.stdout.write(text if text.endswith("\n") else text + "\n")
