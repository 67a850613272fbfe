"""Re-decide the ``voteN`` column of an `oci bench` log with the other selection rule,
without running the model again: every vote row keeps each program's results on the
model's calls (``signatures``) and each program's code, so the rule can be compared on
the very same programs.

    .venv/bin/python benchmarks/revote.py /work/he-vote/humaneval-log.jsonl
    .venv/bin/python benchmarks/revote.py LOG --data ../shared/data/mbpp/sanitized-mbpp.json

Rules: ``whole`` (the largest group of programs with the same results on every call;
agent/agreement.py's vote) and ``per-input`` (vote_per_input: agreement call by call, a
crash scores nothing where another program returned). Prints pass@1 of single-turn, the
candidates column when the log has one, and both rules over the problems with a vote row,
and lists the problems where the rules differ. The programs are scored by the hidden tests
in the sandbox, as `oci bench` does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oci_interpreter.agent.agreement import vote, vote_per_input  # noqa: E402
from oci_interpreter.bench import problems as bench_problems  # noqa: E402
from oci_interpreter.bench.base import score  # noqa: E402
from oci_interpreter.bench.vote import crashed  # noqa: E402
from oci_interpreter.sandbox.limits import Limits  # noqa: E402


def read_rows(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        return [json.loads(line) for line in f if line.strip()]


def decide(row: dict[str, Any], rule: str) -> int | None:
    """The index (into the row's programs) each rule keeps."""
    detail = next((e for e in row["events"] if e.get("kind") == "vote"), None)
    if detail is None:
        return None
    signatures = detail.get("signatures")
    if not signatures:
        return detail.get("chosen")  # no vote was taken: the first of the pool
    voters = [(int(i), s) for i, s in signatures.items() if s is not None]
    if rule == "whole":
        result = vote([s for _, s in voters])
    else:
        result = vote_per_input([s.splitlines() for _, s in voters], crashed)
    return voters[result.chosen][0] if result is not None else detail.get("chosen")


def programs(row: dict[str, Any]) -> list[str]:
    """The row's programs in the order the vote numbers them (one run each)."""
    return [e["code"] for e in row["events"] if e.get("kind") == "execution_end"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--data", type=Path, help="MBPP JSON (for an MBPP log)")
    parser.add_argument("--column", default="vote3")
    args = parser.parse_args()
    rows = read_rows(args.log)
    by: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        by[row["task_id"]][row["setup_name"]] = row
    benchmark = rows[0]["benchmark"]
    found = (bench_problems.mbpp(args.data) if benchmark == "mbpp"
             else bench_problems.humaneval())
    problems = {p.task_id: p for p in found}
    limits = Limits(timeout=10)
    counts: dict[str, int] = defaultdict(int)
    differ: list[str] = []
    n = 0
    for task_id, columns in by.items():
        row = columns.get(args.column)
        if row is None:
            continue
        n += 1
        counts["single"] += bool(columns.get("single", {}).get("passed"))
        counts["candidates3"] += bool(columns.get("candidates3", {}).get("passed"))
        counts["logged"] += bool(row["passed"])
        codes = programs(row)
        verdicts = {}
        for rule in ("whole", "per-input"):
            chosen = decide(row, rule)
            if chosen is None or chosen >= len(codes):
                passed = bool(row["passed"]) if chosen == row_chosen(row) else False
            elif chosen == row_chosen(row):
                passed = bool(row["passed"])
            else:
                passed, _ = score(problems[task_id], codes[chosen], limits)
            verdicts[rule] = (chosen, passed)
            counts[rule] += passed
        if verdicts["whole"] != verdicts["per-input"]:
            differ.append(f"{task_id}: whole keeps program {verdicts['whole'][0]} "
                          f"({'passes' if verdicts['whole'][1] else 'fails'}), per-input "
                          f"{verdicts['per-input'][0]} "
                          f"({'passes' if verdicts['per-input'][1] else 'fails'})")
    print(f"{n} problems with a {args.column} row in {args.log}")
    for name in ("single", "candidates3", "logged", "whole", "per-input"):
        print(f"  {name:12} {counts[name]:4d}  ({100 * counts[name] / max(n, 1):.1f}%)")
    print("\n".join(differ) or "the rules keep the same program everywhere")
    return 0


def row_chosen(row: dict[str, Any]) -> int | None:
    detail = next((e for e in row["events"] if e.get("kind") == "vote"), None)
    return detail.get("chosen") if detail else None


if __name__ == "__main__":
    sys.exit(main())
