"""Words where words are asked for, programs where something must be computed (issue 38).

Two measurements:

``route`` (no model, seconds): which tasks `oci run` would answer in words
(agent/tasks.py ``wants_words``) -- over every computing task oci has a corpus of (the
task corpus, the error-report tasks, HumanEval's 164 prompts, sanitized MBPP's 427 texts,
the computing pipeline tasks below) and over the tasks below that ask for words. A
computing task routed to words is a regression: it must be 0.

``run`` (the model): the pipeline tasks below through the installed command, as a user
types them -- ``DATA | oci run "TASK" --json`` in a scratch directory -- classed as

* words tasks: ``answered`` (no program ran, ``answer_only`` true, exit 0, and the answer
  has what the check looks for -- e.g. a traceback's explanation names the exception and
  the key), ``answered_off`` (words, but the check fails), ``program`` (a program was
  written for it), ``not_solved``;
* computing tasks: ``right`` (exit 0, a program ran, its output has the expected value),
  ``wrong`` (exit 0, value missing), ``words`` (answered in words: the regression),
  ``not_solved``.

    .venv/bin/python benchmarks/text_answers.py route
    .venv/bin/python benchmarks/text_answers.py run --oci .venv/bin/oci --model default \\
        --out FILE.jsonl [--resume]

Greedy decoding (the command's default), default settings otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIFF = '''diff --git a/inventory/report.py b/inventory/report.py
index 3f2a9c1..8b7e0d4 100644
--- a/inventory/report.py
+++ b/inventory/report.py
@@ -41,7 +41,7 @@ def order_cost(order: Order, items: dict[str, Item]) -> float:
     total = 0.0
     for line in order.lines:
         item = items[line.sku]
-        total += item.unit_price * line.quantity
+        total += item.unit_cost * line.quantity
     return round(total, 2)
\x20
\x20
diff --git a/tests/test_report.py b/tests/test_report.py
index 1c0ffee..2d1beef 100644
--- a/tests/test_report.py
+++ b/tests/test_report.py
@@ -12,3 +12,9 @@ def test_empty_order_costs_nothing():
     assert order_cost(Order([]), {}) == 0.0
+
+
+def test_order_cost_uses_the_unit_cost():
+    items = {"bolt": Item("bolt", unit_cost=0.25)}
+    order = Order([Line("bolt", 4)])
+    assert order_cost(order, items) == 1.0
'''

TRACEBACK = '''Traceback (most recent call last):
  File "/home/ana/sales/summary.py", line 58, in <module>
    main(sys.argv[1])
  File "/home/ana/sales/summary.py", line 51, in main
    totals = by_region(rows)
  File "/home/ana/sales/summary.py", line 42, in by_region
    totals[row["region"]] += float(row["amount"])
KeyError: 'region'
'''

LOG = """2026-12-01 08:00:01 INFO  backup: started (target /srv/backup)
2026-12-01 08:00:05 INFO  backup: 1,204 files to copy
2026-12-01 08:03:12 WARN  backup: slow write, 4.1 MB/s
2026-12-01 08:09:40 ERROR backup: write failed: No space left on device (/srv/backup)
2026-12-01 08:09:41 INFO  backup: retrying in 60 s
2026-12-01 08:10:41 ERROR backup: write failed: No space left on device (/srv/backup)
2026-12-01 08:10:42 WARN  cleanup: removing snapshots older than 30 days
2026-12-01 08:11:02 INFO  cleanup: removed 3 snapshots, freed 2.3 GB
2026-12-01 08:11:03 INFO  backup: retrying in 60 s
2026-12-01 08:12:03 ERROR backup: write failed: No space left on device (/srv/backup)
2026-12-01 08:12:04 INFO  backup: giving up after 3 attempts
"""

CODE = '''def average(values):
    return sum(values) / len(values)


def report(scores):
    print("average:", average(scores))
'''

WORDS_TEXT = "pear banana apple cherry banana date\n"

# (id, kind, task, stdin, check): kind "words" or "compute"; check is a regex the answer
# (words) or the program's output (compute) must match.
TASKS = [
    ("commit_message", "words",
     "write a one-line git commit message for the diff on stdin", DIFF,
     r"unit[_ ]?cost|unit[_ ]?price|cost"),
    ("explain_traceback", "words", "explain this traceback and how to fix it", TRACEBACK,
     r"(?is)(?=.*KeyError)(?=.*region)"),
    ("summarize_log", "words", "summarize the log on stdin in two sentences", LOG,
     r"(?i)space|disk|full"),
    ("pr_description", "words",
     "write a short pull request description for the diff on stdin", DIFF,
     r"(?i)unit[_ ]?cost|cost"),
    ("review_code", "words", "review the code on stdin", CODE,
     r"(?i)empty|zero|ZeroDivision"),
    ("explain_generators", "words",
     "explain in two sentences what a Python generator is", None, r"(?i)yield"),
    ("count_errors", "compute", "count the lines that contain ERROR in the log on stdin",
     LOG, r"(?<![\d.])3(?![\d.])"),
    ("files_in_diff", "compute", "how many files does the diff on stdin change?", DIFF,
     r"(?<![\d.])2(?![\d.])"),
    ("traceback_line", "compute",
     "print the line number where the exception in the traceback on stdin was raised",
     TRACEBACK, r"(?<!\d)42(?!\d)"),
    ("sort_words", "compute",
     "print the distinct words on stdin in alphabetical order, one per line", WORDS_TEXT,
     r"apple\s+banana\s+cherry\s+date\s+pear"),
]

# More ways a user asks for words (routing only: no model).
MORE_WORDS = [
    "explain what this regular expression does: ^\\d{3}-\\d{4}$",
    "summarize the changes in the diff on stdin",
    "write a commit message for this diff",
    "write a short email to my team saying the build is fixed",
    "describe what the script on stdin does",
    "translate this error message into plain English",
    "can you explain the difference between a list and a tuple?",
    "please review this function for bugs",
    "write a changelog entry for the diff on stdin",
    "write release notes for version 2.1 from the log on stdin",
    "proofread the paragraph on stdin",
    "write a haiku about recursion",
    "explain why this test fails",
    "write a conventional commit message for the staged changes on stdin",
]


def computing_corpora() -> dict[str, list[str]]:
    """Every computing task oci has a corpus of, by corpus."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    out: dict[str, list[str]] = {}
    out["task corpus (benchmarks/cases/tasks.jsonl)"] = [
        json.loads(line)["task"]
        for line in (ROOT / "benchmarks" / "cases" / "tasks.jsonl").read_text().splitlines()
        if line.strip()]
    import error_reports

    out["error-report tasks (benchmarks/error_reports.py)"] = [t[1] for t in
                                                               error_reports.TASKS]
    out["pipeline computing tasks (this file)"] = [t[2] for t in TASKS if t[1] == "compute"]
    try:
        from oci_interpreter.bench import problems
        from oci_interpreter.bench.column import user_task

        out["HumanEval prompts (as `oci bench --strategies ocirun` gives them)"] = [
            user_task(p) for p in problems.humaneval(None)]
        for base in [ROOT.parent / "shared" / "data" / "mbpp"]:
            if (base / "sanitized-mbpp.json").is_file():
                out["sanitized MBPP texts (with the shown test)"] = [
                    user_task(p) for p in problems.mbpp(base / "sanitized-mbpp.json")]
            if (base / "mbpp.jsonl").is_file():
                out["MBPP test split texts (with the shown test)"] = [
                    user_task(p) for p in problems.mbpp(base / "mbpp.jsonl")]
    except ImportError as exc:  # the bench extra is not installed
        print(f"skipped the benchmark prompts: {exc}", file=sys.stderr)
    return out


