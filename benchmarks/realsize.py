"""`oci fix` on real-size scripts: the corpus benchmarks/cases/realsize/ (see its README).

18 real programs of 145 to 2,074 lines, each with one injected bug: a crash (the script
stops with a traceback), or a wrong result that comes with a one-sentence description
(``-m``) or a test command (``--test``). A hidden ``check.py`` per case, which oci never
sees, says whether the file oci wrote is right.

``check`` verifies the corpus: every buggy script fails as its case.json says (a crash:
non-zero exit with a traceback; a wrong result: it runs cleanly, but check.py, and the
test command, fail), every reference fix runs cleanly and passes check.py (and the test),
and each reference differs from its buggy script in at most 5 lines. Exit 1 lists the
problems.

``run`` drives an installed ``oci`` (any version: pass its path with --oci, so an older
checkout can be measured the same way) on a copy of each case folder without check.py,
reference.py and case.json: ``oci fix FILE --yes --json --model M [-m TEXT | --test CMD]
[-- ARGS]``, then runs check.py on the file it left. Each case is classed:

* ``fixed_right`` / ``claimed_wrong``: exit 0 with the file changed; the check passes / fails;
* ``unverified_right`` / ``unverified_wrong``: exit 7 (a change that runs, nothing checked
  what it computes); the check passes / fails. With ``fixed_right`` and ``claimed_wrong``
  these make "oci says fixed and it is right" and "oci says fixed and it is wrong", the
  two sums in the summary;
* ``nothing_to_fix``: exit 0 and the file unchanged (every case has a bug, so this is wrong);
* ``not_fixed``: exit 1;
* ``refused``: exit 2 or 6 (too large for the context, or another refusal), with its line;
* ``error``: anything else (a model that is not there, a time-out, a crash of oci).

``changed_lines_outside`` counts the lines oci changed (deleted, replaced or inserted,
placed by their line in the buggy original) at places the reference fix does not change:
how far the repair drifted from the one-line fix. One JSON line per case goes to --out
(--resume skips the ids already there); the summary is per size bucket and overall.

    .venv/bin/python benchmarks/realsize.py check
    .venv/bin/python benchmarks/realsize.py run --model small --out realsize-small.jsonl
    .venv/bin/python benchmarks/realsize.py run --model default --tuning --out tuning.jsonl
    .venv/bin/python benchmarks/realsize.py run --oci /old/checkout/.venv/bin/oci \\
        --held-out --out realsize-before.jsonl --oci-args "--n-ctx 32768"
    .venv/bin/python benchmarks/realsize.py run --only nbody,sudoku --resume --out r.jsonl

Greedy decoding (the commands' default), a fixed seed: the numbers repeat run to run. The
scripts are run (and check.py) by the interpreter running this file; the stdlib copies in
the corpus are Python 3.11's, so use 3.11 or later.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "benchmarks" / "cases" / "realsize"
HIDDEN = ("check.py", "reference.py", "case.json")
"""Files of a case folder that oci never sees."""
KINDS = ("attribute", "key", "off_by_one", "method", "import", "str_int", "wrong_result")
MODES = ("crash", "message", "test")
BUCKETS = (("100-200", 0, 200), ("200-450", 200, 450), ("450-900", 450, 900),
           ("900-1600", 900, 1600), ("1600+", 1600, 10**9))
VERDICTS = ("fixed_right", "unverified_right", "claimed_wrong", "unverified_wrong",
            "nothing_to_fix", "not_fixed", "refused", "error")
MAX_REFERENCE_CHANGE = 5
RUN_TIMEOUT = 120.0
"""Seconds for one run of a script, check.py or a test command."""


# ------------------------------------------------------------------------- cases --

def load_cases() -> list[dict[str, Any]]:
    cases = []
    for folder in sorted(p for p in CASES.iterdir() if (p / "case.json").is_file()):
        case = json.loads((folder / "case.json").read_text(encoding="utf-8"))
        case["dir"] = folder
        cases.append(case)
    return cases


def bucket(lines: int) -> str:
    return next(name for name, _, high in BUCKETS if lines <= high)


def interpreter_command(command: str) -> list[str]:
    """A case's test command as argv, ``python`` being the interpreter running this."""
    argv = shlex.split(command)
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


