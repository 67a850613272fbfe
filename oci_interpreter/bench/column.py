"""One benchmark problem in one column (a mode and a strategy), through the refine loop
the commands drive.

Modes:

* ``single`` -- one reply, no execution: the program in the model's first reply.
* ``feedback`` -- the loop with what a user has: the visible checks (the docstring's
  examples, MBPP's shown test) run after each program; a failing check (or any error)
  goes back to the model.
* ``oracle`` -- the paper's setting, labelled as such: the hidden tests' failure is
  fed back. Never what a user gets; shown only to compare with the paper.

Every mode is scored the same way: the program's definitions plus the hidden tests,
in the sandbox. One loop run with R feedback rounds also gives the result after each
earlier round (greedy decoding: a run capped at r rounds is the same run, stopped
earlier), so ``by_round`` costs nothing extra.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from oci_interpreter.agent.contracts import LoopOptions
from oci_interpreter.agent.events import CodeFound, ExecutionEnd, Stopped, event_to_dict
from oci_interpreter.agent.execute import ProgramExecutor
from oci_interpreter.agent.loop import RefineLoop, conversation_task
from oci_interpreter.agent.prompts import PromptSet, for_family
from oci_interpreter.backend.base import (
    Backend,
    Completion,
    GenerationOptions,
    GenerationStats,
    Message,
    ModelInfo,
)
from oci_interpreter.bench.base import Mode, Outcome, Setup, score
from oci_interpreter.bench.problems import Problem
from oci_interpreter.bench.vote import solve_vote
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox.limits import Limits

STRATEGIES = ("conversation", "fresh", "explain", "candidates3", "noresample", "vote3",
              "ocirun")
"""Named loop strategies for the execution-feedback column (``candidatesN`` and ``voteN``
for any N from 2 to 9)."""


def strategy_setup(name: str, rounds: int, mode: Mode = "feedback") -> Setup:
    """The setup for a named strategy (see :data:`STRATEGIES`)."""
    key = name.strip().lower()
    if key == "ocirun" and mode == "feedback":
        return Setup(mode="run", rounds=rounds)
    if key == "conversation":
        return Setup(mode=mode, rounds=rounds)
    if key in ("fresh", "explain"):
        return Setup(mode=mode, rounds=rounds, strategy=key)  # type: ignore[arg-type]
    if key == "noresample":
        return Setup(mode=mode, rounds=rounds, resample=0)
    if key.startswith("candidates"):
        count = key.removeprefix("candidates") or "3"
        if count.isdigit() and 2 <= int(count) <= 9:
            return Setup(mode=mode, rounds=rounds, candidates=int(count))
    if key.startswith("vote") and mode == "feedback":
        count = key.removeprefix("vote") or "3"
        if count.isdigit() and 2 <= int(count) <= 9:
            return Setup(mode=mode, rounds=rounds, vote=int(count))
    raise UsageError(f"unknown strategy {name!r}",
                     f"Use {', '.join(STRATEGIES)} (candidatesN, voteN: N from 2 to 9).")


def solve_column(backend: Backend, problem: Problem, setup: Setup, *, limits: Limits,
          prompts: PromptSet | None = None, cancel: CancelToken | None = None) -> Outcome:
    """One problem, one column: run the loop (or one reply) and score its program.

    ``cancel`` stops it (stop reason ``cancelled``); in the main thread Ctrl-C sets it too.
    """
    if setup.vote:
        return solve_vote(backend, problem, setup, limits=limits, prompts=prompts,
                          cancel=cancel)
    if setup.mode == "run":
        return solve_as_oci_run(backend, problem, setup, limits=limits)
    prompts = prompts or for_family(backend.info.family)
    task = conversation_task(prompts, problem.request)
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
        events = list(RefineLoop(backend, executor, prompts, options, cancel=cancel).run(task))
    stopped = events[-1]
    assert isinstance(stopped, Stopped)
    runs = [e for e in events if isinstance(e, ExecutionEnd)]
    if setup.mode == "single":
        found = [e for e in events if isinstance(e, CodeFound)]
        codes: list[str | None] = [found[0].code if found else None]
    else:
        codes = codes_by_round(events, setup.rounds)
        codes[-1] = stopped.final_code
    scored: dict[str | None, tuple[bool, str]] = {}
    for code in codes:
        if code not in scored:
            scored[code] = score(problem, code, limits)
    passed, detail = scored[codes[-1]]
    return Outcome(problem.task_id, setup.label, passed,
                   None if setup.mode == "single" else bool(runs) and stopped.success,
                   stopped.rounds, stopped.reason, codes[-1],
                   detail, stopped.totals.generated_tokens, time.monotonic() - started,
                   [event_to_dict(e) for e in events if not _is_chunk(e)],
                   by_round=[scored[code][0] for code in codes], setup_name=setup.name,
                   prompt=task.messages[-1].content)


def user_task(problem: Problem) -> str:
    """The problem as a user would type it to `oci run`: HumanEval, the prompt (signature
    and docstring, with its examples); MBPP, the sentence and the test it shows."""
    if problem.dataset == "mbpp":
        return f"{problem.prompt.strip()}\n{problem.shown_test.strip()}"
    return problem.prompt.strip()


def solve_as_oci_run(backend: Backend, problem: Problem, setup: Setup, *,
                     limits: Limits) -> Outcome:
    """One problem through `oci run`'s own path (agent/solve.py ``solve``): the task as a
    user types it, the examples it states checked after each program, oci run's default
    options (rounds, candidates, generation), the answer checks. Scored: the program oci
    run hands back (only when it says solved) against the hidden tests."""
    from oci_interpreter.agent.hints import installed_modules
    from oci_interpreter.agent.solve import solve, task_checks
    from oci_interpreter.agent.tasks import wants_words
    from oci_interpreter.core.config import Settings

    text = user_task(problem)
    options = LoopOptions.from_settings(Settings(seed=setup.generation.seed), "run")
    checks, examples = task_checks(text)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
        executor = ProgramExecutor(tmp, limits, checks=checks, check_answers=True, task=text)
        outcome = solve(backend, executor, text, options, examples=examples,
                        words=wants_words(text), modules=installed_modules())
    stopped = outcome.stopped
    code = stopped.final_code if stopped.success else None
    passed, detail = score(problem, code, limits) if code else (False, "not solved")
    return Outcome(problem.task_id, setup.label, passed, stopped.success, stopped.rounds,
                   stopped.reason, stopped.final_code, detail,
                   stopped.totals.generated_tokens, time.monotonic() - started,
                   outcome.transcript, by_round=[passed], setup_name=setup.name,
                   prompt=text)


def codes_by_round(events: Sequence[object], rounds: int) -> list[str | None]:
    """The program the loop would hand back after 0, 1, ... ``rounds`` feedback rounds.

    After execution round r (round 1 is the first program), that is the program that
    passed its checks in round r (the loop stops there), else the round's main program
    (candidate 0), else what an earlier round left (a round that ran nothing).
    """
    ran: dict[int, str] = {}
    passed_in: set[int] = set()
    for event in events:
        if not isinstance(event, ExecutionEnd) or event.round in passed_in:
            continue
        if event.status in ("ok", "silent"):
            ran[event.round] = event.code
            passed_in.add(event.round)
        elif event.candidate == 0:
            ran[event.round] = event.code
    codes: list[str | None] = []
    current: str | None = None
    for execution_round in range(1, rounds + 2):
        current = ran.get(execution_round, current)
        codes.append(current)
    return codes


def prime_first_reply(replay: ReplayBackend, problem: Problem, logged: Outcome,
                      prompts: PromptSet | None = None) -> bool:
    """Prime ``replay`` with the first reply of a logged outcome (``--resume``), when the
    request is still the one it answered (same text, same prompt tokens)."""
    reply = next((e for e in logged.events if e.get("kind") == "model_reply"), None)
    prompts = prompts or for_family(replay.info.family)
    task = conversation_task(prompts, problem.request)
    if reply is None or logged.prompt != task.messages[-1].content:
        return False
    known = {f.name for f in dataclasses.fields(GenerationStats)}
    stats = GenerationStats(**{k: v for k, v in reply.get("stats", {}).items() if k in known})
    if stats.prompt_tokens and replay.count_tokens(task.messages) != stats.prompt_tokens:
        return False  # the system prompt changed since
    replay.prime(task.messages, reply.get("text", ""), stats)
    return True


def _is_chunk(event: object) -> bool:
    return type(event).__name__ == "ModelText"


class ReplayBackend(Backend):
    """Wraps a backend and replays a reply it already produced for the same request.

    Comparing loop strategies on one problem repeats the same first request (greedy:
    the same reply); replaying it keeps the first round identical across columns and
    costs nothing. A reply stopped early by the loop is stored as far as it was read.
    Not ``parallel``: one problem's columns run in order.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.info: ModelInfo = backend.info
        self._cache: dict[tuple[Any, ...], tuple[str, GenerationStats]] = {}
        self._primed: tuple[tuple[Message, ...], str, GenerationStats] | None = None
        self.hits = 0

    def prime(self, messages: Sequence[Message], text: str, stats: GenerationStats) -> None:
        """Give ``text`` as the greedy reply to ``messages`` (whatever its token cap and
        stops): the first reply an earlier run logged. Greedy decoding is not the same
        from run to run (the thread count, the KV cache's reuse change the arithmetic, and
        a near tie can go the other way), so a column added with ``--resume`` would
        otherwise start from another first program than the columns already logged."""
        self._primed = (tuple(messages), text, stats)

    def _key(self, messages: Sequence[Message], options: GenerationOptions) -> tuple[Any, ...]:
        return (tuple(messages), replace(options))

    def chat(self, messages: Sequence[Message], options: GenerationOptions | None = None,
             cancel: CancelToken | None = None) -> Completion:
        options = options or GenerationOptions()
        key = self._key(messages, options)
        if (key not in self._cache and self._primed is not None
                and self._primed[0] == tuple(messages) and options.temperature == 0):
            self._cache[key] = self._primed[1:]
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
                inner.close()
                if inner.stats.finish_reason != "cancelled":
                    self._cache[key] = ("".join(parts), replace(inner.stats))

        return Completion(chunks(), inner.stats)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return self.backend.count_tokens(messages)

    def close(self) -> None:
        self.backend.close()