def route() -> int:
    from oci_interpreter.agent.tasks import wants_words

    failures = 0
    for name, tasks in computing_corpora().items():
        words = [t for t in tasks if wants_words(t)]
        failures += len(words)
        print(f"{name}: {len(tasks)} computing tasks, {len(words)} routed to words")
        for task in words:
            print(f"    routed to words: {task.splitlines()[0][:100]!r}")
    asked = [t[2] for t in TASKS if t[1] == "words"] + MORE_WORDS
    routed = [t for t in asked if wants_words(t)]
    print(f"tasks that ask for words: {len(asked)}, routed to words {len(routed)}")
    for task in asked:
        if task not in routed:
            print(f"    gets a program: {task!r}")
    return 1 if failures else 0


def run_task(oci: str, model: str, task: tuple, timeout: float) -> dict[str, object]:
    name, kind, text, data, check = task
    with tempfile.TemporaryDirectory(prefix="oci-text-") as tmp:
        started = time.monotonic()
        try:
            proc = subprocess.run([oci, "run", text, "--json", "--model", model], cwd=tmp,
                                  input=data if data is not None else None,
                                  stdin=None if data is not None else subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return {"id": name, "kind": kind, "verdict": "not_solved", "why": "timeout",
                    "seconds": timeout}
        seconds = round(time.monotonic() - started, 1)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"id": name, "kind": kind, "verdict": "error", "exit": proc.returncode,
                "why": proc.stderr.strip()[-300:], "seconds": seconds}
    words = bool(report.get("answer_only"))
    shown = (report.get("answer") if words else report.get("final_output")) or ""
    matched = bool(re.search(check, shown))
    ran = any(e.get("kind") == "execution_end" for e in report.get("events", []))
    if proc.returncode != 0:
        verdict = "not_solved"
    elif kind == "words":
        verdict = ("answered" if matched else "answered_off") if words else "program"
    else:
        verdict = "words" if words else ("right" if matched and ran else "wrong")
    return {"id": name, "kind": kind, "verdict": verdict, "exit": proc.returncode,
            "answer_only": words, "ran_a_program": ran, "seconds": seconds,
            "generated_tokens": report.get("stats", {}).get("generated_tokens"),
            "evidence": report.get("evidence"), "shown": shown[:2000]}


