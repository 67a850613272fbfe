"""What the refine loop (agent/loop.py) is given and asks of others: the executor it runs
programs through (:class:`Executor`, with ``judge``), the user's answer at the run prompt
(:class:`Approval`), the loop's options (:class:`LoopOptions`, built from the settings in
one place) and the task (:class:`Task`). Every command, the chat and the benchmark drive
the loop through these; agent/execute.py has the executors (the scripted one of the tests
included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.backend.base import GenerationOptions, Message
from oci_interpreter.core.config import Strategy, default_of
from oci_interpreter.sandbox.limits import ExecResult
from oci_interpreter.sandbox.runner import OutputCallback

if TYPE_CHECKING:
    from oci_interpreter.core.config import Settings

Command = Literal["run", "fix", "chat"]
"""A command that drives the loop, for :meth:`LoopOptions.from_settings`."""



Verdict = tuple[str, str]
"""An executor's refusal of a clean run: ``(kind, why)``, as agent/verify.py's
``Rejection`` names it (``kind`` for the record, ``why`` for the model)."""


class Executor(Protocol):
    """Runs one program the way the command needs (fresh process, kernel, file copy).

    The loop uses exactly these members. An executor subclasses this protocol and
    inherits :meth:`judge`'s default (every clean run counts); one that only matches it
    (``FileExecutor``) defines all of them, and mypy checks that it does.
    Implementations: agent/execute.py (``ProgramExecutor``, ``KernelExecutor``, and
    ``ScriptedExecutor`` for tests), agent/fixrun.py (``FileExecutor``).
    """

    program_files: tuple[str, ...]
    """File names of the program in tracebacks (its frames are kept in the feedback)."""
    rename: dict[str, str]
    """Paths to replace in the output the model sees (temporary copies -> real names)."""

    def execute(self, code: str, on_output: OutputCallback | None = None) -> ExecResult:
        """Run ``code``; a program's failure is a result, never an exception."""
        ...

    def judge(self, code: str, result: ExecResult, prompts: PromptSet) -> Verdict | None:
        """Whether a run that did not fail counts: None, or the :data:`Verdict` that
        refuses it; the loop then feeds the run back as a failure with ``why`` (``oci
        fix``: the failing code must still run and nothing may be silenced; ``oci run``:
        an answer must be computed). Asked only about runs that did not fail. The
        default refuses nothing."""
        return None


@dataclass(frozen=True)
class Approval:
    """The user's answer to "run this program?" (``code`` when they edited it)."""

    run: bool
    code: str | None = None
    why: str = ""


AskFn = Callable[[str, int], Approval]
"""``ask(code, round)``: asked before each program runs (chat); None = always run."""


