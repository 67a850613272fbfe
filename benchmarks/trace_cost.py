"""What `oci fix`'s line tracing costs: the same script run in the sandbox with and
without ``trace_lines`` (the hook that records which lines of the file ran, so a repair
can be checked to still run the code that failed), alternating, in one process.

    .venv/bin/python benchmarks/trace_cost.py [--repeat 5]

Four scripts: one whose time goes to Python lines of the file itself (the worst case:
every line is an event), one whose time goes to functions of the standard library (the
trace function is called once per call of Python code, then returns), one that calls a
function of its own many times, and a typical small script (the start-up of the sandboxed
child dominates). The figure is the ratio of the medians, per
script, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from oci_interpreter.sandbox.limits import Limits
from oci_interpreter.sandbox.runner import run_program

SCRIPTS = {
    "own lines (a Python loop, 2M iterations)": (
        "total = 0\nfor i in range(2_000_000):\n    total += i % 7\nprint(total)\n"),
    "library calls (json, sorted: 1M numbers)": (
        "import json\nrows = list(range(1_000_000))\n"
        "rows = json.loads(json.dumps(rows))\nprint(sorted(rows, reverse=True)[0])\n"),
    "a key function of the file, called 200k times": (
        "rows = list(range(200_000))\nprint(sorted(rows, key=lambda r: (r * 7919) % 1000)[0])\n"),
    "a small script (start-up dominates)": (
        "people = [('ann', 31), ('bob', 25)]\n"
        "print(sorted(people, key=lambda r: r[1]))\n"),
}


def timed(path: Path, traced: bool) -> float:
    started = time.perf_counter()
    result = run_program(path=str(path), cwd=path.parent, limits=Limits(timeout=120),
                         trace_lines=traced)
    seconds = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"{path.name} failed: {result.stderr[-300:]}")
    if traced and not result.lines_run:
        raise SystemExit(f"{path.name}: no lines were traced")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, alternating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oci-trace-") as tmp:
        for label, code in SCRIPTS.items():
            path = Path(tmp) / "script.py"
            path.write_text(code)
            timed(path, False)  # warm the file cache
            plain, traced = [], []
            for _ in range(args.repeat):
                plain.append(timed(path, False))
                traced.append(timed(path, True))
            p, t = statistics.median(plain), statistics.median(traced)
            print(f"{label:<48} untraced {p:6.3f} s  traced {t:6.3f} s  ratio {t / p:4.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
