"""Does the refine loop beat a single reply on HumanEval? Columns side by side, one run.

Drives oci_interpreter.bench (the refine loop the commands use) over HumanEval problems and
scores every column with the hidden tests. The loop only sees what a user would
have: the examples in the docstring, run after the model's program. The oracle
column (hidden test failures fed back, the paper's setting) is labelled as such.

    .venv/bin/python benchmarks/humaneval_loop.py --limit 20
    .venv/bin/python benchmarks/humaneval_loop.py --columns single,conversation,fresh \\
        --skip 40 --out /tmp/he.jsonl

Columns: single (one reply, not run), conversation, fresh, candidatesN (N programs per
failed round), noresample (conversation without resampling a repeated program),
oracle. ``--rounds`` sets the feedback rounds after the first program (default 1,
as in the paper's table). Greedy decoding; the first reply is shared by all columns.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oci_interpreter.bench.problems import humaneval, select  # noqa: E402
from oci_interpreter.bench.run import Outcome, ReplayBackend, Setup, solve  # noqa: E402
from oci_interpreter.sandbox.limits import Limits  # noqa: E402


def column(name: str, rounds: int) -> Setup:
    if name == "single":
        return Setup(mode="single")
    if name == "conversation":
        return Setup(rounds=rounds)
    if name == "fresh":
        return Setup(rounds=rounds, strategy="fresh")
    if name == "noresample":
        return Setup(rounds=rounds, resample=0)
    if name.startswith("candidates"):
        return Setup(rounds=rounds, candidates=int(name.removeprefix("candidates") or 3))
    if name == "oracle":
        return Setup(mode="oracle", rounds=rounds)
    raise SystemExit(f"unknown column {name!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model name or .gguf path")
    parser.add_argument("--columns", default="single,conversation,fresh,candidates3")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", default=None, help="problem ids, e.g. 0,5,17")
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--out", type=Path, default=None, help="JSONL log, one row per column")
    args = parser.parse_args()

    names = [c.strip() for c in args.columns.split(",") if c.strip()]
    setups = [column(name, args.rounds) for name in names]
    problems = select(humaneval(), args.only, args.skip, args.limit)

    from oci_interpreter.backend.llama import LlamaBackend
    from oci_interpreter.core.config import Settings
    from oci_interpreter.core.store import resolve_model

    resolved = resolve_model(args.model)
    backend = ReplayBackend(LlamaBackend(resolved.path, Settings(n_ctx=args.n_ctx),
                                         family=resolved.family, name=resolved.name))
    limits = Limits(timeout=10)
    log = args.out.open("w", encoding="utf-8") if args.out else None
    results: dict[str, list[Outcome]] = {s.label: [] for s in setups}
    started = time.monotonic()
    for problem in problems:
        marks = []
        for setup in setups:
            outcome = solve(backend, problem, setup, limits=limits)
            results[setup.label].append(outcome)
            marks.append(f"{'✓' if outcome.passed else '✗'}")
            if log is not None:
                log.write(json.dumps(outcome.as_dict(), ensure_ascii=False) + "\n")
                log.flush()
        print(f"{problem.task_id:<15} {' '.join(marks)}  examples={len(problem.examples)}",
              flush=True)
    backend.close()

    n = len(problems)
    print(f"\nmodel {resolved.name} · {n} problems · {time.monotonic() - started:.0f} s · "
          f"rounds {args.rounds} · first replies replayed {backend.hits} times")
    print("columns: " + " ".join(names))
    base = results[setups[0].label]
    for setup in setups:
        rows = results[setup.label]
        passed = sum(o.passed for o in rows)
        fixed = sum(o.passed and not b.passed for o, b in zip(rows, base, strict=True))
        broke = sum(b.passed and not o.passed for o, b in zip(rows, base, strict=True))
        tokens = sum(o.generated_tokens for o in rows)
        print(f"{setup.label:<58} {passed:>4}/{n} ({100 * passed / n:5.1f}%)"
              f"  +{fixed} -{broke} vs {names[0]}  {tokens} tokens")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
