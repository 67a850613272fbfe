"""Sandbox overhead: a trivial program run fresh, and a trivial kernel cell, against
plain ``python -c pass`` measured in the same run.

    .venv/bin/python benchmarks/sandbox_overhead.py [--runs 30] [--cells 300]

Prints a Markdown table (medians; ratios to ``python -c pass``). Not a test: timings on
shared machines are noisy, so compare the ratios within one run. The measuring is
``oci_interpreter.bench.speed.measure_sandbox``, the same as ``oci bench``'s speed part.
"""

from __future__ import annotations

import argparse
import sys

from oci_interpreter.bench.speed import available_sandbox_modes, measure_sandbox, python_c_pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cells", type=int, default=300)
    opts = parser.parse_args()
    base = python_c_pass(opts.runs)
    rows: list[tuple[str, float]] = [("`python -c pass` (subprocess.run)", base)]
    results = [measure_sandbox(sandbox=mode, runs=opts.runs, cells=opts.cells, baseline=base)
               for mode in available_sandbox_modes()]
    rows += [(f"fresh run, sandbox={r['mode']}", r["fresh_run_s"]) for r in results]
    for r in results:
        rows.append((f"kernel cell, sandbox={r['mode']}", r["kernel_cell_s"]))
        rows.append((f"kernel (re)start, sandbox={r['mode']}", r["kernel_restart_s"]))
    print(f"python {sys.version.split()[0]}, {opts.runs} runs / {opts.cells} cells, medians\n")
    print("| what | time | vs `python -c pass` |")
    print("| --- | --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.2f} ms | {seconds / base:.2f}x |")


if __name__ == "__main__":
    main()
