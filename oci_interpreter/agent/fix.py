"""`oci fix` as one call: :meth:`FixJob.run` runs the script as it is, agrees on a check
written from the user's description, repairs with the refine loop and writes the file back,
yielding typed events (the loop's and :data:`FixEvent`'s own) and ending with the
:class:`FixOutcome`. The user's decisions (accept the check, accept the write) are callbacks,
as the loop's ``ask`` is; the command, chat ``/fix`` and the benchmark only render and answer.

How the file, a candidate, the check and the test command run: agent/fixrun.py; what the
model is asked and how its reply becomes the file: agent/fixtask.py; the events and the
outcome: agent/fixoutcome.py (both re-exported here). The file
itself is written only by :meth:`FixJob.write` (core/sourcefile.py's atomic writer), once
the ``accept_write`` callback said yes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from oci_interpreter.agent.contracts import LoopOptions, Task
from oci_interpreter.agent.events import Event, ExecutionEnd, Notice, Stopped
from oci_interpreter.agent.fixoutcome import (
    CheckWriting,
    CheckWritten,
    FileRunEnd,
    FileRunStart,
    FixEnd,
    FixEvent,
    FixFound,
    FixOutcome,
    follow_fix,
)
from oci_interpreter.agent.fixrun import FileExecutor, command_line
from oci_interpreter.agent.fixtask import (
    FOCUS_ABOVE_TOKENS,
    _asserts_nothing,
    first_failure,
    fix_options,
    fix_task,
    never_passes,
    program_of,
)
from oci_interpreter.agent.focus import Focus, focus
from oci_interpreter.agent.loop import RefineLoop
from oci_interpreter.agent.verify import failure_frames
from oci_interpreter.backend.base import Backend, GenerationOptions, Message
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import UsageError
from oci_interpreter.core.git import GitRepository
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import OutputCallback, resolve_workdir

__all__ = ["FOCUS_ABOVE_TOKENS", "CheckWriting", "CheckWritten", "FileRunEnd", "FileRunStart",
           "FixEnd", "FixEvent", "FixFound", "FixJob", "FixOutcome", "first_failure",
           "fix_options", "fix_task", "follow_fix", "never_passes", "program_of"]


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
