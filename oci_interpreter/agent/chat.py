"""`oci chat`'s controller: what a message, an answer at the run prompt and each slash
command do to the conversation, the kernel and the model.

:class:`ChatController` owns every decision of the chat that changes what the model reads
or how the loop runs: the loop's policy for a turn (:meth:`~ChatController.turn_options`),
what an answer at the run prompt means (:class:`Answer`: run, edited, always, or guidance
for the model, which is re-run as the next request: :meth:`~ChatController.follow_up`),
what the model reads about a program the user ran (``/run``, ``/edit``), new limits and a
restarted kernel (``/limits``), another model and its prompts (``/model``), `oci fix`
inside the chat (``/fix``: :meth:`FixJob.run <oci_interpreter.agent.fix.FixJob.run>`,
the same process as the command), and the check of a reply that cites a result when
nothing ran (agent/claims.py). It knows nothing about terminals: ui/chat.py reads the
user's lines, turns them into these calls and renders the events.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from oci_interpreter.agent.claims import ResultClaims, UnfoundedResult
from oci_interpreter.agent.contracts import Approval, AskFn, LoopOptions
from oci_interpreter.agent.events import Event, Stopped
from oci_interpreter.agent.execute import KernelExecutor
from oci_interpreter.agent.prompts import PromptSet, for_family
from oci_interpreter.agent.session import ChatSession, Turn
from oci_interpreter.backend.base import Backend
from oci_interpreter.core.config import Settings, default_of
from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import OutputCallback

if TYPE_CHECKING:  # agent/fix.py is imported when /fix is first used
    from oci_interpreter.agent.fix import FixEvent, FixOutcome

ChatEvent = Event | UnfoundedResult
"""What a turn yields: the loop's events, and :class:`UnfoundedResult` before the last
one when a reply cited a result no program produced."""


@dataclass
class ChatOptions:
    rounds: int = default_of("chat_rounds")
    """Execution rounds per message."""
    auto_run: bool = False
    """Programs run without asking (``--yes``, ``auto_run``; ``/auto`` toggles it)."""
    loop: LoopOptions = field(default_factory=LoopOptions)
    autosave: Path | None = None
    """Where the session is saved after each turn (None: not saved)."""
    editor: str | None = None
    """Command for /edit and the ``e`` answer (default: $VISUAL, $EDITOR, nano, vi)."""
    settings: Settings = field(default_factory=Settings)
    """The session's settings (what /fix repairs with: rounds, candidates, limits)."""

    @classmethod
    def from_settings(cls, settings: Settings, *, auto_run: bool,
                      autosave: Path | None) -> ChatOptions:
        """`oci chat`'s options: the loop's as the chat takes them from the settings
        (:meth:`LoopOptions.from_settings`: its rounds, the model's generation)."""
        loop = LoopOptions.from_settings(settings, "chat")
        return cls(rounds=loop.max_rounds, auto_run=auto_run, autosave=autosave,
                   settings=settings, loop=loop)


@dataclass(frozen=True)
class Answer:
    """The user's answer when asked before a program runs."""

    run: bool = True
    code: str | None = None
    """The program as the user edited it (None: as the model wrote it)."""
    always: bool = False
    """Run this one and every later one without asking."""
    guidance: str | None = None
    """Words for the model instead of a run: the program is not run, the model reads why,
    and the words are the next request."""


ConfirmFn = Callable[[str, int], Answer]
"""``confirm(code, round)``: the user's :class:`Answer` (asked only when not auto)."""


@dataclass(frozen=True)
class FixCall:
    """``/fix [--no-backup] FILE [what it does wrong]``, read."""

    name: str
    """The file as the user named it."""
    path: Path
    """The file (a relative name is in the kernel's working directory)."""
    description: str | None
    backup: bool


