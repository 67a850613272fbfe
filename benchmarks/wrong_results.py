"""Does `oci fix` fix what it says it fixed? The wrong-result corpus (benchmarks/cases/wrong/).

Each case is a script that runs cleanly and computes the wrong thing, a one-sentence
description of the wrong behaviour, and a hidden check. This drives an installed `oci`
(any version: pass its path with --oci, so an older checkout can be measured the same
way) on a copy of each case, and counts:

* fixed and right: oci says fixed and the hidden check passes on the written file;
* claimed but wrong: oci says fixed (exit 0, or 7: "runs, not checked") and the hidden
  check fails -- the number that must go to zero;
* honestly not fixed: oci says it could not fix it (the file is unchanged).

Modes: ``message`` gives the description (`oci fix FILE -m TEXT --yes`); ``test`` gives the
hidden check as the test command (`--test "python CHECK"`); ``plain`` gives nothing
(`oci fix FILE --yes`: a script that runs cleanly has "nothing to fix").

    .venv/bin/python benchmarks/wrong_results.py --model small --mode message
    .venv/bin/python benchmarks/wrong_results.py --oci /old/checkout/.venv/bin/oci \\
        --model default --mode test --out wrong-test-before.jsonl

Greedy decoding (the commands' default), a fixed seed: the numbers repeat run to run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "benchmarks" / "cases" / "wrong"


def hidden_check(workdir: Path, case: str) -> bool:
    proc = subprocess.run([sys.executable, f"{case}_check.py"], cwd=workdir,
                          capture_output=True, timeout=60, check=False)
    return proc.returncode == 0


def run_case(oci: str, model: str, case: Path, mode: str, timeout: float) -> dict[str, object]:
    name = case.stem
    description = case.with_suffix(".txt").read_text(encoding="utf-8").strip()
    with tempfile.TemporaryDirectory(prefix="oci-wrong-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        shutil.copy(case, work / case.name)
        check = CASES / f"{name}_check.py"
        argv = [oci, "fix", case.name, "--yes", "--json", "--model", model]
        if mode == "message":
            argv += ["-m", description]
        elif mode == "test":
            # The test command runs in a copy of the working directory: the check is there.
            shutil.copy(check, work / check.name)
            argv += ["--test", f"{sys.executable} {check.name}"]
        started = time.monotonic()
        try:
            proc = subprocess.run(argv, cwd=work, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL, check=False)
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired:
            code, out, err = -1, "", "timed out"
        seconds = time.monotonic() - started
        try:
            report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        except ValueError:
            report = {}
        changed = (work / case.name).read_bytes() != case.read_bytes()
        if mode != "test":
            shutil.copy(check, work / check.name)
        right = hidden_check(work, name)
    claimed = code in (0, 7) and changed
    verdict = ("fixed_right" if claimed and right else
               "claimed_wrong" if claimed else
               "not_fixed")
    return {"id": name, "mode": mode, "exit": code, "changed": changed, "right": right,
            "verdict": verdict, "verified_by": report.get("verified_by"),
            "stop_reason": report.get("stop_reason"), "rejected": report.get("rejected"),
            "seconds": round(seconds, 1), "stderr_tail": err.strip().splitlines()[-3:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oci", default=str(ROOT / ".venv" / "bin" / "oci"),
                        help="the oci command to measure")
    parser.add_argument("--model", default="default")
    parser.add_argument("--mode", choices=["message", "test", "plain"], default="message")
    parser.add_argument("--only", default="", help="case numbers, e.g. 1,2,15")
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    parser.add_argument("--out", type=Path, default=None, help="JSONL log, one case a line")
    parser.add_argument("--resume", action="store_true", help="skip the cases in --out")
    args = parser.parse_args()

    cases = sorted(p for p in CASES.glob("wrong_[0-9][0-9].py"))
    if args.only:
        wanted = {f"wrong_{int(n):02d}" for n in args.only.split(",") if n.strip()}
        cases = [c for c in cases if c.stem in wanted]
    cases = cases[args.skip:]
    if args.limit:
        cases = cases[:args.limit]
    done: dict[str, dict[str, object]] = {}
    if args.resume and args.out and args.out.is_file():
        for line in args.out.read_text().splitlines():
            row = json.loads(line)
            done[str(row["id"])] = row
    rows = []
    log = args.out.open("a" if args.resume else "w", encoding="utf-8") if args.out else None
    for case in cases:
        if case.stem in done:
            rows.append(done[case.stem])
            continue
        row = run_case(args.oci, args.model, case, args.mode, args.timeout)
        rows.append(row)
        print(f"{row['id']}  {row['verdict']:<14} exit={row['exit']} "
              f"by={row['verified_by']} {row['seconds']}s", flush=True)
        if log is not None:
            log.write(json.dumps(row) + "\n")
            log.flush()
    if log is not None:
        log.close()
    total = len(rows)
    counts = {v: sum(r["verdict"] == v for r in rows)
              for v in ("fixed_right", "claimed_wrong", "not_fixed")}
    tuning = [r for r in rows if int(str(r["id"])[-2:]) <= 14]
    held = [r for r in rows if int(str(r["id"])[-2:]) > 14]

    def line(label: str, part: list[dict[str, object]]) -> str:
        n = len(part) or 1
        c = {v: sum(r["verdict"] == v for r in part) for v in counts}
        return (f"{label:<10}{len(part):>5}  fixed and right {c['fixed_right']:>3} "
                f"({100 * c['fixed_right'] / n:3.0f}%)  claimed but wrong "
                f"{c['claimed_wrong']:>3} ({100 * c['claimed_wrong'] / n:3.0f}%)  not fixed "
                f"{c['not_fixed']:>3}")

    print(f"\n{args.oci} · model {args.model} · mode {args.mode} · {total} cases")
    print(line("all", rows))
    print(line("tuning", tuning))
    print(line("held out", held))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
