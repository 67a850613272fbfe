"""The typed events the refine loop yields. Renderers (ui), commands (cli) and the
benchmark consume them; none of them needs to know how the loop works inside."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from oci_interpreter.backend.base import GenerationStats
from oci_interpreter.sandbox.limits import ExecResult

StopReason = Literal[
    "done",        # a program ran cleanly and the model's next reply added no new code
    "solved",      # a program passed the check (ran cleanly / the test command passed)
    "no_code",     # the model replied without a program to run
    "round_cap",   # the cap on execution rounds was reached
    "repeated",    # the model kept proposing a program that had already run
    "refused",     # the user declined to run the program
    "cancelled",   # Ctrl-C
    "max_time",    # the overall time limit (--max-time) ran out
    "answered",    # a task that asks for words got them: no program was needed
]

STOP_TEXT: dict[str, str] = {
    "done": "the program ran and the model gave its answer",
    "solved": "the program passed its check",
    "no_code": "the model replied without code to run",
    "round_cap": "reached the round limit",
    "repeated": "the model repeated a program it had already run",
    "refused": "the program was not run",
    "cancelled": "interrupted",
    "max_time": "ran out of time (--max-time)",
    "answered": "answered in words; no program was needed",
}


@dataclass(frozen=True)
class ModelStart:
    """The model starts a reply. ``purpose``: ``answer``, ``conclude`` (after a clean run),
    ``resample`` (a new try after a repeated program, sampled) or ``candidate`` (an extra
    candidate program)."""

    round: int
    purpose: str = "answer"
    prompt_tokens: int = 0
    """The request's tokens, which the model reads before it writes (some of them may
    come from the KV cache)."""
    kind: Literal["model_start"] = "model_start"


@dataclass(frozen=True)
class ModelText:
    """A chunk of the reply as it streams."""

    text: str
    kind: Literal["model_text"] = "model_text"


@dataclass(frozen=True)
class ModelReply:
    """The whole reply, and what it cost."""

    text: str
    stats: GenerationStats
    round: int
    purpose: str = "answer"
    kind: Literal["model_reply"] = "model_reply"


@dataclass(frozen=True)
class CodeFound:
    """The program the loop will run (after the user's approval, when asked)."""

    code: str
    round: int
    how: str
    """How it was extracted: ``single``, ``last``, ``joined``, ``unfenced``, ..."""
    other_languages: tuple[str, ...] = ()
    """Blocks in other languages in the same reply: shown, never run."""
    kind: Literal["code_found"] = "code_found"


@dataclass(frozen=True)
class CodeSkipped:
    """A program that was not run, and why (``input``, ``truncated``, ``repeated``,
    ``refused``, ``other_language``)."""

    code: str
    reason: str
    message: str
    kind: Literal["code_skipped"] = "code_skipped"


@dataclass(frozen=True)
class ExecutionStart:
    code: str
    round: int
    candidate: int = 0
    kind: Literal["execution_start"] = "execution_start"


@dataclass(frozen=True)
class ExecutionEnd:
    """A run's result, and the feedback text the model will read."""

    code: str
    result: ExecResult
    feedback: str
    status: str
    """``ok``, ``silent`` (clean but printed nothing) or ``failed``."""
    reason: str
    round: int
    candidate: int = 0
    rejected: str = ""
    """Set when the program ran cleanly but the executor's checks refused it (``oci fix``:
    the code that failed no longer runs, or was silenced): the kind of rejection."""
    kind: Literal["execution_end"] = "execution_end"


@dataclass(frozen=True)
class Notice:
    """Something the user should know about the loop itself (resampling, trimming)."""

    text: str
    topic: str = ""
    """What it is about, for code that acts on it: ``shortened`` (the history was cut
    to fit the context), ``no_code``, ``resample``."""
    kind: Literal["notice"] = "notice"


@dataclass(frozen=True)
class Agreement:
    """After a clean run (``oci run --agree N``): more programs were written for the same
    request and run; how many printed the answer that is kept."""

    agree: int
    """Programs that printed the kept answer (the first program counts)."""
    of: int
    """Programs that ran cleanly and printed something, the first included."""
    sampled: int
    """Extra programs asked for (sampling stops early once agreement is clear)."""
    clear: bool
    """At least two programs, and more than half of those compared, printed it."""
    switched: bool
    """The kept program is not the first one: more programs agreed on another answer."""
    output: str
    """The kept answer (as the program printed it)."""
    round: int
    kind: Literal["agreement"] = "agreement"

    def describe(self) -> str:
        """One line for people: "3 of 3 programs agree on the output"."""
        if self.of <= 1:
            return (f"no other program printed an answer ({self.sampled} more asked for): "
                    "the answer rests on one program")
        if not self.clear:
            return (f"only {self.agree} of {self.of} programs agree on the output: "
                    "check the answer")
        return f"{self.agree} of {self.of} programs agree on the output"


@dataclass
class Totals:
    """Token counts and timings of a whole loop."""

    generations: int = 0
    prompt_tokens: int = 0
    prompt_tokens_reused: int = 0
    prompt_tokens_evaluated: int = 0
    generated_tokens: int = 0
    prompt_seconds: float = 0.0
    generate_seconds: float = 0.0
    execution_seconds: float = 0.0
    executions: int = 0

    def add(self, stats: GenerationStats) -> None:
        self.generations += 1
        self.prompt_tokens += stats.prompt_tokens
        self.prompt_tokens_reused += stats.prompt_tokens_reused
        self.prompt_tokens_evaluated += stats.prompt_tokens_evaluated
        self.generated_tokens += stats.generated_tokens
        self.prompt_seconds += stats.prompt_seconds
        self.generate_seconds += stats.generate_seconds

    @property
    def tokens_per_second(self) -> float:
        return self.generated_tokens / self.generate_seconds if self.generate_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("prompt_seconds", "generate_seconds", "execution_seconds"):
            data[key] = round(data[key], 3)
        data["tokens_per_second"] = round(self.tokens_per_second, 2)
        return data


@dataclass(frozen=True)
class Stopped:
    """The last event: why the loop stopped and what it achieved."""

    reason: StopReason
    success: bool
    rounds: int
    """Execution rounds used."""
    final_code: str | None
    """The program that succeeded; else the last one tried (the best attempt)."""
    final_output: str | None
    """Stdout of the last successful run."""
    answer: str
    """The model's last words (its conclusion after a clean run)."""
    message: str
    totals: Totals = field(default_factory=Totals)
    agreement: Agreement | None = None
    """Set when the answer was checked by output agreement (``oci run --agree N``)."""
    kind: Literal["stopped"] = "stopped"


Event = (ModelStart | ModelText | ModelReply | CodeFound | CodeSkipped | ExecutionStart
         | ExecutionEnd | Notice | Agreement | Stopped)


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready view of an event (``--json`` transcripts, bench logs)."""
    data: dict[str, Any] = {"kind": event.kind}
    for name in event.__dataclass_fields__:
        if name == "kind":
            continue
        value = getattr(event, name)
        if isinstance(value, ExecResult):
            value = value.to_dict()
        elif isinstance(value, GenerationStats):
            value = {**asdict(value), "tokens_per_second": round(value.tokens_per_second, 2)}
        elif isinstance(value, Totals):
            value = value.to_dict()
        elif isinstance(value, Agreement):
            value = event_to_dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        data[name] = value
    return data
