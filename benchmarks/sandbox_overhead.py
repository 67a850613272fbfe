"""Sandbox overhead: a trivial program run fresh, and a trivial kernel cell, against
plain ``python -c pass`` measured in the same run.

    .venv/bin/python benchmarks/sandbox_overhead.py [--runs 30] [--cells 300]

Prints a Markdown table (medians; ratios to ``python -c pass``). Not a test: timings on
shared machines are noisy, so compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from oci_cli.sandbox import containment
from oci_cli.sandbox.kernel import Kernel
from oci_cli.sandbox.runner import run


def timed(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cells", type=int, default=300)
    opts = parser.parse_args()
    modes = []
    for mode in ("bwrap", "unshare", "none"):
        try:
            if containment.probe(mode).mode == mode:
                modes.append(mode)
        except Exception:
            pass
    work = tempfile.mkdtemp(prefix="oci-bench-")
    rows: list[tuple[str, float]] = []
    base = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), opts.runs)
    rows.append(("`python -c pass` (subprocess.run)", base))
    for mode in modes:
        fresh = timed(lambda m=mode: run(code="pass", cwd=work, sandbox=m), opts.runs)
        rows.append((f"fresh run, sandbox={mode}", fresh))
    for mode in modes:
        with Kernel(work, sandbox=mode) as kernel:
            kernel.execute("pass")
            cell = timed(lambda k=kernel: k.execute("pass"), opts.cells)
            start = time.perf_counter()
            kernel.restart()
            restart = time.perf_counter() - start
        rows.append((f"kernel cell, sandbox={mode}", cell))
        rows.append((f"kernel (re)start, sandbox={mode}", restart))
    print(f"python {sys.version.split()[0]}, {opts.runs} runs / {opts.cells} cells, medians\n")
    print("| what | time | vs `python -c pass` |")
    print("| --- | --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.2f} ms | {seconds / base:.2f}x |")


if __name__ == "__main__":
    main()
