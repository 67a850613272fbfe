"""A benchmark run: every column (single-turn, execution feedback per strategy, oracle)
over a set of problems, one problem at a time (or ``jobs`` at once on a backend that
serves requests in parallel), with a per-problem JSONL log and a summary.

The summary is what ``oci bench ... --json`` prints: ``single_turn``,
``execution_feedback`` (the first strategy), ``strategies`` (each one),
``oracle_feedback``, each with ``pass_at_1`` after ``rounds`` feedback rounds and
``by_round`` (after 0, 1, ... ``rounds_run``).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from oci_interpreter.backend.base import Backend
from oci_interpreter.bench.base import Outcome, Setup
from oci_interpreter.bench.column import (
    ReplayBackend,
    prime_first_reply,
    solve_column,
    strategy_setup,
    user_task,
)
from oci_interpreter.bench.problems import Problem
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox.limits import Limits

ORACLE_NOTE = ("the failing hidden test is fed back: the paper's oracle setting, which a "
               "user never has")


@dataclass(frozen=True)
class Plan:
    """Which columns to run."""

    rounds: int = 1
    """Feedback rounds of the headline figure (the paper's table: 1)."""
    rounds_run: int = 3
    """Feedback rounds actually run; every round up to it is reported."""
    strategies: tuple[str, ...] = ("conversation",)
    single: bool = True
    oracle: bool = True
    seed: int = 1234
    """The sampling seed of every column (greedy replies do not depend on it; the sampled
    candidates, re-asks and votes do)."""

    def setups(self) -> list[Setup]:
        out = [Setup(mode="single")] if self.single else []
        out += [strategy_setup(name, self.rounds_run) for name in self.strategies]
        if self.oracle:
            # The oracle column feeds back the hidden tests through the headline strategy's
            # loop (a vote column has no feedback: the conversation then).
            first = self.strategies[0] if self.strategies else "conversation"
            if first.strip().lower().startswith(("vote", "ocirun")):
                first = "conversation"
            out.append(strategy_setup(first, self.rounds_run, mode="oracle"))
        return [dataclasses.replace(s, generation=dataclasses.replace(s.generation,
                                                                      seed=self.seed))
                for s in out]


def parse_rounds(text: str) -> tuple[int, int]:
    """``"1,3"`` -> (headline 1, run 3); ``"2"`` -> (2, 2)."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        values = []
    if not values or values[0] < 0 or values[-1] > 10:
        raise UsageError(f"--rounds {text!r} is not a round count",
                         "Give feedback rounds from 0 to 10, e.g. 1 or 1,3.")
    return values[0], values[-1]


ProgressFn = Callable[[Problem, list[Outcome], int, int], None]


@dataclass
class SuiteResult:
    benchmark: str
    model: str
    plan: Plan
    problems: list[Problem]
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    """Per setup name, in problem order (problems not reached are missing)."""
    labels: dict[str, str] = field(default_factory=dict)
    decodings: dict[str, str] = field(default_factory=dict)
    """How each column decoded (bench/base.py ``Setup.decoding``)."""
    seconds: float = 0.0
    interrupted: bool = False
    jobs: int = 1
    speed: dict[str, Any] | None = None
    resumed: int = 0
    """Problems taken from an earlier run's log (not timed in ``seconds``)."""
    throughput: list[dict[str, Any]] = field(default_factory=list)
    """``--jobs 1,4``: the same problems run with each job count (this run's last)."""

    @property
    def finished(self) -> list[Problem]:
        finished = {o.task_id for rows in self.outcomes.values() for o in rows}
        return [p for p in self.problems if p.task_id in finished]

    def column(self, name: str) -> dict[str, Any]:
        rows = self.outcomes.get(name, [])
        n = len(rows)
        base = {o.task_id: o.passed for o in self.outcomes.get("single", [])}
        headline = self.plan.rounds if name != "single" else 0
        passed = sum(_at(o, headline) for o in rows)
        by_round: dict[str, float] = {}
        if name != "single":
            for r in range(self.plan.rounds_run + 1):
                by_round[str(r)] = _rate(sum(_at(o, r) for o in rows), n)
        data: dict[str, Any] = {
            "label": self.labels.get(name, name),
            "decoding": self.decodings.get(name, ""),
            "pass_at_1": _rate(passed, n),
            "passed": passed,
            "n": n,
        }
        if by_round:
            data["by_round"] = by_round
            data["pass_at_1_final"] = by_round[str(self.plan.rounds_run)]
        if base and name != "single":
            data["fixed_vs_single"] = sum(_at(o, headline) and not base.get(o.task_id, False)
                                          for o in rows)
            data["broken_vs_single"] = sum(base.get(o.task_id, False) and not _at(o, headline)
                                           for o in rows)
        data["generated_tokens"] = sum(o.generated_tokens for o in rows)
        data["seconds"] = round(sum(o.seconds for o in rows), 1)
        return data

    def summary(self) -> dict[str, Any]:
        done = self.finished
        out: dict[str, Any] = {
            "benchmark": self.benchmark,
            "model": self.model,
            "n": len(done),
            "n_selected": len(self.problems),
            "rounds": self.plan.rounds,
            "rounds_run": self.plan.rounds_run,
            "seed": self.plan.seed,
            "decoding": ("greedy (temperature 0) for single-turn and every column's first "
                         "reply; each column says what it sampled (its `decoding`)"),
            "with_visible_checks": sum(1 for p in done if p.visible_checks),
        }
        if "single" in self.outcomes:
            out["single_turn"] = self.column("single")
        names = [s.name for s in self.plan.setups() if s.mode in ("feedback", "run")]
        if names:
            out["execution_feedback"] = {"strategy": names[0], **self.column(names[0])}
            out["strategies"] = {name: self.column(name) for name in names}
        oracle = [s.name for s in self.plan.setups() if s.mode == "oracle"]
        if oracle:
            out["oracle_feedback"] = {"note": ORACLE_NOTE, **self.column(oracle[0])}
        out["seconds"] = round(self.seconds, 1)
        out["jobs"] = self.jobs
        ran = len(done) - self.resumed
        out["resumed"] = self.resumed
        out["problems_per_minute"] = round(60 * ran / self.seconds, 2) if self.seconds \
            and ran > 0 else 0.0
        out["interrupted"] = self.interrupted
        if self.throughput:
            rows = [*self.throughput, self.throughput_row()]
            base = rows[0]["problems_per_minute"]
            for row in rows:
                row["speedup"] = round(row["problems_per_minute"] / base, 2) if base else 0.0
            out["throughput"] = rows
        if self.speed is not None:
            out["speed"] = self.speed
        return out


    def throughput_row(self) -> dict[str, Any]:
        """How fast this run went: problems per minute with its job count."""
        ran = len(self.finished) - self.resumed
        name = next(iter(self.outcomes), "")
        column = self.column(name) if name else {}
        return {
            "jobs": self.jobs,
            "problems": ran,
            "seconds": round(self.seconds, 1),
            "problems_per_minute": round(60 * ran / self.seconds, 2) if self.seconds else 0.0,
            "first_column": name,
            "pass_at_1": column.get("pass_at_1", 0.0),
        }


def parse_jobs(text: str) -> list[int]:
    """``4`` -> [4]; ``1,4`` -> [1, 4] (each runs the problems; the last is the result)."""
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1 or max(values) > 64:
        raise UsageError(f"--jobs {text!r} is not a job count",
                         "Give problems at once from 1 to 64, e.g. 4, or 1,4 to compare.")
    return values


def _at(outcome: Outcome, feedback_round: int) -> bool:
    rounds = outcome.by_round or [outcome.passed]
    return rounds[min(feedback_round, len(rounds) - 1)]


def _rate(passed: int, n: int) -> float:
    return round(passed / n, 4) if n else 0.0


def load_log(path: Path, plan: Plan, benchmark: str, *,
             any_seed: bool = False) -> dict[str, dict[str, Outcome]]:
    """Outcomes already in a run's JSONL log (``--resume``): problem id -> column -> outcome.

    A later row for the same problem and column replaces an earlier one. A row run with
    fewer feedback rounds than ``plan`` still counts when its loop stopped before the
    round cap (greedy: more rounds would not change it); one that hit the cap is left
    out, so that column runs again with the rounds asked for. A log of another
    benchmark, or with columns ``plan`` does not have, cannot be continued.
    """
    names = {s.name for s in plan.setups()}
    found: dict[str, dict[str, Outcome]] = {}
    fields = {f.name for f in dataclasses.fields(Outcome)}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", "Check --out.") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            outcome = Outcome(**{k: v for k, v in row.items() if k in fields})
        except (ValueError, TypeError):
            if number == len(lines):
                continue  # a last line cut off by Ctrl-C: that problem runs again
            raise UsageError(f"{path}, line {number}, is not a log row",
                             "Move the file away to start afresh.") from None
        if row.get("benchmark") != benchmark or outcome.setup_name not in names:
            raise UsageError(
                f"{path} was written by another run ({row.get('benchmark')}, column "
                f"{outcome.setup_name})",
                "Resume with the same benchmark, --strategies and --oracle, or use another "
                "--out.")
        if row.get("seed", 1234) != plan.seed and not any_seed:
            raise UsageError(
                f"{path} was written with --seed {row.get('seed', 1234)}, not {plan.seed}",
                "Resume with the same --seed, or give another --out for this seed.")
        if outcome.setup_name != "single":
            want = plan.rounds_run + 1
            if len(outcome.by_round) < want:
                if outcome.stop_reason == "round_cap":
                    continue
                outcome.by_round = outcome.by_round + [outcome.by_round[-1]] * (
                    want - len(outcome.by_round))
            outcome.by_round = outcome.by_round[:want]
        found.setdefault(outcome.task_id, {})[outcome.setup_name] = outcome
    return found


SAMPLED_PURPOSES = frozenset({"candidate", "resample", "agreement"})
"""The loop's replies drawn at a temperature (agent/loop.py); every other one is greedy."""


def sampled(outcome: Outcome) -> bool:
    """Whether any reply behind ``outcome`` was sampled (its result can depend on the
    seed). A vote column always samples."""
    if outcome.setup_name.startswith("vote"):
        return True
    return any(e.get("kind") == "model_reply" and e.get("purpose") in SAMPLED_PURPOSES
               for e in outcome.events)


def log_row(benchmark: str, plan: Plan, outcome: Outcome, **extra: Any) -> str:
    """One line of a run's JSONL log."""
    return json.dumps({"benchmark": benchmark, "seed": plan.seed, **extra,
                       **outcome.as_dict()}, ensure_ascii=False) + "\n"


def adopt_unsampled(other: Path, log_path: Path, problems: Sequence[Problem], plan: Plan,
                    benchmark: str, done: dict[str, dict[str, Outcome]]
                    ) -> dict[str, dict[str, Outcome]]:
    """``--unsampled-from``: the problems of ``other`` (the --out folder of a run with
    another seed) among ``problems``, not in ``done``, where no column sampled: appended
    to this run's log (marked ``unsampled_from``) and returned, to be kept, not run."""
    found = unsampled_from(other / f"{benchmark}-log.jsonl", plan, benchmark)
    wanted = {p.task_id for p in problems}
    taken = {task: columns for task, columns in found.items()
             if task in wanted and task not in done}
    if taken:
        with log_path.open("a", encoding="utf-8") as log:
            for columns in taken.values():
                for outcome in columns.values():
                    log.write(log_row(benchmark, plan, outcome, unsampled_from=str(other)))
    return taken


def unsampled_from(path: Path, plan: Plan, benchmark: str) -> dict[str, dict[str, Outcome]]:
    """``--unsampled-from``: the problems of another seed's log whose every column of
    ``plan`` sampled nothing -- greedy only, so the seed cannot change them -- to be kept
    in a run with another seed instead of being run again (a sampled column's spread
    over seeds comes from the problems where it did sample)."""
    if not path.is_file():
        raise UsageError(f"no run log at {path}",
                         "Give --unsampled-from the --out folder of the other seed's run.")
    names = {s.name for s in plan.setups()}
    found = load_log(path, plan, benchmark, any_seed=True)
    return {task: columns for task, columns in found.items()
            if set(columns) >= names and not any(sampled(o) for o in columns.values())}


def _same_first_round(kept: dict[str, Outcome], setup: Setup) -> Outcome | None:
    """A column's outcome when another column of the same mode already shows it.

    Feedback strategies differ only after a failed first program: they send the same
    first request (greedy: the same reply) and run the same checks. When another column
    of the mode passed its checks with its first program, this one would too -- same
    program, same score -- so it is copied instead of run (``--resume`` adding a
    strategy column then costs only the problems where the strategies differ). Only when
    that first program is the one that passed: a ``candidatesN`` column can solve round 1
    with a later candidate after the first program failed.
    """
    if setup.mode in ("single", "run") or setup.vote:
        return None
    for other in kept.values():
        programs_run = sum(1 for e in other.events if e.get("kind") == "execution_end")
        if (other.setup_name != "single" and other.setup_name.startswith("oracle")
                == (setup.mode == "oracle") and other.rounds == 1
                and other.stop_reason == "solved" and programs_run == 1):
            return dataclasses.replace(other, setup=setup.label, setup_name=setup.name,
                                       by_round=[other.by_round[0]] * (setup.rounds + 1),
                                       events=[*other.events])
    return None


def run_suite(backend: Backend, problems: Sequence[Problem], plan: Plan, *, benchmark: str,
              limits: Limits, jobs: int = 1, log: IO[str] | None = None,
              progress: ProgressFn | None = None,
              done: dict[str, dict[str, Outcome]] | None = None) -> SuiteResult:
    """Run every column of ``plan`` on ``problems``; Ctrl-C ends it with what is done.

    The first reply is the same request in every column; :class:`ReplayBackend` gives
    it once. ``jobs`` > 1 needs a backend that serves requests in parallel
    (``backend.parallel``); each problem's columns still run in order. ``done``: the
    outcomes of an earlier run (``load_log``), kept, not run again.
    """
    setups = plan.setups()
    if not setups:
        raise UsageError("nothing to run", "Keep at least one column.")
    if jobs > 1 and not backend.parallel:
        raise UsageError(
            "--jobs above 1 needs a model server that serves requests in parallel",
            "The in-process model answers one request at a time: use --jobs 1.")
    result = SuiteResult(benchmark, backend.info.name, plan, list(problems), jobs=jobs,
                         labels={s.name: s.label for s in setups},
                         decodings={s.name: s.decoding for s in setups},
                         outcomes={s.name: [] for s in setups})
    lock = threading.Lock()
    stop = CancelToken()  # Ctrl-C with --jobs: the problems under way stop too
    started = time.monotonic()
    finished = 0

    done = done or {}

    def one(problem: Problem) -> list[Outcome]:
        # Each problem gets its own replay cache (its first reply is shared by its columns).
        replay = ReplayBackend(backend)
        kept = dict(done.get(problem.task_id, {}))
        if "single" in kept and len(kept) < len(setups):
            # A column added to a logged run starts from the logged first reply.
            prime_first_reply(replay, problem, kept["single"])
        outcomes = []
        for setup in setups:
            outcome = kept.get(setup.name) or _same_first_round(kept, setup)
            if outcome is None:
                if stop.cancelled:
                    raise KeyboardInterrupt
                outcome = solve_column(replay, problem, setup, limits=limits,
                                cancel=stop if jobs > 1 else None)
                if outcome.stop_reason == "cancelled":
                    # Ctrl-C reached the loop (it stops the reply or the program rather
                    # than raising): the run stops here, this problem is not counted.
                    raise KeyboardInterrupt
            kept[setup.name] = outcome
            outcomes.append(outcome)
        return outcomes

    def record(problem: Problem, outcomes: list[Outcome]) -> None:
        nonlocal finished
        kept = done.get(problem.task_id, {})
        with lock:
            for outcome in outcomes:
                result.outcomes[outcome.setup_name].append(outcome)
                if log is not None and kept.get(outcome.setup_name) is not outcome:
                    log.write(log_row(benchmark, plan, outcome))
            if log is not None:
                log.flush()
            finished += 1
            if progress is not None:
                progress(problem, outcomes, finished, len(problems))

    names = [s.name for s in setups]
    for problem in problems:
        for outcome in done.get(problem.task_id, {}).values():
            asked = user_task(problem) if outcome.setup_name == "ocirun" else problem.request
            if outcome.prompt and outcome.prompt != asked:
                raise UsageError(
                    f"the log was written with another request for {problem.task_id} "
                    "(an earlier version of oci)",
                    "Start a new run with another --out; results of different requests "
                    "do not mix.")
    complete = [p for p in problems if all(n in done.get(p.task_id, {}) for n in names)]
    for problem in complete:
        for name in names:
            result.outcomes[name].append(done[problem.task_id][name])
    todo = [p for p in problems if p not in complete]
    finished = len(complete)
    try:
        if jobs <= 1:
            for problem in todo:
                record(problem, one(problem))
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(one, p): p for p in todo}
                try:
                    for future in futures:
                        record(futures[future], future.result())
                except KeyboardInterrupt:
                    stop.cancel()
                    for future in futures:
                        future.cancel()
                    raise
    except KeyboardInterrupt:
        result.interrupted = True
    result.seconds = time.monotonic() - started
    result.resumed = len(complete)
    # A problem is recorded with all its columns at once; resumed ones came first.
    order = {p.task_id: i for i, p in enumerate(problems)}
    for rows in result.outcomes.values():
        rows.sort(key=lambda o: order[o.task_id])
    return result