class ChatController:
    """One chat: the model, the kernel, the conversation and the chat's policy."""

    def __init__(self, backend: Backend, kernel: Kernel, options: ChatOptions | None = None,
                 *, session: ChatSession | None = None, prompts: PromptSet | None = None,
                 load_model: Callable[[str], Backend] | None = None,
                 family: str = "auto", modules: Sequence[str] = ()) -> None:
        self.backend = backend
        self.modules = tuple(modules)
        """Third-party packages the kernel's programs may import, named to the model."""
        self.kernel = kernel
        self.executor = KernelExecutor(kernel)
        self.examples = 0
        """Examples the current message states (checked after each of its programs)."""
        self.options = options or ChatOptions()
        self.session = session or ChatSession(model=backend.info.name)
        self.prompts = prompts or for_family(family).with_modules(self.modules)
        self.load_model = load_model
        """Loads another model by name (``/model``); None: switching is not offered."""
        self.auto = self.options.auto_run
        """Programs run without asking."""
        self.guidance: str | None = None
        """Words the user typed at the run prompt in this turn: the next request."""

    # ---------------------------------------------------------------- turns --

    def turn_options(self) -> LoopOptions:
        """The loop's options for one message: the chat's rounds, and a reply without code
        is an answer, not a failure (a message may need no program: "what does this error
        mean?")."""
        return replace(self.options.loop, max_rounds=self.options.rounds, require_code=False)

    def turn(self, request: str, confirm: ConfirmFn,
             on_output: OutputCallback | None = None) -> Generator[ChatEvent, None, None]:
        """One message: the loop's events until its stop rules say done, the turn recorded
        however it ends (closing the generator records it too). ``confirm`` is asked
        before each program runs, unless :attr:`auto`."""
        from oci_interpreter.agent.solve import task_checks

        self.guidance = None
        claims = ResultClaims()
        # The examples this message states are checked after each of its programs.
        self.executor.checks, self.examples = task_checks(request)
        events = self.session.run_turn(request, self.backend, self.executor, self.prompts,
                                       self.turn_options(), ask=self._ask(confirm),
                                       on_output=on_output)
        try:
            for event in events:
                claims.see(event)
                if isinstance(event, Stopped) and claims.unfounded:
                    yield UnfoundedResult()
                yield event
        finally:
            events.close()

    def _ask(self, confirm: ConfirmFn) -> AskFn:
        def ask(code: str, round_: int) -> Approval:
            if self.auto:
                return Approval(True)
            answer = confirm(code, round_)
            if answer.always:
                self.auto = True
            if answer.guidance is not None:
                self.guidance = answer.guidance
                return Approval(False, why=self.prompts.user_says.format(text=answer.guidance))
            return Approval(answer.run, code=answer.code)

        return ask

    def follow_up(self) -> str | None:
        """The request that follows the turn just run: the user's guidance (then the
        model reads that nothing ran, and the words as the request), else None."""
        guidance, self.guidance = self.guidance, None
        if guidance is not None:
            self.session.pending = self.prompts.refused.format(why="")
        return guidance

    def autosave(self) -> str | None:
        """Save the session where the options say; None, or why it could not (and the
        session is not saved automatically any more)."""
        path = self.options.autosave
        if path is None or not self.session.turns:
            return None
        try:
            self.session.save(path)
        except OSError as exc:
            self.options.autosave = None
            return f"could not save the session to {path}: {exc.strerror}"
        return None

    # ------------------------------------------------------------- commands --

    def reset(self) -> None:
        """``/reset``: a new conversation and a fresh kernel."""
        self.session.reset()
        self.kernel.restart()

    def undo(self) -> Turn | None:
        """``/undo``: the last exchange dropped (its variables stay in the kernel)."""
        return self.session.undo()

    def load(self, path: Path) -> ChatSession:
        """``/load``: continue a saved conversation (the kernel is not touched)."""
        self.session = ChatSession.load(path)
        return self.session

    def toggle_auto(self) -> bool:
        """``/auto``: whether programs now run without asking."""
        self.auto = not self.auto
        return self.auto

    def run_by_user(self, code: str, *, edited: bool,
                    on_output: OutputCallback | None = None) -> ExecResult:
        """``/run`` (``edited`` False: the last program again) and ``/edit``: ``code`` runs
        in the kernel; the model reads what the user did and the result with the next
        request."""
        note = (self.prompts.user_edited.format(code=code.rstrip()) if edited
                else self.prompts.user_reran)
        result = self.executor.execute(code, on_output)
        self.session.record_user_run(code, result, note, self.prompts, self.executor)
        return result

    def set_limits(self, arg: str) -> Limits:
        """``/limits KEY=VALUE ...`` (setting names: ``timeout=30 memory=2G``): the
        kernel's new limits; the kernel restarts, its variables are gone. A bad item is a
        usage error, and nothing changes."""
        from oci_interpreter.core.config import coerce
        from oci_interpreter.sandbox.limits import SETTINGS

        values: dict[str, object] = {}
        for item in arg.split():
            key, eq, value = item.partition("=")
            key = key.replace("-", "_")
            if not eq or key not in SETTINGS:
                raise UsageError(f"/limits {item}: expected KEY=VALUE with KEY one of "
                                 f"{', '.join(SETTINGS)}", "For example /limits timeout=30")
            values[key] = coerce(key, value, f"/limits {key}")
        limits = self.kernel.limits.with_settings(**values)
        self.kernel.limits = limits
        self.kernel.restart()
        return limits

    def switch_model(self, name: str) -> Backend:
        """``/model NAME``: chat with another model (its prompts too); the conversation is
        kept, the old model closed. A model that cannot be loaded changes nothing."""
        if self.load_model is None:
            raise UsageError("switching models is not available here")
        new = self.load_model(name)
        old, self.backend = self.backend, new
        old.close()
        self.prompts = for_family(new.info.family).with_modules(self.modules)
        self.session.model = new.info.name
        return new

    def fix_call(self, arg: str) -> FixCall | None:
        """``/fix``'s words read, as `oci fix` reads its own (None: no file named)."""
        parts = arg.split()
        backup = "--no-backup" not in parts[:2]  # as `oci fix --no-backup`
        if not backup:
            parts.remove("--no-backup")
        if not parts:
            return None
        name = parts[0]
        path = Path(name).expanduser()
        return FixCall(name=name, path=path if path.is_absolute() else self.kernel.workdir / path,
                       description=" ".join(parts[1:]).strip() or None, backup=backup)

    def fix(self, call: FixCall, *, accept_check: Callable[[str], bool],
            accept_write: Callable[[FixOutcome], bool],
            on_output: OutputCallback | None = None) -> Iterator[FixEvent]:
        """`oci fix` inside the chat, with this model and the chat's settings: the file is
        opened now (a refusal is raised here), then :meth:`FixJob.run
        <oci_interpreter.agent.fix.FixJob.run>`'s events, the last the outcome."""
        from oci_interpreter.agent.fix import FixJob

        job = FixJob(call.path, [], self.options.settings, label=call.name)
        return job.run(self.backend, description=call.description,
                       accept_check=accept_check, accept_write=accept_write,
                       backup=call.backup, on_output=on_output)
