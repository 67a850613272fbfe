"""How often the refine loop solves simple tasks and fixes simple bugs with a given model.

Calls what `oci run` and `oci fix` call (agent.solve.solve, agent.fix.FixJob.run), with the
commands' own defaults, over the corpus in benchmarks/cases/ (see its README), and reports,
per kind, how many cases the first program already got right (single turn), how many the
loop got right, how many it claimed but got wrong, and how many it did not solve.

    .venv/bin/python benchmarks/loop_success.py                 # everything, default model
    .venv/bin/python benchmarks/loop_success.py --only tasks --limit 10
    .venv/bin/python benchmarks/loop_success.py --only nameerror,typeerror --strategy fresh

A task counts as solved when the loop succeeds and the final output contains the expected
answer; a fix when the loop succeeds and the fixed script prints exactly the expected
output. Greedy decoding (temperature 0), fixed seed: the numbers repeat run to run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oci_interpreter.agent.contracts import LoopOptions  # noqa: E402
from oci_interpreter.agent.events import ExecutionEnd, event_to_dict  # noqa: E402
from oci_interpreter.agent.execute import ProgramExecutor  # noqa: E402
from oci_interpreter.agent.fix import FixJob, follow_fix  # noqa: E402
from oci_interpreter.agent.solve import solve  # noqa: E402
from oci_interpreter.core.config import Settings  # noqa: E402
from oci_interpreter.sandbox.limits import Limits  # noqa: E402

CASES = ROOT / "benchmarks" / "cases"
KINDS = ("tasks", "nameerror", "import", "keyerror", "typeerror", "recursion")


def load_backend(model: str | None, n_ctx: int, threads: int = 0) -> Any:
    from oci_interpreter.backend.loader import load_backend as load

    return load(Settings(model=model, n_ctx=n_ctx, threads=threads))


STOP_AFTER_CODE = True
"""`oci run` ends a reply once it holds a runnable program (--no-stop-after-code: not)."""


def run_task(backend: Any, case: dict[str, str], settings: Settings) -> dict[str, Any]:
    """One task, as `oci run` solves it (the same program layer)."""
    events: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
        executor = ProgramExecutor(tmp, Limits.from_settings(settings), check_answers=True)
        options = replace(LoopOptions.from_settings(settings, "run"),
                          stop_after_code=STOP_AFTER_CODE)
        outcome = solve(backend, executor, case["task"], options,
                        on_event=events.append)
    stopped = outcome.stopped
    runs = [e for e in events if isinstance(e, ExecutionEnd)]
    first_ok = bool(runs) and runs[0].status == "ok" and case["expect"] in runs[0].result.stdout
    solved = stopped.success and case["expect"] in (stopped.final_output or "")
    return {"id": case["id"], "kind": "tasks", "first": first_ok, "solved": solved,
            "claimed": stopped.success, "stop_reason": stopped.reason, "rounds": stopped.rounds,
            "tokens": stopped.totals.generated_tokens, "events": events}


def run_fix(backend: Any, script: Path, settings: Settings) -> dict[str, Any]:
    """One broken script, as `oci fix` repairs it (the same program layer), on a copy."""
    expected = script.with_suffix(".expected").read_text(encoding="utf-8")
    events: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
        copy = Path(tmp) / "script.py"
        shutil.copyfile(script, copy)
        # The whole `oci fix` process, as the command runs it; nothing is written.
        outcome = follow_fix(FixJob(copy, [], settings).run(backend), on_event=events.append)
        untouched = copy.read_bytes() == script.read_bytes()
    stopped = outcome.stopped
    runs = [e for e in events if isinstance(e, ExecutionEnd)]
    first_ok = bool(runs) and runs[0].status != "failed" and runs[0].result.stdout == expected
    solved = outcome.fixed and stopped is not None and stopped.final_output == expected
    return {"id": script.stem, "kind": script.stem.rsplit("_", 1)[0], "first": first_ok,
            "solved": solved, "passed_but_wrong_output": outcome.fixed and not solved,
            # what oci said: "fixed" only on a check (verified); otherwise "wrote the change"
            "verified": outcome.verified, "verified_by": outcome.verified_by,
            "stop_reason": stopped.reason if stopped else outcome.end,
            "rounds": stopped.rounds if stopped else 0,
            "tokens": stopped.totals.generated_tokens if stopped else 0,
            "original_untouched": untouched, "events": events}


def report(results: list[dict[str, Any]], kinds: list[str] | tuple[str, ...] = KINDS) -> None:
    """The table per kind: single turn, loop, claimed but wrong, unverified, not solved."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in results:
        by_kind[row["kind"]].append(row)
    # "claimed, wrong": oci said "solved" (a task) or "fixed" (a fix backed by a check) but
    # the output is not the expected one -- a false claim. "unverified, wrong": a fix oci
    # wrote as "wrote the change; nothing checked what it computes" (exit 7) that prints
    # the wrong thing. "not solved": the loop itself reported failure.
    print(f"{'kind':<12}{'cases':>6}{'single turn':>13}{'loop':>11}{'claimed, wrong':>16}"
          f"{'unverified, wrong':>19}{'not solved':>12}")
    shown = [k for k in kinds if by_kind.get(k)]
    for kind in [*shown, "total"] if len(shown) > 1 else shown:
        rows = (by_kind[kind] if kind != "total"
                else [r for k in shown for r in by_kind[k]])
        first = sum(r["first"] for r in rows)
        solved = sum(r["solved"] for r in rows)
        wrong = sum((r.get("passed_but_wrong_output", False) and r.get("verified", True))
                    or (r["kind"] == "tasks" and r["claimed"] and not r["solved"])
                    for r in rows)
        unverified = sum(r.get("passed_but_wrong_output", False)
                         and not r.get("verified", True) for r in rows)
        failed = len(rows) - solved - wrong - unverified
        tokens = sum(r.get("tokens", 0) for r in rows)
        seconds = sum(r.get("seconds", 0.0) for r in rows)
        print(f"{kind:<12}{len(rows):>6}{first:>8} ({100 * first / len(rows):3.0f}%)"
              f"{solved:>6} ({100 * solved / len(rows):3.0f}%){wrong:>16}{unverified:>19}"
              f"{failed:>12}"
              f"   {tokens:,} tokens, {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model name or .gguf path")
    parser.add_argument("--only", default=",".join(KINDS), help="kinds, comma-separated")
    parser.add_argument("--limit", type=int, default=0, help="cases per kind (0 = all)")
    parser.add_argument("--skip", type=int, default=0, help="skip the first N cases per kind")
    defaults = Settings()
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--strategy", default=defaults.strategy,
                        choices=["conversation", "fresh"])
    parser.add_argument("--candidates", type=int, default=defaults.candidates)
    parser.add_argument("--no-stop-after-code", action="store_true",
                        help="tasks: let the model go on after its program (oci run stops it)")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads (0 = physical cores; 1 beside another run)")
    parser.add_argument("--out", type=Path, default=None, help="JSONL log of every case")
    parser.add_argument("--report", type=Path, nargs="+", default=None, metavar="LOG",
                        help="print the table of earlier logs (a run split into parts) and stop")
    args = parser.parse_args()
    if args.report:
        missing = [str(p) for p in args.report if not p.is_file()]
        if missing:
            parser.error(f"no such log: {', '.join(missing)}")
        try:
            rows = [json.loads(line) for log in args.report
                    for line in (gzip.decompress(log.read_bytes()) if log.suffix == ".gz"
                                 else log.read_bytes()).decode("utf-8").splitlines()
                    if line.strip()]
        except (ValueError, OSError) as exc:
            parser.error(f"--report takes the JSONL logs this script writes with --out ({exc})")
        print(f"{len(rows)} cases from {', '.join(str(p) for p in args.report)}")
        report(rows)
        return 0

    kinds = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kind(s): {', '.join(sorted(unknown))}")
    global STOP_AFTER_CODE
    STOP_AFTER_CODE = not args.no_stop_after_code
    backend = load_backend(args.model, args.n_ctx, args.threads)
    # The commands' own settings, greedy, with a 10 s wall clock per program.
    settings = Settings(model=args.model, n_ctx=args.n_ctx, rounds=args.rounds,
                        strategy=args.strategy, candidates=args.candidates,
                        temperature=0.0, seed=1234, timeout=10.0)
    results: list[dict[str, Any]] = []
    log = args.out.open("w", encoding="utf-8") if args.out else None
    started = time.monotonic()
    for kind in kinds:
        if kind == "tasks":
            lines = (CASES / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
            cases: list[Any] = [json.loads(line) for line in lines if line.strip()]
        else:
            cases = sorted((CASES / "fix").glob(f"{kind}_*.py"))
        cases = cases[args.skip:]
        if args.limit:
            cases = cases[: args.limit]
        for case in cases:
            t0 = time.monotonic()
            if kind == "tasks":
                row = run_task(backend, case, settings)
            else:
                row = run_fix(backend, case, settings)
            row["seconds"] = round(time.monotonic() - t0, 2)
            events = row.pop("events")
            results.append(row)
            mark = "✓" if row["solved"] else "✗"
            print(f"{mark} {row['id']:<28} first={'y' if row['first'] else 'n'} "
                  f"rounds={row['rounds']} stop={row['stop_reason']:<10} {row['seconds']:.1f}s",
                  flush=True)
            if log is not None:
                log.write(json.dumps({**row, "events": [event_to_dict(e) for e in events]},
                                     ensure_ascii=False) + "\n")
                log.flush()
    backend.close()
    print(f"\nmodel: {backend.info.name} · strategy {args.strategy} · candidates "
          f"{args.candidates} · rounds {args.rounds} · stop after code {STOP_AFTER_CODE} · "
          f"{time.monotonic() - started:.0f} s")
    report(results, kinds)
    if any(not r.get("original_untouched", True) for r in results):
        print("ERROR: a fix case changed its original file")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