def copy_visible(case: dict[str, Any], dest: Path) -> Path:
    """The case folder as oci gets it (no check.py, reference.py, case.json) at ``dest``."""
    shutil.copytree(case["dir"], dest,
                    ignore=shutil.ignore_patterns(*HIDDEN, "__pycache__", "*.pyc"))
    return dest


def run_quiet(argv: list[str], cwd: Path, timeout: float = RUN_TIMEOUT
              ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="80", LINES="24", PYTHONDONTWRITEBYTECODE="1")
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False, env=env)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, -1, "", f"timed out after {timeout:.0f} s")


def hidden_check(case: dict[str, Any], work: Path) -> subprocess.CompletedProcess[str]:
    """Run the case's check.py in ``work``, where the file to judge is."""
    shutil.copy(case["dir"] / "check.py", work / "check.py")
    return run_quiet([sys.executable, "check.py"], work, timeout=3 * RUN_TIMEOUT)


def line_changes(old: list[str], new: list[str]) -> dict[int, int]:
    """The lines ``new`` changes in ``old``, by their index in ``old``: a deleted or
    replaced line counts at its own index; inserted lines (and the extra lines of a
    replacement) count at the index they come before (the last replaced line's)."""
    changes: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            changes[i] = changes.get(i, 0) + 1
        extra = (j2 - j1) - (i2 - i1)
        if extra > 0:
            at = i2 - 1 if i2 > i1 else i1
            changes[at] = changes.get(at, 0) + extra
    return changes


