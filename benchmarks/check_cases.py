#!/usr/bin/env python3
"""Verify the refine-loop measurement corpus under benchmarks/cases/.

Checks:
  * tasks.jsonl: every line is a JSON object with non-empty string fields
    id / task / expect, and ids are unique.
  * fix/<kind>_<nn>.py: run as ``python <kind>_<nn>.py`` inside fix/ with a
    10 s timeout; it must exit non-zero and the last line of stderr must start
    with the exception intended for its kind.
  * fix/reference/<kind>_<nn>.py: run inside fix/reference/; it must exit 0 and
    its stdout must equal fix/<kind>_<nn>.expected exactly.

Usage:  .venv/bin/python benchmarks/check_cases.py [--jobs N] [-v]
Exit status 0 when everything passes, 1 on any problem.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CASES = Path(__file__).resolve().parent / "cases"
FIX = CASES / "fix"
REF = FIX / "reference"
TASKS = CASES / "tasks.jsonl"
TIMEOUT_S = 10
MIN_TASKS = 30
MIN_PER_KIND = 20

# kind -> exception names the last stderr line may start with
KINDS = {
    "nameerror": ("NameError",),
    "import": ("ModuleNotFoundError", "NameError"),
    "keyerror": ("KeyError",),
    "typeerror": ("TypeError",),
    "recursion": ("RecursionError",),
}
NAME_RE = re.compile(r"^({})_(\d{{2,}})\.py$".format("|".join(KINDS)))
UNDEFINED_RE = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")


def run(script: Path) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(
            [sys.executable, script.name],
            cwd=script.parent,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None


def last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def imported_names(source: str) -> set[str]:
    """Names bound by import statements in *source* (modules and from-imports)."""
    names: set[str] = set()
    for m in re.finditer(r"^\s*import\s+(.+)$", source, re.M):
        for part in m.group(1).split(","):
            words = part.split()
            if not words:
                continue
            names.add(words[-1] if "as" in words else words[0].split(".")[0])
    for m in re.finditer(r"^\s*from\s+\S+\s+import\s+(.+)$", source, re.M):
        for part in m.group(1).strip("() ").split(","):
            words = part.split()
            if words:
                names.add(words[-1])
    return names


def check_tasks(problems: list[str]) -> int:
    if not TASKS.exists():
        problems.append(f"{TASKS}: missing")
        return 0
    seen: set[str] = set()
    count = 0
    for lineno, line in enumerate(TASKS.read_text().splitlines(), 1):
        if not line.strip():
            continue
        where = f"tasks.jsonl:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        ok = True
        for key in ("id", "task", "expect"):
            if not isinstance(obj.get(key), str) or not obj[key].strip():
                problems.append(f"{where}: field {key!r} missing or not a non-empty string")
                ok = False
        if not ok:
            continue
        if obj["id"] in seen:
            problems.append(f"{where}: duplicate id {obj['id']!r}")
        seen.add(obj["id"])
        count += 1
    if count < MIN_TASKS:
        problems.append(f"tasks.jsonl: only {count} valid tasks (want >= {MIN_TASKS})")
    return count


def check_case(broken: Path, kind: str) -> list[str]:
    problems: list[str] = []
    name = broken.stem
    ref = REF / broken.name
    expected = FIX / f"{name}.expected"

    # broken script must fail with the intended exception
    r = run(broken)
    if r is None:
        problems.append(f"{name}: broken script timed out after {TIMEOUT_S}s")
    elif r.returncode == 0:
        problems.append(f"{name}: broken script exited 0")
    else:
        tail = last_line(r.stderr)
        wanted = KINDS[kind]
        if not tail.startswith(wanted):
            problems.append(f"{name}: expected {'/'.join(wanted)}, stderr ends with: {tail!r}")
        elif kind == "import" and tail.startswith("NameError"):
            m = UNDEFINED_RE.search(tail)
            ref_src = ref.read_text() if ref.exists() else ""
            undefined = m.group(1) if m else None
            if undefined is None or not (
                undefined in sys.stdlib_module_names or undefined in imported_names(ref_src)
            ):
                problems.append(f"{name}: NameError does not name a module/imported name: {tail!r}")
        elif kind == "nameerror" and not UNDEFINED_RE.search(tail):
            problems.append(f"{name}: NameError message unexpected: {tail!r}")

    # reference must pass and print exactly the expected output
    if not ref.exists():
        problems.append(f"{name}: missing reference/{broken.name}")
    elif not expected.exists():
        problems.append(f"{name}: missing {expected.name}")
    else:
        if ref.read_text() == broken.read_text():
            problems.append(f"{name}: reference is identical to the broken script")
        r = run(ref)
        if r is None:
            problems.append(f"{name}: reference timed out after {TIMEOUT_S}s")
        elif r.returncode != 0:
            problems.append(f"{name}: reference exited {r.returncode}: {last_line(r.stderr)!r}")
        elif r.stdout != expected.read_text():
            problems.append(f"{name}: reference stdout differs from {expected.name}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", "-j", type=int, default=1, help="parallel case checks (default 1)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every case")
    args = ap.parse_args()

    problems: list[str] = []
    n_tasks = check_tasks(problems)

    cases: list[tuple[Path, str]] = []
    for path in sorted(FIX.glob("*.py")):
        m = NAME_RE.match(path.name)
        if not m:
            problems.append(f"fix/{path.name}: unexpected file name (want <kind>_<nn>.py)")
            continue
        cases.append((path, m.group(1)))
    for path in sorted(FIX.glob("*.expected")):
        if not (FIX / f"{path.stem}.py").exists():
            problems.append(f"fix/{path.name}: no matching broken script")
    for path in sorted(REF.glob("*.py")):
        if not (FIX / path.name).exists():
            problems.append(f"fix/reference/{path.name}: no matching broken script")

    per_kind = {k: 0 for k in KINDS}
    failed = {k: 0 for k in KINDS}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda c: check_case(*c), cases))
    for (path, kind), case_problems in zip(cases, results, strict=False):
        per_kind[kind] += 1
        if case_problems:
            failed[kind] += 1
            problems.extend(case_problems)
        if args.verbose:
            print(f"{'FAIL' if case_problems else 'ok  '} {path.stem}")
    for kind, n in per_kind.items():
        if n < MIN_PER_KIND:
            problems.append(f"fix: only {n} {kind} cases (want >= {MIN_PER_KIND})")

    print(f"tasks: {n_tasks} valid")
    for kind, n in per_kind.items():
        print(f"fix/{kind:<10} {n:>3} cases, {n - failed[kind]:>3} ok")
    print(f"fix total: {len(cases)} cases")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  -", p)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
