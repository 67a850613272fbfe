"""What `oci fix` yields and ends with: the fix's own events (the file's runs, the check
written from `-m`, the change found) and the :class:`FixOutcome` (`--json`, the exit
status, the words of its last line), and :func:`follow_fix`, which drives them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from oci_interpreter.agent.events import Event, Stopped
from oci_interpreter.core.errors import ExitStatus
from oci_interpreter.sandbox.limits import ExecResult

# ------------------------------------------------------------------ events --

FileRun = Literal["original", "check"]
"""Which run of the file as it is: ``original`` (the script, or the --test command) or
``check`` (the check the user accepted, on the script as it is)."""


@dataclass(frozen=True)
class FileRunStart:
    """The file as it is starts to run (``command`` in the user's words)."""

    command: str
    what: FileRun
    kind: Literal["fix_run_start"] = "fix_run_start"


@dataclass(frozen=True)
class FileRunEnd:
    """The file as it is has run: does it need fixing?"""

    result: ExecResult
    what: FileRun
    kind: Literal["fix_run_end"] = "fix_run_end"


@dataclass(frozen=True)
class CheckWriting:
    """The model is asked to turn the user's description into a check. A check that does
    not run is said as a :class:`Notice` (topic ``check``) before the model corrects it."""

    description: str
    kind: Literal["check_writing"] = "check_writing"


@dataclass(frozen=True)
class CheckWritten:
    """The check the repair must pass; ``accept_check`` is asked next."""

    check: str
    kind: Literal["check_written"] = "check_written"


@dataclass(frozen=True)
class FixFound:
    """A change that passes: its diff, and the file's state in git (``modified``,
    ``staged``, ``untracked``; None when clean or not in git). ``accept_write`` is asked
    next, and the outcome follows as the last event."""

    diff: str
    git: str | None
    kind: Literal["fix_found"] = "fix_found"


# --------------------------------------------------------------- the program --

FixEnd = Literal["nothing_to_fix", "interrupted", "check_declined", "check_passes",
                 "repaired"]


@dataclass
class FixOutcome:
    """What a repair came to. ``code`` is the repaired file when ``fixed``; otherwise the
    best attempt, if any. Writing it is :meth:`FixJob.write`'s job, once the user agrees."""

    file: Path
    command: str
    original: ExecResult
    stopped: Stopped | None = None
    """The repair loop's last event; None when no repair ran (``end`` says why)."""
    end: FixEnd = "repaired"
    """Where the process ended: ``nothing_to_fix`` (the file ran cleanly and nothing said
    what it does wrong), ``interrupted`` (Ctrl-C while the file as it is ran),
    ``check_declined`` (the user did not accept the check written from the description),
    ``check_passes`` (that check passes on the file as it is, so it does not show the
    problem), ``repaired`` (the repair loop ran: ``stopped``)."""
    test: str | None = None
    """The test command (``--test``), when there was one."""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    code: str | None = None
    diff: str = ""
    git: str | None = None
    """The file's state in git before writing (``modified``, ``staged``, ``untracked``)."""
    written: bool = False
    backup: Path | None = None
    verified_by: str | None = None
    """The evidence a fix rests on: ``test`` (the --test command passes), ``check`` (the
    check written from -m passes), ``failing_code_runs`` (the code of the original
    traceback runs, without the error), ``runs_cleanly`` (it exits 0; nothing checked
    what it does)."""
    failing: list[dict[str, Any]] = field(default_factory=list)
    """The original traceback's frames in the file: ``{"line", "function"}``."""
    rejected: list[dict[str, Any]] = field(default_factory=list)
    """Candidates that ran cleanly but were refused: round, candidate, kind, why."""
    check: str | None = None
    """The check written from the user's description (``-m``), when there was one."""
    hint: str = ""
    """When not fixed: what to try next, in a sentence."""

    @property
    def nothing_to_fix(self) -> bool:
        return self.end == "nothing_to_fix"

    @property
    def fixed(self) -> bool:
        return self.stopped is not None and self.stopped.success and self.code is not None

    @property
    def passes_unchanged(self) -> bool:
        """The file passed without a change (a flaky failure): nothing to write."""
        return self.fixed and not self.diff

    @property
    def verified(self) -> bool:
        """A fix whose behaviour something checked: the --test command or the check of
        ``-m``. Without one, the error being gone says nothing of what the code computes
        (a wrong base case runs cleanly), so oci does not call it fixed."""
        return self.fixed and self.verified_by in ("test", "check")

    def evidence(self) -> str:
        """What the outcome rests on, in words (``verified_by``)."""
        failing = self.failing[-1] if self.failing else None
        where = ""
        if failing is not None:
            where = f" (line {failing['line']}" + (
                "" if failing["function"] == "<module>" else f", in {failing['function']}") + ")"
        return {
            "test": "the --test command passes",
            "check": "the code that failed now runs and your check passes",
            "failing_code_runs": f"the code that failed{where} now runs without the error, "
                                 "but nothing checked what it computes (-m or --test would "
                                 "check it)",
            "runs_cleanly": "it runs without error now, but nothing checked what it does "
                            "(give --test or -m to check it)",
        }.get(self.verified_by or "", "it runs")

    @property
    def cancelled(self) -> bool:
        """Ctrl-C, while the file ran as it is or while it was repaired."""
        return self.end == "interrupted" or (self.stopped is not None
                                             and self.stopped.reason == "cancelled")

    @property
    def exit_status(self) -> ExitStatus:
        """`oci fix`'s exit status: 0 fixed (verified), nothing to fix or passing unchanged;
        7 a change that runs but nothing checked; 130 interrupted; 1 otherwise."""
        if self.cancelled:
            return ExitStatus.INTERRUPTED
        if self.nothing_to_fix or self.passes_unchanged or self.verified:
            return ExitStatus.OK
        return ExitStatus.UNVERIFIED if self.fixed else ExitStatus.NOT_FIXED

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` report: the same fields whatever happened (docs/usage.md)."""
        stopped = self.stopped
        return {
            "file": str(self.file), "command": self.command, "original": self.original.to_dict(),
            "success": self.nothing_to_fix or self.fixed, "written": self.written,
            "backup": str(self.backup) if self.backup else None, "diff": self.diff,
            "final_code": self.code if self.fixed else None, "best_attempt": self.code,
            "verified_by": self.verified_by if self.fixed else None,
            "verified": self.verified, "check": self.check,
            "failing": self.failing, "rejected": self.rejected,
            "rounds": stopped.rounds if stopped else 0,
            "stop_reason": stopped.reason if stopped else self.end,
            "message": stopped.message if stopped else _END_TEXT[self.end],
            "hint": self.hint,
            "stats": stopped.totals.to_dict() if stopped else {},
            "events": self.transcript,
        }


_END_TEXT = {
    "nothing_to_fix": "nothing to fix",
    "interrupted": "interrupted",
    "check_declined": "the check was not accepted",
    "check_passes": "the check passes on the file as it is",
    "repaired": "",
}

FixEvent = (Event | FileRunStart | FileRunEnd | CheckWriting | CheckWritten | FixFound
            | FixOutcome)
"""What :meth:`FixJob.run` yields: its own events, the loop's, and last the outcome."""



def follow_fix(events: Iterable[FixEvent],
               on_event: Callable[[FixEvent], None] | None = None) -> FixOutcome:
    """Drive :meth:`FixJob.run`'s ``events`` to the end, passing each but the last to
    ``on_event``; the :class:`FixOutcome`."""
    for event in events:
        if isinstance(event, FixOutcome):
            return event
        if on_event is not None:
            on_event(event)
    raise RuntimeError("the fix ended without an outcome")
