"""Does agreement among passing candidates undo the overfitting HumanEval+ shows? (issue 38,
item 2) -- an experiment on a logged HumanEval run, before anything goes into the loop.

Where oci's candidates column won with a sampled program (the first failed a docstring
example, candidate 1 or 2 passed), that program sometimes passes the examples by
overfitting them (HumanEval/77 returns True for every negative number): 5 such wins
fail HumanEval+. The idea: do not stop at the first passing candidate; draw more for the
same request until ``--want`` pass (at most ``--extra`` more draws), ask the model for
calls of the function on varied inputs (inputs only, no expected values: bench/vote.py's
request), and keep the passing program whose results agree most with the others',
call by call (agent/agreement.py ``vote_per_input``). Two variants are decided on the
same programs: only the passing programs vote, or every program that ran votes (the
failed first one too) while only passing ones can be kept.

Only round-1 wins are replayed (their request is the task itself); the kept program is
scored with HumanEval's and HumanEval+'s hidden tests, beside the logged winner.

    .venv/bin/python benchmarks/candidate_agreement.py \\
        --log benchmarks/results/humaneval-1.5b/humaneval-log.jsonl.gz \\
        --plus /work/hep/HumanEvalPlus.jsonl.gz --model default --out FILE.jsonl [--resume]

What it costs is reported too: the extra replies and tokens per problem.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oci_interpreter.agent.contracts import LoopOptions  # noqa: E402
from oci_interpreter.agent.events import CodeFound, ExecutionEnd  # noqa: E402
from oci_interpreter.agent.execute import ProgramExecutor  # noqa: E402
from oci_interpreter.agent.loop import RefineLoop, conversation_task  # noqa: E402
from oci_interpreter.agent.prompts import for_family  # noqa: E402
from oci_interpreter.backend.base import GenerationOptions, Message  # noqa: E402
from oci_interpreter.bench.base import score  # noqa: E402
from oci_interpreter.bench.plus import humaneval_plus, plus_limits  # noqa: E402
from oci_interpreter.bench.problems import humaneval  # noqa: E402
from oci_interpreter.bench.vote import (  # noqa: E402
    INPUTS_REQUEST,
    MAX_CALLS,
    crashed,
    parse_calls,
    signature,
)
from oci_interpreter.sandbox.limits import Limits  # noqa: E402

SEED = 1234
GENERATION = GenerationOptions(temperature=0.0, seed=SEED, max_tokens=768)


def read_rows(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def round_one_wins(rows: list[dict]) -> list[tuple[str, str, str, int]]:
    """(task id, the failed first program, the winning candidate, its number) for every
    candidates3 row whose first pass came from a sampled candidate in round 1."""
    found = []
    for row in rows:
        if row.get("setup_name") != "candidates3":
            continue
        ends = [e for e in row["events"] if e.get("kind") == "execution_end"]
        wins = [e for e in ends if e["status"] in ("ok", "silent")]
        if not wins or wins[0]["candidate"] == 0 or wins[0]["round"] != 1:
            continue
        first = next(e for e in ends if e["round"] == 1 and e["candidate"] == 0)
        found.append((row["task_id"], first["code"], wins[0]["code"], wins[0]["candidate"]))
    return found


def draw(backend, prompts, problem, seed: int, limits: Limits) -> tuple[str | None, bool, int]:
    """One sampled program for the problem's request, run with its visible checks:
    (code, passed, generated tokens)."""
    task = conversation_task(prompts, problem.request)
    options = LoopOptions(max_rounds=1, generation=replace(GENERATION, temperature=0.8,
                                                           seed=seed),
                          require_code=False, confirm=False, accept_silent=True, resample=0)
    with tempfile.TemporaryDirectory(prefix="oci-agree-") as tmp:
        executor = ProgramExecutor(tmp, limits, checks=problem.visible_checks)
        loop = RefineLoop(backend, executor, prompts, options)
        events = list(loop.run(task))
    code = next((e.code for e in events if isinstance(e, CodeFound)), None)
    ok = any(isinstance(e, ExecutionEnd) and e.status in ("ok", "silent") for e in events)
    return code, ok, loop.totals.generated_tokens


def decide(problem, programs: list[tuple[str, bool]], calls: list[str], limits: Limits,
           *, failed_vote: bool) -> int:
    """The index of the program kept: the passing one the voters agree with most, input
    by input (agent/agreement.py ``vote_per_input``'s rule: a crash scores nothing where
    another voter returned), only passing programs eligible."""
    passing = [i for i, (_, ok) in enumerate(programs) if ok]
    voters = list(range(len(programs))) if failed_vote else passing
    if len(passing) < 2 or not calls:
        return passing[0]
    signed = [(i, signature(problem, programs[i][0], calls, limits)) for i in voters]
    signed = [(i, s) for i, s in signed if s is not None]
    rows = [s.splitlines() for _, s in signed]
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    scores = {}
    for position, (i, _) in enumerate(signed):
        if i not in passing:
            continue
        total = 0
        for j in range(width):
            column = [r[j] for r in rows]
            some_returned = any(not crashed(v) for v in column)
            if some_returned and crashed(column[position]):
                continue
            total += column.count(column[position])
        scores[i] = total
    if not scores:
        return passing[0]
    # Ties keep the earliest passing program (the one the loop kept).
    return max(passing, key=lambda i: (scores.get(i, -1), -passing.index(i)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--plus", required=True)
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", required=True)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--want", type=int, default=3, help="passing programs to compare")
    parser.add_argument("--extra", type=int, default=4, help="most extra draws")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()

    out = Path(args.out)
    done = {}
    if args.resume and out.is_file():
        done = {json.loads(line)["task_id"]: json.loads(line)
                for line in out.read_text().splitlines() if line.strip()}
    elif out.exists() and out.stat().st_size:
        print(f"{out} already holds a run: add --resume", file=sys.stderr)
        return 2
    limits = Limits(timeout=10, cpu=11)
    base = {p.task_id: p for p in humaneval(None)}
    plus = {p.task_id: p for p in humaneval_plus(args.plus, limits=limits)}
    targets = round_one_wins(read_rows(Path(args.log)))
    if args.only:
        wanted = {f"HumanEval/{x.split('/')[-1]}" for x in args.only.split(",")}
        targets = [t for t in targets if t[0] in wanted]

    from oci_interpreter.backend.loader import load_backend
    from oci_interpreter.core.config import Settings

    settings = Settings(model=args.model, threads=args.threads)
    backend = load_backend(settings)
    prompts = for_family(backend.info.family)
    rows = list(done.values())
    with out.open("a", encoding="utf-8") as log:
        for task_id, first, winner, number in targets:
            if task_id in done:
                continue
            problem = base[task_id]
            started = time.monotonic()
            programs: list[tuple[str, bool]] = [(first, False), (winner, True)]
            tokens = 0
            draws = 0
            k = 3  # seeds 1234 + 7919*k; the loop's own candidates used k = 1, 2
            while sum(ok for _, ok in programs) < args.want and draws < args.extra:
                code, ok, used = draw(backend, prompts, problem, SEED + 7919 * k, limits)
                k += 1
                draws += 1
                tokens += used
                if code is not None and all(code != c for c, _ in programs):
                    programs.append((code, ok))
            calls: list[str] = []
            if sum(ok for _, ok in programs) > 1:
                request = INPUTS_REQUEST.format(request=problem.request.strip(), count=6,
                                                entry=problem.entry_point)
                completion = backend.chat([Message("user", request)], GenerationOptions(
                    temperature=0.0, seed=SEED, max_tokens=400))
                text = "".join(completion)
                tokens += completion.stats.generated_tokens
                shown = set(parse_calls(problem.request, problem.entry_point, limit=100))
                calls = [c for c in parse_calls(text, problem.entry_point, limit=100)
                         if c not in shown][:MAX_CALLS]
            kept = {"passing": decide(problem, programs, calls, limits, failed_vote=False),
                    "all_vote": decide(problem, programs, calls, limits, failed_vote=True)}
            scored = {}
            for i in sorted({1, *kept.values()}):
                he = score(problem, programs[i][0], limits)[0]
                hp = (score(plus[task_id], programs[i][0], plus_limits(limits))[0]
                      if task_id in plus else None)
                scored[i] = {"humaneval": he, "humaneval+": hp}
            row = {"task_id": task_id, "winner_candidate": number, "draws": draws,
                   "programs": len(programs), "passing": sum(ok for _, ok in programs),
                   "calls": calls, "kept": kept, "scores": {str(i): v for i, v in
                                                            scored.items()},
                   "extra_tokens": tokens, "seconds": round(time.monotonic() - started, 1),
                   "codes": [c for c, _ in programs], "ok": [ok for _, ok in programs]}
            log.write(json.dumps(row) + "\n")
            log.flush()
            rows.append(row)
            print(f"{task_id:14} passing {row['passing']}/{row['programs']} calls "
                  f"{len(calls)} kept {kept} scores {scored} {row['seconds']}s", flush=True)
    backend.close()
    summarize(rows)
    return 0


def summarize(rows: list[dict]) -> None:
    for name in ("logged", "passing", "all_vote"):
        he = hp = 0
        for row in rows:
            i = "1" if name == "logged" else str(row["kept"][name])
            he += bool(row["scores"][i]["humaneval"])
            hp += bool(row["scores"][i]["humaneval+"])
        print(f"{name:8}: {len(rows)} problems, HumanEval {he}, HumanEval+ {hp}")
    changed = sum(row["kept"]["passing"] != 1 for row in rows)
    print(f"the vote kept another program than the loop in {changed}; extra tokens "
          f"{sum(r['extra_tokens'] for r in rows)}, {sum(r['seconds'] for r in rows):.0f} s")


if __name__ == "__main__":
    sys.exit(main())
