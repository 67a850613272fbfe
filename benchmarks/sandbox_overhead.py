"""Sandbox overhead: a trivial program run fresh, and a trivial kernel cell, against
plain ``python -c pass`` measured in the same run; then what the working directory's
write-back costs, with the copy-on-write overlay and without it (the fallback: the
program writes the directory, read-only islands found by a scan).

    .venv/bin/python benchmarks/sandbox_overhead.py [--runs 30] [--cells 300] [--no-writes]

Prints Markdown tables (medians; ratios to ``python -c pass``). Not a test: timings on
shared machines are noisy, so compare the ratios within one run. The first table's
measuring is ``oci_interpreter.bench.speed.measure_sandbox``, the same as ``oci bench``'s
speed part.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from oci_interpreter.bench.speed import available_sandbox_modes, measure_sandbox, python_c_pass


def _islands() -> Callable[[], None]:
    """Make runs of this process use the fallback without an overlay; returns the undo."""
    from oci_interpreter.sandbox import kernel, runner

    saved = runner.overlay_layers, kernel.overlay_layers
    runner.overlay_layers = kernel.overlay_layers = lambda *a: (None, None)  # type: ignore[assignment]

    def undo() -> None:
        runner.overlay_layers, kernel.overlay_layers = saved

    return undo


def _median_run(code: str, work: Path, mode: str, runs: int,
                reset: Callable[[], None] | None = None) -> tuple[float, str]:
    from oci_interpreter.sandbox.runner import run_program

    times = []
    kind = ""
    for _ in range(runs):
        if reset is not None:
            reset()
        start = time.perf_counter()
        result = run_program(code=code, cwd=work, sandbox=mode)
        times.append(time.perf_counter() - start)
        kind = result.workspace
        assert result.ok, result.stderr
    return statistics.median(times), kind


def write_back_rows(mode: str, runs: int) -> list[tuple[str, float]]:
    """A run that writes nothing, 100 files and 2,000 files (1 KiB each, in a new
    directory and beside existing files), in an empty directory and in one that already
    holds 20,000 files: overlay against the fallback."""
    rows = []
    writes = {
        "writes nothing": "pass",
        "writes 100 files": "for i in range(100):\n    open(f'out-{i}.txt', 'w').write('x' * 1024)",
        "writes 2,000 files in a new directory": (
            "import os\nos.mkdir('out')\n"
            "for i in range(2000):\n    open(f'out/{i}.txt', 'w').write('x' * 1024)"),
        "changes 100 existing files": (
            "for i in range(100):\n    open(f'keep-{i}.txt', 'a').write('more')"),
    }
    for held in (0, 20_000):
        for name, code in writes.items():
            for view in ("overlay", "islands"):
                undo = _islands() if view == "islands" else None
                try:
                    with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
                        work = Path(tmp)
                        big = work / "data"
                        big.mkdir()
                        for i in range(held):
                            (big / f"{i}.csv").write_bytes(b"")

                        def reset(work: Path = work) -> None:
                            import shutil

                            for path in work.iterdir():
                                if path.name != "data":
                                    if path.is_dir():
                                        shutil.rmtree(path)
                                    else:
                                        path.unlink()
                            for i in range(100):
                                (work / f"keep-{i}.txt").write_text("x")

                        seconds, kind = _median_run(code, work, mode, runs, reset)
                finally:
                    if undo is not None:
                        undo()
                where = f"{held:,} files there" if held else "empty directory"
                rows.append((f"{name}, {where}, sandbox={mode}, {kind}", seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cells", type=int, default=300)
    parser.add_argument("--no-writes", action="store_true",
                        help="leave out the write-back table")
    opts = parser.parse_args()
    base = python_c_pass(opts.runs)
    rows: list[tuple[str, float]] = [("`python -c pass` (subprocess.run)", base)]
    modes = available_sandbox_modes()
    results = [measure_sandbox(sandbox=mode, runs=opts.runs, cells=opts.cells, baseline=base)
               for mode in modes]
    rows += [(f"fresh run, sandbox={r['mode']}", r["fresh_run_s"]) for r in results]
    for r in results:
        rows.append((f"kernel cell, sandbox={r['mode']}", r["kernel_cell_s"]))
        rows.append((f"kernel (re)start, sandbox={r['mode']}", r["kernel_restart_s"]))
    print(f"python {sys.version.split()[0]}, {opts.runs} runs / {opts.cells} cells, medians\n")
    _table(rows, base)
    if opts.no_writes:
        return
    print("\nWrite-back (each a fresh run; medians of "
          f"{max(3, opts.runs // 3)} runs):\n")
    writes = []
    for mode in modes:
        if mode != "none":
            writes += write_back_rows(mode, max(3, opts.runs // 3))
    _table(writes, base)


def _table(rows: list[tuple[str, float]], base: float) -> None:
    print("| what | time | vs `python -c pass` |")
    print("| --- | --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.2f} ms | {seconds / base:.2f}x |")


if __name__ == "__main__":
    main()
