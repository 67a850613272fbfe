"""`oci fix` as one call: :meth:`FixJob.run` runs the script as it is, agrees on a check
written from the user's description, repairs with the refine loop and writes the file back,
yielding typed events (the loop's and :data:`FixEvent`'s own) and ending with the
:class:`FixOutcome`. The user's decisions (accept the check, accept the write) are callbacks,
as the loop's ``ask`` is; the command, chat ``/fix`` and the benchmark only render and answer.

How the file, a candidate, the check and the test command run: agent/fixrun.py. The file
itself is written only by :meth:`FixJob.write` (core/sourcefile.py's atomic writer), once
the ``accept_write`` callback said yes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from oci_interpreter.agent.contracts import LoopOptions, Task
from oci_interpreter.agent.edits import apply_edit
from oci_interpreter.agent.events import Event, ExecutionEnd, Notice, Stopped
from oci_interpreter.agent.fixrun import FileExecutor, command_line
from oci_interpreter.agent.focus import Focus, focus
from oci_interpreter.agent.loop import RefineLoop
from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.agent.verify import failure_frames
from oci_interpreter.backend.base import Backend, GenerationOptions, Message
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import ExitStatus, UsageError
from oci_interpreter.core.git import GitRepository
from oci_interpreter.core.sourcefile import SourceFile
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import OutputCallback, resolve_workdir


def fix_options(base: LoopOptions, file_tokens: int) -> LoopOptions:
    """The loop as ``oci fix`` runs it: a clean run is the end (no conclusion from the
    model, a silent script is fine), a script that calls ``input()`` is run as the
    original was, and the reply has room for what the request shows (``file_tokens``: the
    whole file, or the definitions a large file's view shows), not much more (a reply that
    runs to its cap, times candidates, times rounds, is minutes)."""
    # Room for the code once and a sentence: a longer reply is the model looping.
    generation = replace(base.generation, max_tokens=int(file_tokens * 1.5) + 200)
    return replace(base, confirm=False, require_code=True, accept_silent=True,
                   stop_after_code=False, input_ok=True, generation=generation)

def _asserts_nothing() -> UsageError:
    return UsageError("the check the model wrote from your description asserts nothing: it "
                      "would pass on any script", "Say the values you expect (\"the total "
                      "should be 31.40\"), or give a test command with --test.")


def never_passes(command: str, result: ExecResult) -> str | None:
    """Why the ``--test`` command's failure on the file as it is cannot be the file's (no
    change to it could make it pass), or None: the shell found no such command (127) or
    could not run it (126), pytest found no such file (4) or no tests (5), or the command
    is ``false``."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    first = words[0] if words else ""
    code = result.exit_code
    if code == 127:
        return f"`{first}` was not found (exit 127)"
    if code == 126:
        return f"`{first}` could not be run (exit 126: not executable)"
    if any(Path(w).name.startswith("pytest") or w == "pytest" for w in words[:3]):
        if code == 4:
            return "pytest could not find what it was given to run (exit 4)"
        if code == 5:
            return "pytest collected no tests (exit 5)"
    if Path(first).name == "false" and len(words) == 1:
        return "`false` always fails"
    return None


def first_failure(prompts: PromptSet, executor: FileExecutor, result: ExecResult) -> str:
    """How the original failed, as the model reads it (traceback, hint)."""
    from oci_interpreter.agent.feedback import format_result

    return format_result(result, prompts, program_files=executor.program_files,
                         code=executor.source.text).text


FOCUS_ABOVE_TOKENS = 1200
"""A file of more tokens than this (about 120 lines) is shown in part -- the definitions
the failure involves and an outline of the rest (agent/focus.py) -- and the model writes
only the definitions it changes; a smaller file is shown and written whole."""


