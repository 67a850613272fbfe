"""Does `oci run` call an error report an answer? (issue 37)

Tasks a new user types that a program cannot do here -- the network is off, a module is
not installed, an input file is missing -- and two that it can (the data stack is
installed). Each runs through the installed `oci run TASK --json` (the user's path) in a
scratch directory with its files, and is classed:

* ``false_solved``: exit 0 on a task that cannot be done here, or exit 0 with a file the
  task asks for missing, or with output that reports an error -- the number that must be 0;
* ``not_solved``: exit 1 (the one line says why);
* ``solved``: exit 0 on a task that can be done, with its file made.

    .venv/bin/python benchmarks/error_reports.py --model default --out FILE.jsonl [--resume]

Greedy decoding (the command's default), default settings otherwise (network off).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SALES = "region,amount\nnorth,120.5\nsouth,80\nnorth,19.5\neast,42\n"

TASKS = [
    # (id, task, files, possible, the file it must make)
    ("chart", "read sales.csv and save a bar chart of the total amount per region to "
     "regions.png; print the totals", {"sales.csv": SALES}, True, "regions.png"),
    ("totals_json", "read sales.csv and write the total amount per region to totals.json",
     {"sales.csv": SALES}, True, "totals.json"),
    ("title", "print the HTML title of https://example.com", {}, False, None),
    ("title_urllib", "print the HTML title of https://example.com using only urllib", {},
     False, None),
    ("python_version", "look up the latest Python release on python.org and print its "
     "version number", {}, False, None),
    ("github_status", "use the requests library to fetch https://api.github.com and print "
     "the HTTP status code", {}, False, None),
    ("missing_input", "print the number of lines in data/input.txt", {}, False, None),
    ("missing_excel", "print the sheet names of the Excel file report.xlsx", {}, False, None),
    ("seaborn", "plot the amount per region in sales.csv with seaborn and save the figure "
     "to plot.png", {"sales.csv": SALES}, True, "plot.png"),
]

_REPORTS = re.compile(r"not installed|no module named|urlopen error|name resolution|"
                      r"network|no such file|not found|permission denied|^\s*error\b",
                      re.IGNORECASE | re.MULTILINE)


def run_task(oci: str, model: str, task: tuple, timeout: float) -> dict[str, object]:
    name, text, files, possible, made = task
    with tempfile.TemporaryDirectory(prefix="oci-reports-") as tmp:
        work = Path(tmp)
        for path, content in files.items():
            (work / path).write_text(content)
        started = time.monotonic()
        try:
            proc = subprocess.run([oci, "run", text, "--json", "--model", model],
                                  cwd=work, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            return {"id": name, "verdict": "error", "why": "timeout"}
        seconds = round(time.monotonic() - started, 1)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            return {"id": name, "verdict": "error", "exit": proc.returncode,
                    "why": proc.stderr.strip()[-300:], "seconds": seconds}
        output = report.get("final_output") or ""
        file_made = made is None or (work / made).exists()
        if proc.returncode == 0:
            if not possible or not file_made or _REPORTS.search(output):
                verdict = "false_solved"
            else:
                verdict = "solved"
        elif proc.returncode == 1:
            verdict = "not_solved"
        else:
            verdict = "error"
        return {"id": name, "verdict": verdict, "exit": proc.returncode, "possible": possible,
                "file_made": file_made, "seconds": seconds, "message": report.get("message"),
                "final_output": output[-300:], "rounds": report.get("rounds"),
                "stats": report.get("stats")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oci", default=str(ROOT / ".venv" / "bin" / "oci"))
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    done: dict[str, dict[str, object]] = {}
    if args.resume and args.out and args.out.exists():
        for line in args.out.read_text().splitlines():
            row = json.loads(line)
            done[str(row["id"])] = row
    rows = []
    for task in TASKS:
        if task[0] in done:
            rows.append(done[task[0]])
            continue
        row = run_task(args.oci, args.model, task, args.timeout)
        rows.append(row)
        print(f"{row['id']:15} {row['verdict']:13} exit {row.get('exit')} "
              f"{row.get('seconds')} s  {str(row.get('message') or '')[:90]}", flush=True)
        if args.out:
            with args.out.open("a") as out:
                out.write(json.dumps(row) + "\n")
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row["verdict"])] = counts.get(str(row["verdict"]), 0) + 1
    print(" · ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 1 if counts.get("false_solved") else 0


if __name__ == "__main__":
    sys.exit(main())