def changed_count(old: list[str], new: list[str]) -> int:
    """Lines changed, a replacement counting the larger of its two sides."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return sum(max(i2 - i1, j2 - j1)
               for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)


# ------------------------------------------------------------------------- check --

def check_case(case: dict[str, Any]) -> list[str]:
    """What is wrong with one case (nothing: [])."""
    folder: Path = case["dir"]
    name = folder.name
    problems: list[str] = []

    def bad(text: str) -> None:
        problems.append(f"{name}: {text}")

    for key in ("id", "file", "lines", "kind", "mode", "args", "origin", "license",
                "held_out"):
        if key not in case:
            bad(f"case.json has no {key!r}")
    if problems:
        return problems
    file = folder / case["file"]
    if case["id"] != name:
        bad(f"id {case['id']!r} is not the folder's name")
    if case["kind"] not in KINDS:
        bad(f"kind {case['kind']!r} is not one of {', '.join(KINDS)}")
    if case["mode"] not in MODES:
        bad(f"mode {case['mode']!r} is not one of {', '.join(MODES)}")
    if (case["kind"] == "wrong_result") != (case["mode"] != "crash"):
        bad("a wrong result comes with mode message or test, a crash with mode crash")
    if case["mode"] == "message" and not str(case.get("message", "")).strip():
        bad("mode message without a message")
    if case["mode"] == "test" and not str(case.get("test", "")).strip():
        bad("mode test without a test command")
    if not isinstance(case["held_out"], bool) or not isinstance(case["args"], list):
        bad("held_out must be true or false and args a list")
    for needed in (file, folder / "reference.py", folder / "check.py"):
        if not needed.is_file():
            bad(f"{needed.name} is missing")
    if problems:
        return problems
    buggy, reference = read_lines(file), read_lines(folder / "reference.py")
    if len(buggy) != case["lines"]:
        bad(f"lines is {case['lines']}, but {case['file']} has {len(buggy)}")
    size = changed_count(buggy, reference)
    if not 1 <= size <= MAX_REFERENCE_CHANGE:
        bad(f"reference.py changes {size} lines of {case['file']} "
            f"(1 to {MAX_REFERENCE_CHANGE} expected)")
    first = min(line_changes(buggy, reference), default=-1) + 1
    if 0 < first <= 30 and case["kind"] != "import":
        bad(f"the bug is on line {first}, in the first 30 lines")
    args = [str(a) for a in case["args"]]
    test = interpreter_command(case["test"]) if case["mode"] == "test" else None

    with tempfile.TemporaryDirectory(prefix="oci-realsize-check-") as tmp:
        # The buggy script, as oci will get it.
        work = copy_visible(case, Path(tmp) / "buggy")
        run = run_quiet([sys.executable, case["file"], *args], work)
        if case["mode"] == "crash":
            if run.returncode == 0 or "Traceback (most recent call last)" not in run.stderr:
                bad(f"the buggy script does not crash with a traceback (exit {run.returncode})")
        elif run.returncode != 0:
            bad(f"the buggy script does not run cleanly (exit {run.returncode}): "
                f"{last_line(run.stderr)}")
        if test is not None:
            proc = run_quiet(test, work)
            if proc.returncode == 0:
                bad(f"the test command passes on the buggy script: {case['test']}")
        proc = hidden_check(case, work)
        if proc.returncode == 0:
            bad("check.py passes on the buggy script")

        # The reference fix in its place.
        work = copy_visible(case, Path(tmp) / "reference")
        shutil.copy(folder / "reference.py", work / case["file"])
        run = run_quiet([sys.executable, case["file"], *args], work)
        if run.returncode != 0:
            bad(f"the reference fix does not run cleanly (exit {run.returncode}): "
                f"{last_line(run.stderr)}")
        if test is not None:
            proc = run_quiet(test, work)
            if proc.returncode != 0:
                bad(f"the test command fails on the reference fix: {last_line(proc.stderr)}")
        proc = hidden_check(case, work)
        if proc.returncode != 0:
            bad(f"check.py fails on the reference fix: {last_line(proc.stderr)}")
    return problems


def check_corpus(cases: list[dict[str, Any]]) -> list[str]:
    """Problems of the corpus as a whole: the spread over sizes, the held-out share."""
    problems = []
    sizes = [bucket(int(c.get("lines", 0))) for c in cases]
    for name, _, _ in BUCKETS:
        if sizes.count(name) < 3:
            problems.append(f"corpus: {sizes.count(name)} cases of {name} lines (3 expected)")
    held = sum(bool(c.get("held_out")) for c in cases)
    if not len(cases) / 5 <= held <= len(cases) / 2:
        problems.append(f"corpus: {held} of {len(cases)} cases held out (about a third expected)")
    return problems


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""


def command_check(args: argparse.Namespace) -> int:
    cases = select(load_cases(), args.only, held_out=False, tuning=False)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(check_case, cases))
    problems = [p for found in results for p in found]
    if not args.only:
        problems += check_corpus(cases)
    for case, found in zip(cases, results, strict=True):
        if args.verbose or found:
            print(f"{case['id']:<14}{case['lines']:>6}  {case['kind']:<13}{case['mode']:<8}"
                  f"{'held out' if case['held_out'] else 'tuning':<9}"
                  f"{'ok' if not found else 'PROBLEM'}")
    for problem in problems:
        print(problem)
    print(f"{len(cases)} cases checked in {time.monotonic() - started:.0f} s: "
          f"{'ok' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


# --------------------------------------------------------------------------- run --

def oci_argv(oci: str, model: str, case: dict[str, Any], extra: list[str]) -> list[str]:
    argv = [oci, "fix", case["file"], "--yes", "--json", "--model", model]
    if case["mode"] == "message":
        argv += ["-m", case["message"]]
    elif case["mode"] == "test":
        argv += ["--test", shlex.join(interpreter_command(case["test"]))]
    argv += extra
    if case["args"]:
        argv += ["--", *[str(a) for a in case["args"]]]
    return argv


def run_oci(argv: list[str], cwd: Path, timeout: float) -> tuple[int | None, str, str, float]:
    """Exit status (None: timed out), stdout, stderr and seconds. On a time-out oci gets
    Ctrl-C first (it stops and prints its report so far: what the model wrote is kept),
    then the whole process group is killed, so no sandboxed program outlives it."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        seconds = time.monotonic() - started
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return None, out, err, seconds
    return code, out, err, time.monotonic() - started


def parse_report(stdout: str) -> dict[str, Any]:
    """The object ``oci fix --json`` printed ({} when it printed none)."""
    text = stdout.strip()
    for candidate in (text, *reversed(text.splitlines())):
        try:
            report = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(report, dict):
            return report
    return {}


def classify(code: int | None, changed: bool, right: bool) -> str:
    if code == 0:
        if not changed:
            return "nothing_to_fix"
        return "fixed_right" if right else "claimed_wrong"
    if code == 7:
        return "unverified_right" if right else "unverified_wrong"
    if code == 1:
        return "not_fixed"
    if code in (2, 6):
        return "refused"
    return "error"


WORKDIR = Path(tempfile.gettempdir()) / "oci-realsize-work"
"""Where each case runs: the same path every run, because the path is in the traceback the
model reads, and a different temporary name changes the tokens and so the greedy reply
(difflib's first reply differed between two runs of the same commit). One run at a time
on a machine."""


