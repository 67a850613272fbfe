"""How good are the checks `oci fix -m` asks the model to write? The wrong-result corpus.

For each case of benchmarks/cases/wrong/ this asks the model for the check of the case's
description, exactly as `oci fix FILE -m TEXT` does (agent.fix.FixJob.write_check), and
runs it against the buggy script and against the reference fix. A check is

* good: it fails on the buggy script and passes on the reference fix;
* blind: it passes on the buggy script (it does not show the problem; oci says so and
  changes nothing);
* wrong: it fails on the reference fix too (an expected value is wrong, so no correct
  repair can pass it: the repair loop runs to its end and reports "not fixed");
* broken: it fails on both for another reason than an assert (a NameError, a bad import).

A repair can only be right through a good check, so this bounds what `-m` can fix and
costs one model reply per case (seconds), not a whole repair (minutes).

    .venv/bin/python benchmarks/check_quality.py --model default --out checks.jsonl
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oci_interpreter.agent.fix import FixJob  # noqa: E402
from oci_interpreter.core.config import Settings  # noqa: E402

CASES = ROOT / "benchmarks" / "cases" / "wrong"


def run_check(check: str, script: Path, name: str) -> tuple[bool, str]:
    """Run ``check`` next to a copy of ``script`` named ``name``: (passed, last line)."""
    with tempfile.TemporaryDirectory(prefix="oci-check-") as tmp:
        shutil.copyfile(script, Path(tmp) / name)
        (Path(tmp) / "check.py").write_text(check, encoding="utf-8")
        try:
            proc = subprocess.run([sys.executable, "check.py"], cwd=tmp, capture_output=True,
                                  text=True, timeout=30, check=False,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return False, "timed out"
    lines = proc.stderr.strip().splitlines()
    return proc.returncode == 0, (lines[-1] if lines else "")


def judge(check: str, case: Path) -> tuple[str, str]:
    """good, blind, wrong or broken (the module's docstring), and the reference's last
    stderr line."""
    on_bug, _ = run_check(check, case, case.name)
    on_ref, ref_line = run_check(check, CASES / "reference" / case.name, case.name)
    if on_bug:
        return "blind", ref_line
    if on_ref:
        return "good", ref_line
    return ("wrong" if "AssertionError" in ref_line else "broken"), ref_line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default", help="model name or .gguf path")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--only", default="", help="case numbers, e.g. 1,2,15")
    parser.add_argument("--out", type=Path, default=None, help="JSONL log, one case a line")
    parser.add_argument("--prompt", type=Path, default=None,
                        help="a file with another fix_check_request prompt to try")
    args = parser.parse_args()
    if args.prompt is not None:
        import dataclasses

        from oci_interpreter.agent import prompts

        text = args.prompt.read_text(encoding="utf-8").strip()
        original = prompts.for_family
        prompts.for_family = lambda family: dataclasses.replace(
            original(family), fix_check_request=text)

    from oci_interpreter.agent import verify
    from oci_interpreter.backend.loader import load_backend

    # The model's own check, before `-m` drops the asserts of numbers nobody stated: both
    # are judged, so one run shows what the filter does.
    raw: list[str] = []
    keep = verify.keep_stated_asserts

    def remember(check: str, description: str) -> tuple[str, int]:
        raw.append(check)
        return keep(check, description)

    verify.keep_stated_asserts = remember

    settings = Settings(model=args.model, n_ctx=4096, temperature=0.0, seed=1234,
                        threads=args.threads)
    backend = load_backend(settings)
    cases = sorted(CASES.glob("wrong_[0-9][0-9].py"))
    if args.only:
        wanted = {f"wrong_{int(n):02d}" for n in args.only.split(",") if n.strip()}
        cases = [c for c in cases if c.stem in wanted]
    log = args.out.open("w", encoding="utf-8") if args.out else None
    counts = {"good": 0, "blind": 0, "wrong": 0, "broken": 0}
    model_counts = dict(counts)
    started = time.monotonic()
    for case in cases:
        description = case.with_suffix(".txt").read_text(encoding="utf-8").strip()
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="oci-check-") as tmp:
            copy = Path(tmp) / case.name
            shutil.copyfile(case, copy)
            try:
                check = FixJob(copy, [], settings).write_check(backend, description)
            except Exception as exc:  # a case that writes no check
                check = ""
                print(f"{case.stem}: no check ({exc})")
        model_check = raw[-1] if raw else check
        raw.clear()
        verdict, ref_line = judge(check, case)
        model_verdict = judge(model_check, case)[0]
        counts[verdict] += 1
        model_counts[model_verdict] += 1
        seconds = round(time.monotonic() - t0, 1)
        print(f"{case.stem}  {verdict:<7} (model's own: {model_verdict:<7}) {seconds:>5}s  "
              f"{ref_line[:80] if verdict != 'good' else ''}", flush=True)
        if log is not None:
            log.write(json.dumps({"id": case.stem, "verdict": verdict, "check": check,
                                  "model_verdict": model_verdict, "model_check": model_check,
                                  "on_reference": ref_line, "seconds": seconds}) + "\n")
            log.flush()
    backend.close()
    n = len(cases) or 1
    print(f"\nmodel {backend.info.name} · {len(cases)} cases · "
          f"{time.monotonic() - started:.0f} s\n" +
          "as used:           " +
          "  ".join(f"{k} {v} ({100 * v / n:.0f}%)" for k, v in counts.items()) +
          "\nthe model's own:   " +
          "  ".join(f"{k} {v} ({100 * v / n:.0f}%)" for k, v in model_counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
