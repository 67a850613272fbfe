"""Executors: how the loop runs a program for each command (the contract is
agent/loop.py's ``Executor``), and ``ScriptedExecutor``, which runs nothing: the tests of
the loop's logic use it as they use ``FakeBackend`` for the model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from oci_interpreter.agent.contracts import Executor, Verdict
from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import OutputCallback, resolve_workdir, run_program

if TYPE_CHECKING:
    from oci_interpreter.agent.answers import Report


class ProgramExecutor(Executor):
    """Each program in a fresh sandboxed process (``oci run``, the benchmark).

    ``checks`` is code appended to every program before it runs (visible tests such
    as a docstring's examples turned into asserts); a failing assert fails the run.
    """

    def __init__(self, cwd: Path | str | None = None, limits: Limits | None = None, *,
                 sandbox: str = "auto", python: str | None = None,
                 filename: str = "main.py", checks: str = "",
                 check_answers: bool = False, stdin_file: Path | None = None,
                 task: str = "", outputs: tuple[str, ...] = ()) -> None:
        self.limits = limits or Limits()
        # Checked now, before a model is loaded: a refused directory is said at once.
        self.cwd = resolve_workdir(cwd, self.limits)
        self.sandbox = sandbox
        self.python = python
        self.filename = filename
        self.checks = checks
        self.program_files: tuple[str, ...] = (filename,)
        self.rename: dict[str, str] = {}
        self.stdin_file = stdin_file
        """Data piped to the command: every program's standard input."""
        self.check_answers = check_answers
        """``oci run``: a clean run whose output is a hidden error's fallback, a number
        written into the program, or a report of an error the program caught (a missing
        module, no network, a missing file: ``error_report``) is refused (agent/answers.py),
        and so is one that did not make the files the task asks for (``outputs``)."""
        self.task = task
        """The user's task: words it uses are not an error report (``count "Error:"``)."""
        self.outputs = outputs
        """Files the task asks the program to make (``save ... to regions.png``)."""

    def execute(self, code: str, on_output: OutputCallback | None = None) -> ExecResult:
        program = code if not self.checks else f"{code.rstrip()}\n\n\n{self.checks.strip()}\n"
        return run_program(code=program, cwd=self.cwd, limits=self.limits, sandbox=self.sandbox,
                           python=self.python, on_output=on_output, filename=self.filename,
                           trace_lines=self.check_answers, stdin_file=self.stdin_file,
                           explain_asserts=True)

    def judge(self, code: str, result: ExecResult, prompts: PromptSet) -> Verdict | None:
        if not self.check_answers:
            return None
        from oci_interpreter.agent.answers import answer_checks, error_report

        rejection = answer_checks(code, result.stdout, result.lines_run)
        if rejection is not None:
            return rejection.kind, rejection.detail
        report = error_report(code, result.stdout, result.lines_run, self.task)
        if report is not None:
            return "error_report", _reported(report, self.limits.allow_network)
        missing = [name for name in self.outputs if not (self.cwd / name).exists()]
        if missing:
            return ("missing_output", f"the task asks for {missing[0]}, but the program did "
                    "not create it; write that file")
        return None


def _reported(report: Report, network: bool) -> str:
    """Why a run whose output reports a failure is not an answer, in one sentence (the
    model reads it; ``oci run`` ends with it when no round does better)."""
    from oci_interpreter.agent.hints import installed_phrase

    line = report.line if len(report.line) <= 100 else report.line[:97] + "..."
    if report.kind == "module" and report.module:
        return (f"{report.module} is not installed where programs run ({installed_phrase()}); "
                f"the program printed `{line}` instead of doing the task")
    if report.kind == "network" and not network:
        return ("the network is off where programs run (--allow-network turns it on); the "
                f"program printed `{line}` instead of the result")
    if report.kind == "file":
        return (f"a file the program needs is missing or unreadable; it printed `{line}` "
                "instead of the result")
    return f"the program printed an error (`{line}`) instead of the result"


class KernelExecutor(Executor):
    """Programs as cells of one persistent kernel: variables survive (``oci chat``).
    Every clean cell counts (the protocol's ``judge``)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.program_files: tuple[str, ...] = ()
        self.rename: dict[str, str] = {}
        self.checks = ""
        """Code run after each cell of the current message: the examples it states
        (agent/examples.py; the chat sets it per message)."""

    def execute(self, code: str, on_output: OutputCallback | None = None) -> ExecResult:
        cell = code if not self.checks else f"{code.rstrip()}\n\n\n{self.checks.strip()}\n"
        return self.kernel.execute(cell, on_output=on_output)


Script = ExecResult | str | Callable[[str], ExecResult]
"""What a scripted program does: its result; a ``str``, a clean run that printed it
(``""``: printed nothing); or a function of the program that returns its result (a run
that takes time, a result that depends on the code)."""


class ScriptedExecutor(Executor):
    """Runs nothing: each program gets the result scripted for it, and every program the
    loop asked to run is recorded in order (``ran``), as ``FakeBackend`` records prompts.
    The loop's logic (stop rules, strategies, candidates, votes) is tested with it
    without starting a process.

    ``results`` maps a program to its :data:`Script`; programs are matched without
    leading and trailing whitespace. A program with no script raises ``LookupError``
    (a test that runs what it did not expect fails), unless ``default`` is given.
    ``verdicts`` maps a program to the :data:`Verdict` with which ``judge`` refuses its
    clean run (the others count); every program judged is recorded in ``judged``.
    """

    def __init__(self, results: Mapping[str, Script] | None = None, *,
                 default: Script | None = None,
                 verdicts: Mapping[str, Verdict] | None = None,
                 program_files: tuple[str, ...] = ("main.py",),
                 rename: Mapping[str, str] | None = None) -> None:
        self.results: dict[str, Script] = {}
        for code, script in (results or {}).items():
            self.script(code, script)
        self.default = default
        self.verdicts = {code.strip(): verdict for code, verdict in (verdicts or {}).items()}
        self.program_files = program_files
        self.rename = dict(rename or {})
        self.ran: list[str] = []
        """Every program ``execute`` was given, in order."""
        self.judged: list[str] = []
        """Every program ``judge`` was asked about, in order."""

    def script(self, code: str, result: Script) -> None:
        """Script (or re-script) what running ``code`` gives."""
        self.results[code.strip()] = result

    def execute(self, code: str, on_output: OutputCallback | None = None) -> ExecResult:
        self.ran.append(code)
        script = self.results.get(code.strip(), self.default)
        if script is None:
            raise LookupError(f"no result scripted for the program {code!r}")
        result = as_result(script, code)
        if on_output is not None:
            for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
                if text:
                    on_output(stream, text)
        return result

    def judge(self, code: str, result: ExecResult, prompts: PromptSet) -> Verdict | None:
        self.judged.append(code)
        return self.verdicts.get(code.strip())


def as_result(script: Script, code: str) -> ExecResult:
    """The :class:`ExecResult` a :data:`Script` stands for when ``code`` runs."""
    if isinstance(script, ExecResult):
        return script
    if isinstance(script, str):
        return ExecResult(0, script, "", 0.01)
    return script(code)


def raised(error: str, *, line: int = 1, stdout: str = "",
           filename: str = "main.py") -> ExecResult:
    """A scripted run that raised ``error`` (``"NameError: name 'x' is not defined"``) at
    ``line`` of the program, after printing ``stdout``: the traceback Python writes."""
    stderr = (f'Traceback (most recent call last):\n  File "{filename}", line {line}, in '
              f"<module>\n{error}\n")
    return ExecResult(1, stdout, stderr, 0.01, error=error)