def fix_task(prompts: PromptSet, source: SourceFile, command: str, failure: str, *,
             test: bool = False, view: Focus | None = None) -> Task:
    """The opening request (file + command + failure) and its fresh restatement.
    ``test``: ``command`` is the user's test command, not the script itself. ``view``:
    the part of a large file the request shows (None: the whole file)."""
    if view is None:
        template = prompts.fix_test_request if test else prompts.fix_request
        system, again, need_code = prompts.fix_system, prompts.fix_again, prompts.fix_need_code
    else:
        template = prompts.fix_focus_test_request if test else prompts.fix_focus_request
        system, again = prompts.fix_focus_system, prompts.fix_focus_again
        need_code = prompts.fix_focus_need_code
    names = view.involved if view is not None else ()

    def shown(code: str) -> str:
        if view is None:
            return code.rstrip()
        if code == source.text:
            return view.text.rstrip()
        return focus(code, (), names=names).text.rstrip()

    def request(code: str, why: str) -> list[Message]:
        return [Message("system", system),
                Message("user", template.format(command=command, code=shown(code),
                                                failure=why, name=source.path.name,
                                                lines=source.text.count("\n") + 1))]

    near = view.lines if view is not None else ()
    return Task(messages=request(source.text, failure),
                text=source.text if view is None else view.text,
                restate=request, again=again, need_code=need_code,
                from_reply=lambda reply: program_of(source.text, reply, near))


def program_of(original: str, reply: str, near: tuple[int, ...] = ()) -> str | None:
    """The file a repair reply gives: its search/replace blocks applied (agent/
    replace_blocks.py), then its code -- whole file or changed definitions -- merged by
    unit (agent/edits.py). None when the reply holds neither, or a block matches no
    single place (the model is asked again for code)."""
    from oci_interpreter.agent.extract import extract_program
    from oci_interpreter.agent.replace_blocks import (
        EditError,
        apply_replace_blocks,
        find_replace_blocks,
        without_blocks,
    )

    text = original
    blocks = find_replace_blocks(reply)
    if blocks:
        try:
            text = apply_replace_blocks(original, blocks)
        except EditError:
            return None
        reply = without_blocks(reply)
    code = extract_program(reply).code
    if code is None:
        return text if blocks else None
    return apply_edit(text, code, near)


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


_T = TypeVar("_T")
_E = TypeVar("_E")


def _drain(steps: Generator[_E, None, _T], on_event: Callable[[_E], None] | None) -> _T:
    """Run ``steps`` to its end, passing each event to ``on_event``; its return value."""
    while True:
        try:
            event = next(steps)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)


