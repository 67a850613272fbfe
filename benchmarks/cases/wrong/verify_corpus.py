"""Verify the wrong-result corpus in this directory (standard library only).

For every case wrong_NN (NN = 01..42), in a temporary directory copy:

  (a) `python wrong_NN.py` exits 0;
  (b) `python wrong_NN_check.py` fails (non-zero exit, AssertionError) against wrong_NN.py;
  (c) the check passes, printing nothing, against reference/wrong_NN.py copied in as
      wrong_NN.py (the reference script itself also exits 0);
  (d) wrong_NN.txt is exactly one non-empty line;
  (e) `import wrong_NN` prints nothing.

Prints one line per problem and a summary line; exits 1 if any check fails.

    .venv/bin/python benchmarks/cases/wrong/verify_corpus.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASE_COUNT = 42
TIMEOUT = 10


def run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {TIMEOUT} s"
    return proc.returncode, proc.stdout, proc.stderr


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def check_case(name: str) -> list[str]:
    script = HERE / f"{name}.py"
    check = HERE / f"{name}_check.py"
    reference = HERE / "reference" / f"{name}.py"
    description = HERE / f"{name}.txt"
    missing = [p for p in (script, check, reference, description) if not p.is_file()]
    if missing:
        return [f"{name}: missing {', '.join(str(p.relative_to(HERE)) for p in missing)}"]

    problems = []
    text = description.read_text(encoding="utf-8")
    if not text.strip() or len(text.rstrip("\n").splitlines()) != 1:
        problems.append(f"{name}: (d) {description.name} is not one non-empty line")
    if script.read_bytes() == reference.read_bytes():
        problems.append(f"{name}: reference is identical to the buggy script")

    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="wrong-corpus-") as tmp:
        work = Path(tmp)
        shutil.copy(script, work / script.name)
        shutil.copy(check, work / check.name)

        code, _out, err = run([py, script.name], work)
        if code != 0:
            problems.append(f"{name}: (a) script exits {code}: {last_line(err)}")

        code, out, err = run([py, "-c", f"import {name}"], work)
        if code != 0 or out or err:
            problems.append(f"{name}: (e) importing the module printed output or failed "
                            f"(exit {code}): {last_line(out) or last_line(err)}")

        code, _out, err = run([py, check.name], work)
        if code == 0:
            problems.append(f"{name}: (b) check passes against the buggy script")
        elif "AssertionError" not in err:
            problems.append(f"{name}: (b) check fails without AssertionError: {last_line(err)}")

        shutil.rmtree(work / "__pycache__", ignore_errors=True)
        shutil.copy(reference, work / script.name)

        code, _out, err = run([py, script.name], work)
        if code != 0:
            problems.append(f"{name}: reference script exits {code}: {last_line(err)}")

        code, out, err = run([py, check.name], work)
        if code != 0:
            problems.append(f"{name}: (c) check fails against the reference: {last_line(err)}")
        elif out:
            problems.append(f"{name}: (c) check prints output on success: {last_line(out)}")
    return problems


def main() -> int:
    names = [f"wrong_{n:02d}" for n in range(1, CASE_COUNT + 1)]
    extra = sorted(p.stem for p in HERE.glob("wrong_[0-9][0-9].py") if p.stem not in names)
    problems = [f"{stem}: unexpected case outside 01..{CASE_COUNT}" for stem in extra]
    failed = 0
    for name in names:
        case_problems = check_case(name)
        failed += bool(case_problems)
        problems += case_problems
    for line in problems:
        print(line)
    print(f"{CASE_COUNT - failed}/{CASE_COUNT} cases OK, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