def open_log(out_dir: Path | None, benchmark: str, plan: Plan,
             resume: bool) -> tuple[Path | None, dict[str, dict[str, Outcome]]]:
    """Where the run's log goes and, with ``resume``, the outcomes it already holds.
    Refuses to resume without a log, and to overwrite one without ``resume``."""
    log_path = out_dir / f"{benchmark}-log.jsonl" if out_dir else None
    if resume:
        if log_path is None or not log_path.is_file():
            raise UsageError("--resume needs the --out directory of an earlier run",
                             f"Give --out DIR where {benchmark}-log.jsonl was written.")
        return log_path, load_log(log_path, plan, benchmark)
    if log_path is not None and log_path.exists() and log_path.stat().st_size:
        raise UsageError(f"{log_path} already holds a run",
                         "Add --resume to continue it, or give another --out.")
    return log_path, {}


def compare_throughput(backend: Backend, problems: Sequence[Problem], plan: Plan, *,
                       benchmark: str, limits: Limits, job_counts: Sequence[int],
                       progress: ProgressFn | None = None,
                       on_start: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """The same problems once per job count (no log): each run's throughput row.
    ``on_start(jobs)`` is called before each run. Ctrl-C stops the comparison."""
    rows = []
    for count in job_counts:
        if on_start is not None:
            on_start(count)
        earlier = run_suite(backend, problems, plan, benchmark=benchmark, limits=limits,
                            jobs=count, progress=progress)
        if earlier.interrupted:
            raise KeyboardInterrupt
        rows.append(earlier.throughput_row())
    return rows