class FixJob:
    """`oci fix` as a library call: open the script (``__init__``: refused here before any
    model loads), then :meth:`run` the whole process. Its steps (:meth:`run_original`,
    :meth:`write_check`, :meth:`use_check`, :meth:`repair`, :meth:`write`) are public for
    the benchmarks and tests that measure one of them; clients drive :meth:`run`."""

    def __init__(self, path: Path, args: list[str], settings: Settings, *,
                 test: str | None = None, max_bytes: int = 512 * 1024,
                 label: str | None = None) -> None:
        from oci_interpreter.core.git import find_repository
        from oci_interpreter.core.sourcefile import read_source

        self.label = label or path.name
        """The file as the user named it (diff headers: ``a/sub/x.py``)."""
        self.settings = settings
        self.source = read_source(path, max_bytes=max_bytes)
        self.test = test
        self.description: str | None = None
        self.executor = FileExecutor(self.source, list(args), Limits.from_settings(settings),
                                     sandbox=settings.sandbox, python=settings.python,
                                     test=test)
        self.command = test if test is not None else command_line(self.source.path, list(args))
        # The script runs in its own directory: refused there (before a model is loaded)
        # where a program could reach the host through it.
        resolve_workdir(self.source.path.parent, self.executor.limits)
        self.repository: GitRepository | None = find_repository(self.source.path)
        """The script's git repository, found before anything ran: git is asked about
        this one alone later (a candidate may plant a repository nearer to the script)."""

    def run(self, model: Backend | None = None, *,
            load_model: Callable[[], Backend] | None = None,
            description: str | None = None,
            accept_check: Callable[[str], bool] = lambda check: True,
            accept_write: Callable[[FixOutcome], bool] = lambda outcome: False,
            backup: bool = True,
            on_output: OutputCallback | None = None) -> Iterator[FixEvent]:
        """`oci fix`'s whole process; yields :data:`FixEvent`s, the last one the
        :class:`FixOutcome`.

        The file runs as it is (the --test command with ``test``); clean, and no
        ``description`` says what it does wrong: nothing to fix, and no model is needed.
        Otherwise the model is ``model`` (the caller's, left open) or ``load_model()``
        (called only now, closed here once the repair is done). With a ``description``
        the model writes a check; ``accept_check(check)`` says whether the user takes it
        (False ends here), and it must fail on the file as it is. Then the repair loop;
        a change that passes is yielded as :class:`FixFound`, and written (with a backup
        unless ``backup`` is False; always one for a file with uncommitted git changes)
        when ``accept_write(outcome)`` says so. ``on_output`` streams every run's output.
        Callbacks may raise (a usage error): the run ends there, the file unwritten."""
        yield FileRunStart(self.command, "original")
        first = self.run_original(on_output)
        yield FileRunEnd(first, "original")
        if first.interrupted or (first.ok and description is None):
            yield self._ended(first, "interrupted" if first.interrupted else "nothing_to_fix")
            return
        if self.test is not None and not first.ok:
            why = never_passes(self.test, first)
            if why is not None:  # said before any model is loaded: no round could help
                raise UsageError(f"the --test command can never pass: {why}",
                                 "Run it by hand; give a command that tests "
                                 f"{self.label}, e.g. --test \"pytest -q tests/\".")
        if model is not None:
            backend = model
        elif load_model is not None:
            backend = load_model()
        else:
            raise ValueError("FixJob.run needs a model or a way to load one")
        try:
            outcome = None
            if description is not None:
                outcome = yield from self._agree_on_a_check(backend, description, first,
                                                            accept_check, on_output)
            if outcome is None:
                outcome = yield from self._repair(backend, on_output)
        finally:
            if model is None:  # loaded here: not needed any more
                backend.close()
        if outcome.fixed and outcome.diff:
            yield FixFound(outcome.diff, outcome.git)
            if accept_write(outcome):
                self.write(outcome, backup=backup)
        yield outcome

    def _agree_on_a_check(self, backend: Backend, description: str, first: ExecResult,
                          accept: Callable[[str], bool], on_output: OutputCallback | None,
                          ) -> Generator[FixEvent, None, FixOutcome | None]:
        """The model writes a check from ``description``; the user sees it and accepts it;
        it must fail on the file as it is. The outcome when the process ends here, else
        None (the check's run is now the original a repair starts from)."""
        yield CheckWriting(description)
        check = yield from self._write_check(backend, description)
        yield CheckWritten(check)
        if not accept(check):
            return self._ended(first, "check_declined")
        self.use_check(check, description)
        yield FileRunStart(self.command, "check")
        first = self.run_original(on_output)
        yield FileRunEnd(first, "check")
        if first.interrupted or first.ok:
            return self._ended(first, "interrupted" if first.interrupted else "check_passes")
        return None

    def _ended(self, result: ExecResult, end: FixEnd) -> FixOutcome:
        return FixOutcome(self.source.path, self.command, result, end=end,
                          check=self.executor.check, test=self.test)

    @property
    def original(self) -> ExecResult | None:
        """The last run of the file as it is (:meth:`run_original`): what a repair
        starts from and a candidate is checked against."""
        return self.executor.original

    def run_original(self, on_output: OutputCallback | None = None) -> ExecResult:
        """The script (or the test command, or the check) as it is: does it need fixing?"""
        if self.executor.check is not None:
            self.executor.original = self.executor.run_check(self.source.text, on_output)
            return self.executor.original
        return self.executor.run_original(on_output=on_output)

    def write_check(self, backend: Backend, description: str,
                    on_note: Callable[[str], None] | None = None) -> str:
        """Ask the model to turn the user's description of the wrong behaviour into a
        Python check (asserts) that fails on the script as it is (``on_note``: a check
        that does not run, said before the model corrects it)."""
        return _drain(self._write_check(backend, description),
                      None if on_note is None else (lambda notice: on_note(notice.text)))

    def _write_check(self, backend: Backend,
                     description: str) -> Generator[Notice, None, str]:
        """:meth:`write_check`, yielding its note.

        A check that fails for a reason of its own on the script as it is (it does not
        compile, or uses a name it never imported: agent/verify.py ``check_own_error``)
        could never pass, so repairing against it is minutes for nothing: the model gets
        one reply to correct it (handed the assignment when the name it missed is the
        script's ``__main__``-only sample data), and a check still broken after that is
        refused."""
        from oci_interpreter.agent import verify
        from oci_interpreter.agent.extract import extract_program
        from oci_interpreter.agent.prompts import for_family

        prompts = for_family(backend.info.family)
        module = self.source.path.stem
        request = prompts.fix_check_request.format(
            name=self.source.path.name, module=module,
            description=description.strip(), code=self._shown_for_check(backend, description))
        options = replace(GenerationOptions.from_settings(self.settings), max_tokens=768)
        messages = [Message("system", prompts.fix_system.split(".")[0] + "."),
                    Message("user", request)]
        reply = backend.chat(messages, options).text()
        code = extract_program(reply).code
        if not code:
            raise UsageError("the model wrote no check from your description",
                             "Say what the script should do in other words, or give a test "
                             "command with --test.")
        check = verify.keep_stated_asserts(code, description)[0]
        error = self._check_error(check, module, description)
        if error is None:
            return (yield from self._asserting(check, backend, options, description,
                                               [*messages, Message("assistant", reply)]))
        yield Notice(f"the check does not run ({error}); asking the model to correct it",
                     "check")
        correction = prompts.fix_check_broken.format(error=error, module=module)
        sample = verify.main_only_value(self.source.text, error)
        if sample is not None:
            correction += prompts.fix_check_main_only.format(name=sample[0],
                                                             assignment=sample[1])
        messages += [Message("assistant", reply), Message("user", correction)]
        code = extract_program(backend.chat(messages, options).text()).code
        if code:
            check = verify.keep_stated_asserts(code, description)[0]
            error = self._check_error(check, module, description)
            if error is None and verify.asserts_something(check):
                return check
            if error is None:
                raise _asserts_nothing()
        raise UsageError(f"the check the model wrote from your description does not run "
                         f"({error})",
                         "Say what the script should do in other words, or give a test "
                         "command with --test.")

    def _asserting(self, check: str, backend: Backend, options: GenerationOptions,
                   description: str, messages: list[Message]) -> Generator[Notice, None, str]:
        """``check``, which runs; if it asserts nothing (it only prints: `# Expected output:
        31.40`, which passes on any script), the model is asked once for asserts, and a
        check that still asserts nothing, or no longer runs, is refused."""
        from oci_interpreter.agent import verify
        from oci_interpreter.agent.extract import extract_program
        from oci_interpreter.agent.prompts import for_family

        if verify.asserts_something(check):
            return check
        yield Notice("the check asserts nothing (it only prints); asking the model for "
                     "asserts", "check")
        ask = for_family(backend.info.family).fix_check_no_assert
        reply = backend.chat([*messages, Message("user", ask)], options).text()
        check = verify.keep_stated_asserts(extract_program(reply).code or "", description)[0]
        if not verify.asserts_something(check):
            raise _asserts_nothing()
        error = self._check_error(check, self.source.path.stem, description)
        if error is not None:
            raise UsageError(f"the check the model wrote from your description does not "
                             f"run ({error})", "Say what the script should do in other "
                             "words, or give a test command with --test.")
        return check

    def _shown_for_check(self, backend: Backend, description: str) -> str:
        """The script as the check's request shows it: whole when small; a large one as a
        view (agent/focus.py) of the definitions the description names, the ``__main__``
        block and what they use, and the outline of the rest."""
        text = self.source.text
        if backend.count_tokens([Message("user", text)]) <= FOCUS_ABOVE_TOKENS:
            return text.rstrip()
        named = tuple(sorted(set(re.findall(r"[A-Za-z_]\w*", description))))
        view = focus(text, (), names=named, module=self.source.path.stem)
        if not view.involved:
            view = focus(text, (), names=("the __main__ block",))
        return view.text.rstrip()

    def _check_error(self, check: str, module: str, description: str) -> str | None:
        """The check's own error on the script as it is (None: it runs, or it fails in a
        way that may be the script's)."""
        from oci_interpreter.agent.verify import check_own_error

        result = self.executor.run_check(self.source.text, check=check)
        return None if result.ok else check_own_error(result.stderr, module, description)

    def use_check(self, check: str, description: str = "") -> None:
        """Repairs must pass ``check`` from now on; the first run is the check's."""
        self.executor.check = check
        self.description = description
        self.command = f"a check of {self.source.path.name} (from your description)"

    def repair(self, backend: Backend, *, on_event: Callable[[Event], None] | None = None,
               on_output: OutputCallback | None = None) -> FixOutcome:
        """Ask the model for corrected files until one runs cleanly (or the test passes),
        starting from :attr:`original` (:meth:`run_original` first)."""
        return _drain(self._repair(backend, on_output), on_event)

    def _repair(self, backend: Backend,
                on_output: OutputCallback | None) -> Generator[Event, None, FixOutcome]:
        """:meth:`repair`, yielding the loop's events."""
        from oci_interpreter.agent.events import ModelText, event_to_dict
        from oci_interpreter.agent.prompts import for_family
        from oci_interpreter.core.sourcefile import unified_diff

        original = self.original
        assert original is not None, "run_original() first"
        prompts = for_family(backend.info.family)
        failure = first_failure(prompts, self.executor, original)
        command = self.command
        if self.executor.check is not None:
            command = command_line(self.source.path, self.executor.args)
            failure = prompts.fix_check_failed.format(
                description=self.description or "", check=self.executor.check.rstrip(),
                failure=failure)
        file_tokens = backend.count_tokens([Message("user", self.source.text)])
        view = self._view(original) if file_tokens > FOCUS_ABOVE_TOKENS else None
        task = fix_task(prompts, self.source, command, failure,
                        test=self.test is not None and self.executor.check is None,
                        view=view)
        reply_tokens = file_tokens
        if view is not None:  # room for the definitions shown in full, not the file
            reply_tokens = min(file_tokens,
                               backend.count_tokens([Message("user", view.editable)]))
        self._check_fits(backend, task, reply_tokens, view)
        options = fix_options(LoopOptions.from_settings(self.settings, "fix"), reply_tokens)
        loop = RefineLoop(backend, self.executor, prompts, options, on_output=on_output)
        rejected: list[dict[str, Any]] = []
        transcript: list[dict[str, Any]] = []  # every event but the text the replies repeat
        stopped: Stopped | None = None
        for event in loop.run(task):
            if isinstance(event, ExecutionEnd) and event.rejected:
                rejected.append({"round": event.round, "candidate": event.candidate,
                                 "kind": event.rejected, "why": event.reason})
            if isinstance(event, Stopped):
                stopped = event
            if not isinstance(event, ModelText):
                transcript.append(event_to_dict(event))
            yield event
        assert stopped is not None
        frames = failure_frames(original.stderr, self.executor.program_files)
        outcome = FixOutcome(self.source.path, self.command, original, stopped,
                             transcript=transcript, code=stopped.final_code,
                             rejected=rejected, check=self.executor.check, test=self.test,
                             failing=[{"line": f.line, "function": f.function}
                                      for f in frames])
        if not outcome.fixed:
            outcome.hint = self._next_step(stopped, original, transcript)
        if outcome.fixed:
            if self.executor.check is not None:
                outcome.verified_by = "check"
            elif self.test is not None:
                outcome.verified_by = "test"
            elif frames:
                outcome.verified_by = "failing_code_runs"
            else:
                outcome.verified_by = "runs_cleanly"
        if outcome.code is not None:
            outcome.diff = unified_diff(self.source, outcome.code, label=self.label)
        if outcome.fixed and outcome.diff and self.repository is not None:
            outcome.git = self.repository.status(self.source.path)
        return outcome

    def _next_step(self, stopped: Stopped, original: ExecResult,
                   transcript: list[dict[str, Any]]) -> str:
        """What to try after a repair that did not work."""
        runs = [e["result"] for e in transcript if e.get("kind") == "execution_end"]
        same = [r for r in runs
                if (r.get("stdout"), r.get("stderr")) == (original.stdout, original.stderr)]
        if self.test is not None and runs and len(same) == len(runs):
            return (f"the --test command failed the same way for every version of "
                    f"{self.label}: check that it tests this file (run it by hand)")
        if stopped.reason == "max_time":
            return "give it more time (--max-time) or try a smaller file"
        return ("try more rounds (--rounds 5), a larger model (oci models list), or say what "
                "is wrong with -m; --json shows every attempt")

    def _view(self, original: ExecResult) -> Focus | None:
        """The part of the file a repair of ``original``'s failure shows (None: all)."""
        output = original.stderr + "\n" + original.stdout
        lines = [f.line for f in failure_frames(original.stderr, self.executor.program_files)]
        # pytest's own traceback style: `script.py:42: in cost` / `script.py:42: KeyError`.
        name = re.escape(self.source.path.name)
        lines += [int(m.group(1)) for m in
                  re.finditer(rf"(?m)^(?:\S*/)?{name}:(\d+):", output)]
        check = self.executor.check
        if check is None and self.test is not None:
            check = self._test_code()
        view = focus(self.source.text, lines, error=output, check=check,
                     module=self.source.path.stem)
        return None if view.whole else view

    def _test_code(self) -> str | None:
        """The test files the --test command names (``pytest test_x.py``, ``python t.py``),
        else the directory's ``test_*.py``: what they import from the script is shown."""
        import shlex

        folder = self.source.path.parent
        try:
            words = shlex.split(self.test or "")
        except ValueError:
            words = []
        named = [folder / w for w in words if w.endswith(".py")]
        files = [f for f in named if f.is_file()] or sorted(folder.glob("test_*.py"))[:5]
        texts = []
        for file in files[:5]:
            try:
                if file.resolve() != self.source.path.resolve() and \
                        file.stat().st_size < 200_000:
                    texts.append(file.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
        return "\n".join(texts) or None

    def _check_fits(self, backend: Backend, task: Task, reply_tokens: int,
                    view: Focus | None = None) -> None:
        need = backend.count_tokens(task.messages) + reply_tokens + 64
        if need > backend.info.n_ctx and view is not None:
            raise UsageError(
                f"the code of {self.source.path.name} that the failure involves "
                f"({view.names()}{self._largest(view)}) is too large for the model's "
                f"context: about {need:,} tokens, the context holds {backend.info.n_ctx:,}",
                "Raise --n-ctx if the model allows it, or split the largest function.")
        if need > backend.info.n_ctx:
            per_token = max(len(self.source.text.encode()) / max(reply_tokens, 1), 1.0)
            fits = int(backend.info.n_ctx / 2.4 * per_token / 1024)
            raise UsageError(
                f"{self.source.path.name} is too large for the model's context: the request "
                f"and the whole corrected file need about {need:,} tokens, the context holds "
                f"{backend.info.n_ctx:,} (files up to about {fits} KiB fit)",
                "Raise --n-ctx if the model allows it, or fix a smaller file.",
            )

    def _largest(self, view: Focus) -> str:
        """``; the largest, `report`, has 900 lines`` (empty when nothing is named)."""
        import ast

        try:
            tree = ast.parse(self.source.text)
        except (SyntaxError, ValueError):
            return ""
        sizes = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                sizes[node.name] = (node.end_lineno or node.lineno) - node.lineno + 1
        named = [(sizes[n.split(".")[-1]], n) for n in view.involved
                 if n.split(".")[-1] in sizes]
        if not named:
            return ""
        lines, name = max(named)
        return f"; the largest, `{name}`, has {lines} lines"

    def write(self, outcome: FixOutcome, *, backup: bool) -> FixOutcome:
        """Write the repaired file back (atomic; encoding, newlines and mode kept). A file
        with uncommitted changes in git always gets a backup."""
        from oci_interpreter.core.sourcefile import write_back

        assert outcome.fixed and outcome.code is not None
        kept = write_back(self.source, outcome.code, backup=backup or outcome.git is not None)
        outcome.written, outcome.backup = True, kept
        return outcome