def run(args: argparse.Namespace) -> int:
    done: dict[str, dict] = {}
    out = Path(args.out)
    if args.resume and out.is_file():
        for line in out.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                done[row["id"]] = row
    elif out.exists() and out.stat().st_size:
        print(f"{out} already holds a run: add --resume, or give another --out",
              file=sys.stderr)
        return 2
    rows = []
    with out.open("a", encoding="utf-8") as log:
        for task in TASKS:
            if task[0] in done:
                rows.append(done[task[0]])
                continue
            row = run_task(args.oci, args.model, task, args.timeout)
            log.write(json.dumps(row) + "\n")
            log.flush()
            rows.append(row)
            print(f"{row['id']:20} {row['kind']:8} {row['verdict']:13} "
                  f"{row.get('seconds', 0):6.1f}s", flush=True)
    for kind in ("words", "compute"):
        mine = [r for r in rows if r["kind"] == kind]
        counts = Counter(r["verdict"] for r in mine)
        print(f"{kind}: {len(mine)} tasks, " + ", ".join(f"{k} {v}" for k, v in
                                                         sorted(counts.items())))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("route", help="which tasks would be answered in words (no model)")
    runner = sub.add_parser("run", help="the pipeline tasks through the installed oci run")
    runner.add_argument("--oci", default=str(ROOT / ".venv" / "bin" / "oci"))
    runner.add_argument("--model", default="default")
    runner.add_argument("--out", required=True)
    runner.add_argument("--resume", action="store_true")
    runner.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    return route() if args.command == "route" else run(args)


if __name__ == "__main__":
    sys.exit(main())