@contextlib.contextmanager
def fixed_workdir() -> Iterator[Path]:
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    try:
        yield WORKDIR
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)


def run_case(case: dict[str, Any], oci: str, model: str, extra: list[str],
             timeout: float, reports: Path | None = None) -> dict[str, Any]:
    folder: Path = case["dir"]
    original = (folder / case["file"]).read_bytes()
    argv = oci_argv(oci, model, case, extra)
    with fixed_workdir() as tmp:
        work = copy_visible(case, tmp / case["id"])
        code, out, err, seconds = run_oci(argv, work, timeout)
        written = work / case["file"]
        after = written.read_bytes() if written.is_file() else b""
        changed = after != original
        check = hidden_check(case, work)
    right = check.returncode == 0
    report = parse_report(out)
    if reports is not None:  # the whole --json report, the model's replies included
        reports.mkdir(parents=True, exist_ok=True)
        (reports / f"{case['id']}.json").write_text(json.dumps(report, indent=1) + "\n",
                                                    encoding="utf-8")
    stats = report.get("stats") or {}
    buggy = original.decode("utf-8", errors="replace").splitlines(keepends=True)
    fixed = after.decode("utf-8", errors="replace").splitlines(keepends=True)
    reference = read_lines(folder / "reference.py")
    ours = line_changes(buggy, fixed) if changed else {}
    theirs = line_changes(buggy, reference)
    verdict = classify(code, changed, right)
    reason = ""
    if verdict in ("refused", "error"):
        reason = "timed out" if code is None else last_line(err) or last_line(out)
    elif verdict == "not_fixed":
        reason = str(report.get("message") or last_line(err))
    diff = "".join(difflib.unified_diff(buggy, fixed, case["file"], case["file"]))
    return {
        "id": case["id"], "lines": case["lines"], "bucket": bucket(case["lines"]),
        "kind": case["kind"], "mode": case["mode"], "held_out": case["held_out"],
        "oci": oci, "model": model, "exit": code, "verdict": verdict,
        "changed": changed, "right": right, "seconds": round(seconds, 1),
        "stop_reason": report.get("stop_reason"), "verified": report.get("verified"),
        "verified_by": report.get("verified_by"), "success": report.get("success"),
        "rounds": report.get("rounds"),
        "generated_tokens": stats.get("generated_tokens"),
        "prompt_tokens": stats.get("prompt_tokens"),
        "generations": stats.get("generations"),
        "rejected": [r.get("kind") for r in report.get("rejected") or []],
        "changed_lines": sum(ours.values()),
        "changed_lines_outside": sum(n for i, n in ours.items() if i not in theirs),
        "reason": reason,
        "check_failure": "" if right else last_line(check.stderr),
        "stderr_tail": err.strip().splitlines()[-3:],
        "diff": diff[:20000],
    }


def median(values: Iterable[Any]) -> float | None:
    numbers = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(numbers) if numbers else None


SHORT = {"fixed_right": "fix+ok", "unverified_right": "7+ok", "claimed_wrong": "fix+bad",
         "unverified_wrong": "7+bad", "nothing_to_fix": "nothing", "not_fixed": "notfix",
         "refused": "refused", "error": "error"}


def summary(rows: list[dict[str, Any]]) -> list[str]:
    head = (f"{'lines':<10}{'n':>3}" + "".join(f"{SHORT[v]:>9}" for v in VERDICTS)
            + f"{'right':>7}{'wrong':>7}{'drift':>7}{'med s':>8}{'med tok':>9}")
    lines = [head]

    def line(label: str, part: list[dict[str, Any]]) -> str:
        counts = {v: sum(r["verdict"] == v for r in part) for v in VERDICTS}
        right = counts["fixed_right"] + counts["unverified_right"]
        wrong = counts["claimed_wrong"] + counts["unverified_wrong"]
        drift = median(r["changed_lines_outside"] for r in part if r["changed"])
        seconds = median(r["seconds"] for r in part)
        tokens = median(r["generated_tokens"] for r in part)
        return (f"{label:<10}{len(part):>3}" + "".join(f"{counts[v]:>9}" for v in VERDICTS)
                + f"{right:>7}{wrong:>7}"
                + f"{'-' if drift is None else f'{drift:g}':>7}"
                + f"{'-' if seconds is None else f'{seconds:.0f}':>8}"
                + f"{'-' if tokens is None else f'{tokens:.0f}':>9}")

    for name, _, _ in BUCKETS:
        part = [r for r in rows if r["bucket"] == name]
        if part:
            lines.append(line(name, part))
    lines.append(line("all", rows))
    held = [r for r in rows if r["held_out"]]
    if held and len(held) < len(rows):
        lines.append(line("tuning", [r for r in rows if not r["held_out"]]))
        lines.append(line("held out", held))
    lines.append("right = fix+ok + 7+ok (oci says fixed or exit 7, and the hidden check passes); "
                 "wrong = fix+bad + 7+bad; drift = median changed_lines_outside of the "
                 "changed files; med s = median wall seconds; med tok = median generated "
                 "tokens")
    return lines


