"""Executors: how the loop runs a program for each command."""

from __future__ import annotations

from pathlib import Path

from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import OutputCallback, resolve_workdir, run_program


class ProgramExecutor:
    """Each program in a fresh sandboxed process (``oci run``, the benchmark).

    ``checks`` is code appended to every program before it runs (visible tests such
    as a docstring's examples turned into asserts); a failing assert fails the run.
    """

    def __init__(self, cwd: Path | str | None = None, limits: Limits | None = None, *,
                 sandbox: str = "auto", python: str | None = None,
                 filename: str = "main.py", checks: str = "",
                 check_answers: bool = False, stdin_file: Path | None = None) -> None:
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
        """``oci run``: a clean run whose output is a hidden error's fallback or a number
        written into the program is refused (agent/verify.py: ``answer_checks``)."""

    def execute(self, code: str, on_output: OutputCallback | None = None) -> ExecResult:
        program = code if not self.checks else f"{code.rstrip()}\n\n\n{self.checks.strip()}\n"
        return run_program(code=program, cwd=self.cwd, limits=self.limits, sandbox=self.sandbox,
                           python=self.python, on_output=on_output, filename=self.filename,
                           trace_lines=self.check_answers, stdin_file=self.stdin_file,
                           explain_asserts=True)

    def judge(self, code: str, result: ExecResult,
              prompts: object) -> tuple[str, str] | None:
        if not self.check_answers:
            return None
        from oci_interpreter.agent.verify import answer_checks

        rejection = answer_checks(code, result.stdout, result.lines_run)
        return None if rejection is None else (rejection.kind, rejection.detail)


class KernelExecutor:
    """Programs as cells of one persistent kernel: variables survive (``oci chat``)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.program_files: tuple[str, ...] = ()
        self.rename: dict[str, str] = {}

    def execute(self, code: str, on_output: OutputCallback | None = None) -> ExecResult:
        return self.kernel.execute(code, on_output=on_output)
