"""What every benchmark column shares: its :class:`Setup` (a mode and a strategy), the
:class:`Outcome` of one problem in it, and :func:`score` (the hidden tests, in the
sandbox). The loop's columns (column.py) and the ``voteN`` column (vote.py) both build
on it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any, Literal

from oci_interpreter.backend.base import GenerationOptions
from oci_interpreter.bench.problems import Problem, solution_code
from oci_interpreter.core.config import Strategy
from oci_interpreter.sandbox.limits import Limits
from oci_interpreter.sandbox.runner import run_program

Mode = Literal["single", "feedback", "oracle", "run"]


@dataclass(frozen=True)
class Setup:
    """How the loop is configured for one benchmark column."""

    mode: Mode = "feedback"
    rounds: int = 1
    """Feedback rounds after the first program (the paper's table uses 1)."""
    strategy: Strategy = "conversation"
    candidates: int = 1
    resample: int = 2
    vote: int = 0
    """``voteN``: N programs and an output vote on model-written inputs (bench/vote.py)
    instead of the loop."""
    generation: GenerationOptions = field(
        default_factory=lambda: GenerationOptions(temperature=0.0, seed=1234, max_tokens=768))

    @property
    def name(self) -> str:
        """A short key: ``single``, ``oracle``, or the strategy (``conversation``,
        ``fresh``, ``candidates3``, ``noresample``...)."""
        if self.mode == "single":
            return "single"
        if self.mode == "run":
            return "ocirun"
        if self.vote:
            return f"vote{self.vote}"
        parts: list[str] = [] if self.strategy == "conversation" and (
            self.candidates > 1 or self.resample == 0) else [self.strategy]
        if self.candidates > 1:
            parts.append(f"candidates{self.candidates}")
        if self.resample == 0:
            parts.append("noresample")
        name = "+".join(parts)
        if self.mode == "oracle":
            return "oracle" if name == "conversation" else f"oracle-{name}"
        return name

    @property
    def decoding(self) -> str:
        """How the column's programs were decoded, said as it is: greedy, or greedy first
        and some sampled (the figures of a sampled column vary with the seed)."""
        greedy = f"greedy (temperature 0, seed {self.generation.seed})"
        if self.mode == "single":
            return greedy
        if self.vote:
            return (f"sampled: the first program greedy, {self.vote - 1} more sampled at "
                    f"temperature 0.8, seed {self.generation.seed}")
        if self.mode == "run":
            from oci_interpreter.agent.contracts import LoopOptions
            from oci_interpreter.core.config import Settings

            run = LoopOptions.from_settings(Settings(), "run")
            return (f"sampled: the first reply greedy; after a failed round "
                    f"{run.candidates - 1} more candidates, and a repeated program re-asked "
                    f"up to {run.resample} times, sampled at temperature "
                    f"{run.resample_temperature}, seed {self.generation.seed}")
        parts = []
        if self.candidates > 1:
            parts.append(f"after a failed round {self.candidates - 1} more candidates")
        if self.resample:
            parts.append(f"a repeated program re-asked up to {self.resample} times")
        if not parts:
            return greedy
        return (f"sampled: the first reply greedy; {' and '.join(parts)}, sampled at "
                f"temperature 0.8, seed {self.generation.seed}")

    @property
    def label(self) -> str:
        if self.mode == "single":
            return "single-turn"
        if self.mode == "run":
            return ("oci run (the user's path: the problem as the task, the examples it "
                    "states checked, oci run's default options; greedy first reply, "
                    "extra candidates sampled)")
        if self.vote:
            return f"output vote ({self.vote} programs, inputs the model wrote)"
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
    by_round: list[bool] = field(default_factory=list)
    """Passed (hidden tests) after 0, 1, ... feedback rounds; single-turn: one entry."""
    setup_name: str = ""
    prompt: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score(problem: Problem, code: str | None, limits: Limits) -> tuple[bool, str]:
    """Run ``code``'s definitions against the hidden tests: (passed, last line of error)."""
    if code is None:
        return False, "no code"
    program = f"{solution_code(problem, code)}\n\n{problem.hidden_checks}"
    with tempfile.TemporaryDirectory(prefix="oci-score-") as tmp:
        result = run_program(code=program, cwd=tmp, limits=limits)
    if result.interrupted:
        # Ctrl-C stopped the tests: the run stops here; this is not a failed solution.
        raise KeyboardInterrupt
    if result.ok:
        return True, ""
    if result.limit:
        return False, f"limit: {result.limit}"
    lines = result.stderr.strip().splitlines()
    return False, lines[-1][:200] if lines else f"exit {result.exit_code}"