@dataclass(frozen=True)
class LoopOptions:
    """How the loop runs. The fields that are settings take the settings' defaults
    (core/config.py: ``rounds``, ``strategy``, ``agree``, ``max_time``, and the generation's),
    except ``candidates``, 1 here (see there); :meth:`from_settings` is how every command
    makes them from the settings."""

    max_rounds: int = default_of("rounds")
    """Execution rounds at most (programs run, counting candidates of a round as one)."""
    generation: GenerationOptions = field(default_factory=GenerationOptions)
    strategy: Strategy = default_of("strategy")
    """How a failed attempt goes back to the model: appended to the conversation,
    restated in a fresh short context (task, program, failure), or (``explain``, the
    self-debugging of Chen et al. 2023) appended after the model walked through the
    failure line by line in a fresh short context."""
    resample: int = 2
    """Extra sampled tries when the model proposes a program that already ran."""
    resample_temperature: float = 0.8
    candidates: int = 1
    """Programs generated after a failure (the first greedy, the rest sampled); the first
    that passes is kept. One here, as the chat and the benchmark's plain columns run;
    ``oci run`` and ``oci fix`` take the setting ``candidates``."""
    agree: int = default_of("agree")
    """After a clean run that printed something, ask for up to this many more programs
    for the same request (sampled), run them, and keep the answer most of the programs
    print (ties keep the first program's); stops early once agreement is clear. Only
    without a user to ask (``oci run``): the extra programs run unconfirmed. 0: off."""
    confirm: bool = True
    """After a clean run, let the model conclude (it may also revise). False: stop at the
    first clean run (``solved``)."""
    require_code: bool = True
    """When the first reply has no code, ask once for a program before giving up."""
    accept_silent: bool = False
    """A clean run that printed nothing counts as a success (``oci fix``: scripts may be
    silent); otherwise the model is told to print its result."""
    max_seconds: float = default_of("max_time")
    """The whole run at most this long (0: no limit); the loop stops with ``max_time``."""
    stdin_data: bool = False
    """Data was piped to the command and is the program's stdin: reading it is fine."""
    text_answers: bool = False
    """A first reply without code is the answer (``answered``): `oci run` on a task that
    asks for words -- explain, summarize, write a commit message (agent/tasks.py)."""
    input_ok: bool = False
    """A program that calls ``input()`` runs anyway (``oci fix``: the user's script is judged
    by running it as the original ran; a call its run never reaches, in an interactive
    mode, is no reason to skip it, and one it reaches fails there, which the model reads).
    Otherwise such a program is not run (there is no user to type)."""
    stop_after_code: bool = True
    """End a reply once it holds a complete python block that runs something (prints or
    calls at top level): the model's explanation after its code costs time and adds
    nothing the execution result will not say better."""
    feedback_chars: int = 2000
    """Budget for one execution result in the prompt (head and tail are kept)."""
    min_reply_tokens: int = 256
    """The reply room kept free when the history is trimmed to fit the context."""

    @classmethod
    def from_settings(cls, settings: Settings, command: Command) -> LoopOptions:
        """The loop's options that ``command`` takes from the configuration (file, OCI_*
        variables, flags); where the commands differ is on purpose (docs/usage.md):
        ``run`` and ``fix`` take ``rounds``, ``strategy``, ``candidates`` and ``max_time``,
        ``run`` also ``agree`` (its extra programs run unconfirmed; ``fix`` never votes);
        ``chat`` takes ``chat_rounds``, and one program per failed round (the user sees
        each before it runs), no time limit. Every command takes the generation settings.
        What a command decides beyond the settings (``oci fix``'s clean run is the end,
        the chat's reply without code is an answer, piped data) its driver adds."""
        generation = GenerationOptions.from_settings(settings)
        if command == "chat":
            return cls(max_rounds=settings.chat_rounds, generation=generation)
        return cls(max_rounds=settings.rounds, generation=generation,
                   strategy=settings.strategy, candidates=settings.candidates,
                   agree=settings.agree if command == "run" else 0,
                   max_seconds=settings.max_time)


@dataclass
class Task:
    """What the loop works on: the opening messages and how to restate a failure."""

    messages: list[Message]
    """System prompt and the user's request (plus any earlier conversation)."""
    text: str = ""
    """The task in the user's words (used to restate it in a fresh context)."""
    restate: Callable[[str, str], list[Message]] | None = None
    """``restate(code, failure)`` -> a fresh short context (``strategy="fresh"``)."""
    again: str | None = None
    """Template for the message after a failed run (``{failure}``); default: the feedback
    with the prompt set's ``failed`` hint."""
    need_code: str | None = None
    """The request when a reply has no code (default: the prompt set's ``need_code``)."""
    prepare: Callable[[str], str] | None = None
    """Turns an extracted program into the one to run (a partial answer merged into the
    whole file)."""
    from_reply: Callable[[str], str | None] | None = None
    """The program a whole reply gives, instead of extracting one and ``prepare``-ing it
    (``oci fix``: definitions and search/replace blocks applied to the file; None when
    the reply holds neither)."""
