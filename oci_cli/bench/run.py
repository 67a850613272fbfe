"""Run benchmark problems through the refine loop (the same loop the commands drive).

Modes:

* ``single`` -- one reply, no execution: the program in the model's first reply.
* ``feedback`` -- the loop with what a user has: the docstring's examples run after
  each program; a failing example (or any error) goes back to the model.
* ``oracle`` -- the paper's setting, labelled as such: the hidden tests' failure is
  fed back. Never what a user gets; shown only to compare with the paper.

Every mode is scored the same way: the program's definitions plus the hidden tests,
in the sandbox.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from oci_cli.agent.events import CodeFound, ExecutionEnd, Stopped, event_to_dict
from oci_cli.agent.execute import ProgramExecutor
from oci_cli.agent.loop import LoopOptions, RefineLoop, Strategy, conversation_task
from oci_cli.agent.prompts import PromptSet, for_family
from oci_cli.backend.base import (
    Backend,
    Completion,
    GenerationOptions,
    GenerationStats,
    Message,
    ModelInfo,
)
from oci_cli.bench.problems import Problem, solution_code
from oci_cli.core.cancel import CancelToken
from oci_cli.sandbox.limits import Limits
from oci_cli.sandbox.runner import run

Mode = Literal["single", "feedback", "oracle"]

TASK = (
    "Complete this Python function so that it does what its docstring says:\n"
    "```python\n{prompt}\n```\n"
    "Write the whole function (with the imports it needs) in one ```python block, "
    "then call it on a few examples and print the results."
)


@dataclass(frozen=True)
class Setup:
    """How the loop is configured for one benchmark column."""

    mode: Mode = "feedback"
    rounds: int = 1
    """Feedback rounds after the first program (the paper's table uses 1)."""
    strategy: Strategy = "conversation"
    candidates: int = 1
    resample: int = 2
    generation: GenerationOptions = field(
        default_factory=lambda: GenerationOptions(temperature=0.0, seed=1234, max_tokens=768))

    @property
    def label(self) -> str:
        if self.mode == "single":
            return "single-turn"
        name = "execution feedback" if self.mode == "feedback" else "oracle feedback"
        extra = [self.strategy, f"{self.rounds} round{'s' if self.rounds != 1 else ''}"]
        if self.candidates > 1:
            extra.append(f"{self.candidates} candidates")
        if self.resample == 0:
            extra.append("no resampling")
        return f"{name} ({', '.join(extra)})"


@dataclass
class Outcome:
    task_id: str
    setup: str
    passed: bool
    visible_passed: bool | None
    """The visible checks passed at the end of the loop (None: single-turn, not run)."""
    rounds: int
    stop_reason: str
    code: str | None
    score_detail: str
    generated_tokens: int
    seconds: float
    events: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score(problem: Problem, code: str | None, limits: Limits) -> tuple[bool, str]:
    """Run ``code``'s definitions against the hidden tests: (passed, last line of error)."""
    if code is None:
        return False, "no code"
    program = f"{solution_code(problem, code)}\n\n{problem.hidden_checks}"
    with tempfile.TemporaryDirectory(prefix="oci-score-") as tmp:
        result = run(code=program, cwd=tmp, limits=limits)
    if result.ok:
        return True, ""
    if result.limit:
        return False, f"limit: {result.limit}"
    lines = result.stderr.strip().splitlines()
    return False, lines[-1][:200] if lines else f"exit {result.exit_code}"


def solve(backend: Backend, problem: Problem, setup: Setup, *, limits: Limits,
          prompts: PromptSet | None = None) -> Outcome:
    """One problem, one column: run the loop (or one reply) and score its program."""
    prompts = prompts or for_family(backend.info.family)
    task = conversation_task(prompts, TASK.format(prompt=problem.prompt.strip()))
    started = time.monotonic()
    checks = problem.hidden_checks if setup.mode == "oracle" else problem.visible_checks
    if setup.mode == "single":
        # The loop's own first reply (same request, same stops), nothing run after it.
        options = LoopOptions(max_rounds=1, generation=setup.generation, require_code=False,
                              confirm=False, accept_silent=True, resample=0)
    else:
        options = LoopOptions(max_rounds=1 + setup.rounds, generation=setup.generation,
                              strategy=setup.strategy, candidates=setup.candidates,
                              resample=setup.resample, confirm=False, accept_silent=True)
    with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
        executor = ProgramExecutor(tmp, limits, checks=checks)
        events = list(RefineLoop(backend, executor, prompts, options).run(task))
    stopped = events[-1]
    assert isinstance(stopped, Stopped)
    runs = [e for e in events if isinstance(e, ExecutionEnd)]
    if setup.mode == "single":
        found = [e for e in events if isinstance(e, CodeFound)]
        code = found[0].code if found else None
    else:
        code = stopped.final_code
    passed, detail = score(problem, code, limits)
    return Outcome(problem.task_id, setup.label, passed,
                   None if setup.mode == "single" else bool(runs) and stopped.success,
                   stopped.rounds, stopped.reason, code,
                   detail, stopped.totals.generated_tokens, time.monotonic() - started,
                   [event_to_dict(e) for e in events if not _is_chunk(e)])


def _is_chunk(event: object) -> bool:
    return type(event).__name__ == "ModelText"


class ReplayBackend:
    """Wraps a backend and replays a reply it already produced for the same request.

    Comparing loop strategies on one problem repeats the same first request (greedy:
    the same reply); replaying it keeps the first round identical across columns and
    costs nothing. A reply stopped early by the loop is stored as far as it was read.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.info: ModelInfo = backend.info
        self._cache: dict[tuple[Any, ...], tuple[str, GenerationStats]] = {}
        self.hits = 0

    def _key(self, messages: Sequence[Message], options: GenerationOptions) -> tuple[Any, ...]:
        return (tuple(messages), replace(options))

    def chat(self, messages: Sequence[Message], options: GenerationOptions | None = None,
             cancel: CancelToken | None = None) -> Completion:
        options = options or GenerationOptions()
        key = self._key(messages, options)
        if key in self._cache:
            self.hits += 1
            text, stats = self._cache[key]
            return Completion(iter([text]), replace(stats, prompt_seconds=0.0,
                                                    generate_seconds=0.0))
        inner = self.backend.chat(messages, options, cancel)
        parts: list[str] = []

        def chunks() -> Iterator[str]:
            try:
                for chunk in inner:
                    parts.append(chunk)
                    yield chunk
            finally:
                close = getattr(inner.chunks, "close", None)
                if close is not None:
                    close()
                if inner.stats.finish_reason != "cancelled":
                    self._cache[key] = ("".join(parts), replace(inner.stats))

        return Completion(chunks(), inner.stats)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return self.backend.count_tokens(messages)

    def close(self) -> None:
        self.backend.close()