def select(cases: list[dict[str, Any]], only: str, *, held_out: bool,
           tuning: bool) -> list[dict[str, Any]]:
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        unknown = wanted - {c["id"] for c in cases}
        if unknown:
            raise SystemExit(f"no such case: {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c["id"] in wanted]
    if held_out:
        cases = [c for c in cases if c["held_out"]]
    if tuning:
        cases = [c for c in cases if not c["held_out"]]
    return cases


def command_run(args: argparse.Namespace) -> int:
    cases = select(load_cases(), args.only, held_out=args.held_out, tuning=args.tuning)
    extra = shlex.split(args.oci_args)
    done: dict[str, dict[str, Any]] = {}
    if args.resume and args.out and args.out.is_file():
        for text in args.out.read_text(encoding="utf-8").splitlines():
            if text.strip():
                row = json.loads(text)
                done[str(row["id"])] = row
    rows = []
    log = (args.out.open("a" if args.resume else "w", encoding="utf-8")
           if args.out else None)
    try:
        for case in cases:
            if case["id"] in done:
                rows.append(done[case["id"]])
                continue
            row = run_case(case, args.oci, args.model, extra, args.timeout, args.reports)
            rows.append(row)
            print(f"{row['id']:<14}{row['lines']:>6}  {row['verdict']:<17}exit={row['exit']} "
                  f"by={row['verified_by']} tokens={row['generated_tokens']} "
                  f"outside={row['changed_lines_outside']} {row['seconds']}s"
                  + (f"  ({row['reason']})" if row["reason"] else ""), flush=True)
            if log is not None:
                log.write(json.dumps(row) + "\n")
                log.flush()
    finally:
        if log is not None:
            log.close()
    print(f"\n{args.oci} · model {args.model} · {len(rows)} cases")
    for text in summary(rows):
        print(text)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="verify the corpus (runs every script; no model)")
    check.add_argument("--only", default="", help="case ids, e.g. nbody,sudoku")
    check.add_argument("-j", "--jobs", type=int, default=1, help="cases checked at once")
    check.add_argument("-v", "--verbose", action="store_true", help="a line per case")
    run = sub.add_parser("run", help="run oci fix on every case and score it")
    run.add_argument("--oci", default=str(ROOT / ".venv" / "bin" / "oci"),
                     help="the oci command to measure")
    run.add_argument("--model", default="default",
                     help="small, default or a model name or .gguf path (oci's --model)")
    run.add_argument("--only", default="", help="case ids, e.g. nbody,sudoku")
    split = run.add_mutually_exclusive_group()
    split.add_argument("--held-out", action="store_true", help="only the held-out cases")
    split.add_argument("--tuning", action="store_true", help="only the cases not held out")
    run.add_argument("--out", type=Path, default=None, help="JSONL log, one case a line")
    run.add_argument("--resume", action="store_true", help="skip the cases in --out")
    run.add_argument("--reports", type=Path, default=None,
                     help="folder for each case's whole oci --json report (the replies)")
    run.add_argument("--timeout", type=float, default=3600.0,
                     help="seconds per case for oci fix (default 3600)")
    run.add_argument("--oci-args", default="",
                     help='more options for oci fix, e.g. "--n-ctx 32768 --rounds 2"')
    args = parser.parse_args()
    if sys.version_info < (3, 11):
        print("warning: the corpus's stdlib copies are Python 3.11's", file=sys.stderr)
    return command_check(args) if args.command == "check" else command_run(args)


if __name__ == "__main__":
    raise SystemExit(main())
