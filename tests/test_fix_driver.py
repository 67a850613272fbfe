"""`oci fix`'s process as one call (agent/fix.py ``FixJob.run``), without processes: the
file's runs are scripted, the model is the FakeBackend. What the command and chat /fix
see: the events in order, the callbacks asked, what is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oci_interpreter.agent import fix
from oci_interpreter.agent.events import Notice, Stopped
from oci_interpreter.agent.fix import (
    CheckWriting,
    CheckWritten,
    FileRunEnd,
    FileRunStart,
    FixFound,
    FixJob,
    FixOutcome,
    follow_fix,
)
from oci_interpreter.agent.fixrun import FileExecutor, as_user
from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import ExitStatus
from oci_interpreter.sandbox.limits import ExecResult

BROKEN = "total = 5\nprint('Total: ' + total)\n"
FIXED = "total = 5\nprint('Total: ' + str(total))\n"
FAILED = ExecResult(1, "", 'Traceback (most recent call last):\n  File "t.py", line 2, in '
                    "<module>\nTypeError: can only concatenate str\n", 0.01,
                    error="TypeError: can only concatenate str")
CLEAN = ExecResult(0, "Total: 5\n", "", 0.01)


class Scripted(FileExecutor):
    """The file's runs, scripted: ``runs[code]`` (a check's run: ``runs["check"]``)."""

    def __init__(self, executor: FileExecutor, runs: dict[str, ExecResult]) -> None:
        self.__dict__.update(executor.__dict__)
        self.runs = runs
        self.ran: list[str] = []

    def execute(self, code: str, on_output: object = None) -> ExecResult:
        if self.check is not None:
            return self.run_check(code)
        self.ran.append(code)
        return {key.rstrip(): run for key, run in self.runs.items()}[code.rstrip()]

    def run_original(self, on_output: object = None) -> ExecResult:
        self.original = self.execute(self.source.text)
        return self.original

    def run_check(self, code: str, on_output: object = None, *,
                  check: str | None = None) -> ExecResult:
        self.ran.append(f"check of {code}")
        return self.runs["check"] if code == self.source.text else CLEAN


@pytest.fixture
def job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FixJob:
    from oci_interpreter.core import git

    monkeypatch.setattr(git, "find_repository", lambda path: None)  # no git
    (tmp_path / "t.py").write_text(BROKEN)
    job = FixJob(tmp_path / "t.py", [], Settings(rounds=2, candidates=1))
    job.executor = Scripted(job.executor, {BROKEN: FAILED, FIXED: CLEAN, "check": FAILED})
    return job


def reply(code: str) -> str:
    return f"```python\n{code}```"


def test_nothing_to_fix_never_loads_a_model(job: FixJob) -> None:
    assert isinstance(job.executor, Scripted)
    job.executor.runs[BROKEN] = CLEAN

    def load() -> FakeBackend:
        raise AssertionError("no model is needed")

    events = list(job.run(load_model=load))
    assert [type(e) for e in events] == [FileRunStart, FileRunEnd, FixOutcome]
    outcome = events[-1]
    assert isinstance(outcome, FixOutcome) and outcome.nothing_to_fix
    assert outcome.exit_status == ExitStatus.OK and outcome.to_dict()["stop_reason"] == (
        "nothing_to_fix")


def test_a_fix_is_shown_then_written_only_when_accepted(job: FixJob, tmp_path: Path) -> None:
    asked: list[str] = []

    def accept(outcome: FixOutcome) -> bool:
        asked.append(outcome.diff)
        return True

    events = list(job.run(FakeBackend([reply(FIXED)]), accept_write=accept))
    found = [e for e in events if isinstance(e, FixFound)]
    assert len(found) == 1 and asked == [found[0].diff] and "+print('Total: ' + str(total))" \
        in found[0].diff
    assert isinstance(events[-2], FixFound) and isinstance(events[-1], FixOutcome)
    assert any(isinstance(e, Stopped) for e in events)  # the loop's events pass through
    outcome = events[-1]
    assert outcome.written and outcome.backup == tmp_path / "t.py.orig"
    assert (tmp_path / "t.py").read_text() == FIXED
    assert outcome.verified_by == "failing_code_runs"
    assert outcome.exit_status == ExitStatus.UNVERIFIED


def test_no_backup_and_a_declined_write(job: FixJob, tmp_path: Path) -> None:
    outcome = follow_fix(job.run(FakeBackend([reply(FIXED)]), accept_write=lambda o: True,
                                 backup=False))
    assert outcome.written and outcome.backup is None
    assert not (tmp_path / "t.py.orig").exists()


def test_a_declined_write_leaves_the_file(job: FixJob, tmp_path: Path) -> None:
    outcome = follow_fix(job.run(FakeBackend([reply(FIXED)])))  # accept_write: no by default
    assert outcome.fixed and not outcome.written
    assert (tmp_path / "t.py").read_text() == BROKEN


def test_a_loaded_model_is_closed_a_given_one_is_not(job: FixJob) -> None:
    closed: list[str] = []

    class Closing(FakeBackend):
        def close(self) -> None:
            closed.append(self.info.name)

    follow_fix(job.run(Closing([reply(FIXED)])))
    assert closed == []
    for event in job.run(load_model=lambda: Closing([reply(FIXED)])):
        if isinstance(event, FixFound):  # closed before the user is asked to write
            assert closed == ["fake"]
            break
    else:
        raise AssertionError("no fix found")
    check = "from t import total\nassert total\n"
    outcome = follow_fix(job.run(load_model=lambda: Closing([reply(check)]),
                                 description="x", accept_check=lambda c: False))
    assert outcome.end == "check_declined" and closed == ["fake", "fake"]


def test_the_check_is_shown_then_asked_and_a_declined_one_ends_it(job: FixJob) -> None:
    check = "from t import total\nassert total == 6\n"
    seen: list[object] = []

    def decline(shown: str) -> bool:
        seen.append(shown)
        return False

    outcome = follow_fix(job.run(FakeBackend([reply(check)]), description="total is 6",
                                 accept_check=decline), seen.append)
    assert [type(e) for e in seen[:4]] == [FileRunStart, FileRunEnd, CheckWriting,
                                           CheckWritten]
    assert seen[4] == check.rstrip()  # asked after it was shown
    assert outcome.end == "check_declined" and outcome.exit_status == ExitStatus.ERROR


def test_a_check_that_passes_as_it_is_ends_it(job: FixJob) -> None:
    assert isinstance(job.executor, Scripted)
    job.executor.runs["check"] = CLEAN
    job.executor.runs[BROKEN] = CLEAN  # it runs; the description says it is wrong
    events = list(job.run(FakeBackend([reply("from t import total\nassert total\n")]),
                          description="total is 6"))
    runs = [e for e in events if isinstance(e, FileRunStart)]
    assert [r.what for r in runs] == ["original", "check"]
    assert runs[1].command == "a check of t.py (from your description)"
    outcome = events[-1]
    assert isinstance(outcome, FixOutcome) and outcome.end == "check_passes"
    assert outcome.check is not None and not outcome.fixed


def test_a_passing_check_is_the_evidence(job: FixJob) -> None:
    outcome = follow_fix(job.run(FakeBackend([reply("from t import total\nassert 1\n"),
                                              reply(FIXED)]), description="x"))
    assert outcome.fixed and outcome.verified_by == "check"
    assert outcome.exit_status == ExitStatus.OK


def test_not_fixed_says_what_to_try_next(job: FixJob) -> None:
    assert isinstance(job.executor, Scripted)
    worse = "total = 6\nprint('Total: ' + total)\n"
    job.executor.runs[worse] = FAILED
    outcome = follow_fix(job.run(FakeBackend([reply(worse)] * 4)))
    assert not outcome.fixed and outcome.diff and outcome.hint.startswith("try more rounds")
    assert outcome.exit_status == ExitStatus.ERROR


def test_results_name_the_user_s_file_not_the_copy() -> None:
    result = ExecResult(1, "/tmp/x/.t.oci-123.py\n",
                        'File "/tmp/x/.t.oci-123.py", line 2\n.t.oci-123.py: boom\n', 0.1,
                        error="OSError: /tmp/x/.t.oci-123.py", stdout_bytes=21,
                        stderr_bytes=100, files=("/tmp/x/.t.oci-123.py.out",))
    shown = as_user(result, {"/tmp/x/.t.oci-123.py": "/w/t.py", ".t.oci-123.py": "t.py"})
    assert shown.stdout == "/w/t.py\n" and shown.error == "OSError: /w/t.py"
    assert shown.stderr == 'File "/w/t.py", line 2\nt.py: boom\n'
    assert shown.stdout_bytes == 8  # not cut before, not cut now
    assert shown.stderr_bytes == 100 - (len(result.stderr) - len(shown.stderr))
    assert result.output_capped and shown.output_capped  # cut before (stderr): still said
    assert shown.files == result.files  # where the program really wrote


def test_the_executor_keeps_no_rename_state(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert not hasattr(fix, "_SKIP_DIRS")
    from oci_interpreter.core import git

    monkeypatch.setattr(git, "find_repository", lambda path: None)
    (tmp_path / "t.py").write_text(BROKEN)
    assert FixJob(tmp_path / "t.py", [], Settings()).executor.rename == {}


# ------------------------------------------------------------- large files --

def inventory(helpers: int) -> str:
    """A script of ~8 lines per helper with an AttributeError deep inside."""
    parts = ['"""Inventory report."""', "from dataclasses import dataclass", "", "",
             "@dataclass", "class Item:", "    name: str", "    unit_cost: float",
             "    qty: int", ""]
    for i in range(helpers):
        parts += ["", f"def helper_{i}(rows):", f'    """Helper {i}."""', "    total = 0",
                  "    for row in rows:", f"        total += len(row) * {i}",
                  "    return total", ""]
    parts += ["", "def order_cost(item):", "    # one order line",
              "    return item.unit_price * item.qty", "", "",
              'if __name__ == "__main__":', '    print(order_cost(Item("bolt", 0.5, 4)))', ""]
    return "\n".join(parts)


def failed_at(text: str) -> ExecResult:
    lines = text.splitlines()
    main = lines.index('    print(order_cost(Item("bolt", 0.5, 4)))') + 1
    bug = lines.index("    return item.unit_price * item.qty") + 1
    stderr = (f'Traceback (most recent call last):\n  File "big.py", line {main}, in <module>\n'
              f'  File "big.py", line {bug}, in order_cost\n'
              "AttributeError: 'Item' object has no attribute 'unit_price'\n")
    return ExecResult(1, "", stderr, 0.01, error="AttributeError")


def large_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers: int) -> FixJob:
    from oci_interpreter.core import git

    monkeypatch.setattr(git, "find_repository", lambda path: None)
    text = inventory(helpers)
    (tmp_path / "big.py").write_text(text)
    job = FixJob(tmp_path / "big.py", [], Settings(rounds=2, candidates=1))
    fixed = text.replace("item.unit_price", "item.unit_cost")
    job.executor = Scripted(job.executor, {text: failed_at(text),
                                           fixed: ExecResult(0, "2.0\n", "", 0.01)})
    return job


def test_a_large_file_is_repaired_from_a_view_and_one_function(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = large_job(tmp_path, monkeypatch, helpers=150)  # about 1,200 lines
    text = job.source.text
    assert text.count("\n") > 1200
    model = FakeBackend([reply("def order_cost(item):\n    # Fixed: unit_cost\n"
                               "    return item.unit_cost * item.qty\n")])
    outcome = follow_fix(job.run(model, accept_write=lambda o: True, backup=False))
    request = model.calls[0][-1].content
    assert "    unit_cost: float" in request and "helper_99" in request  # named, not shown
    assert "total += len(row) * 99" not in request
    assert len(request) < len(text) / 4
    assert model.options[0].max_tokens < 1000  # room for the view, not for the file
    assert outcome.fixed and outcome.written
    written = (tmp_path / "big.py").read_text()
    assert written == text.replace("item.unit_price", "item.unit_cost")  # only that line
    edits = [line for line in outcome.diff.splitlines()[2:] if line[:1] in "+-"]
    assert edits == ["-    return item.unit_price * item.qty",
                     "+    return item.unit_cost * item.qty"]


def test_the_request_does_not_grow_with_the_file_beyond_its_outline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = []
    for helpers in (60, 240):  # both above fix.FOCUS_ABOVE_TOKENS
        job = large_job(tmp_path, monkeypatch, helpers)
        model = FakeBackend([reply("def order_cost(item):\n"
                                   "    return item.unit_cost * item.qty\n")])
        follow_fix(job.run(model))
        sizes.append((len(job.source.text), len(model.calls[0][-1].content),
                      model.options[0].max_tokens))
    (small_file, small_request, small_room), (large_file, large_request, large_room) = sizes
    assert large_file > 3.5 * small_file
    assert large_request - small_request < 180 * 30  # one outline line per helper
    assert large_room == small_room  # the reply's room is the same


def test_involved_code_too_large_for_the_context_names_the_largest_function(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.core.errors import UsageError

    job = large_job(tmp_path, monkeypatch, helpers=150)
    # The function that raised is 600 lines long: it is shown whatever its size.
    text = job.source.text.replace("    # one order line\n",
                                   "".join(f"    step_{i} = {i}\n" for i in range(600)))
    (tmp_path / "big.py").write_text(text)
    job = FixJob(tmp_path / "big.py", [], Settings(rounds=2, candidates=1))
    job.executor = Scripted(job.executor, {text: failed_at(text)})
    with pytest.raises(UsageError, match="the largest, `order_cost`, has 602 lines"):
        follow_fix(job.run(FakeBackend([], n_ctx=4096)))


def test_a_script_that_calls_input_elsewhere_is_repaired(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """input() in a --play mode the failing run never reaches is no reason to skip it."""
    from oci_interpreter.core import git

    monkeypatch.setattr(git, "find_repository", lambda path: None)
    broken = ("import sys\n\ndef play():\n    return input('move? ')\n\n"
              "total = 5\nif '--play' in sys.argv:\n    play()\nprint('Total: ' + total)\n")
    fixed = broken.replace("'Total: ' + total", "'Total: ' + str(total)")
    (tmp_path / "t.py").write_text(broken)
    job = FixJob(tmp_path / "t.py", [], Settings(rounds=2, candidates=1))
    failed = ExecResult(1, "", 'Traceback (most recent call last):\n  File "t.py", line 9, in '
                        "<module>\nTypeError: can only concatenate str\n", 0.01,
                        error="TypeError")
    job.executor = Scripted(job.executor, {broken: failed, fixed: CLEAN})
    outcome = follow_fix(job.run(FakeBackend([reply(fixed)])))
    assert outcome.fixed and outcome.code == fixed


@pytest.mark.parametrize(("command", "exit_code", "said"), [
    ("nosuch-tester -q", 127, "`nosuch-tester` was not found"),
    ("./tests.sh", 126, "`./tests.sh` could not be run"),
    ("pytest -q tests/test_gone.py", 4, "pytest could not find"),
    ("python -m pytest -q", 5, "pytest collected no tests"),
    ("false", 1, "`false` always fails"),
])
def test_a_test_command_that_can_never_pass_is_said_before_a_model_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, exit_code: int,
        said: str) -> None:
    from oci_interpreter.core import git
    from oci_interpreter.core.errors import UsageError

    monkeypatch.setattr(git, "find_repository", lambda path: None)
    (tmp_path / "t.py").write_text(BROKEN)
    job = FixJob(tmp_path / "t.py", [], Settings(rounds=2, candidates=1), test=command)
    job.executor = Scripted(job.executor, {BROKEN: ExecResult(exit_code, "", "", 0.01)})

    def load() -> FakeBackend:
        raise AssertionError("no model is needed")

    with pytest.raises(UsageError, match=re.escape("the --test command can never pass: " + said)):
        follow_fix(job.run(load_model=load))


def test_a_failing_test_command_that_could_pass_goes_on_to_the_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.core import git

    monkeypatch.setattr(git, "find_repository", lambda path: None)
    (tmp_path / "t.py").write_text(BROKEN)
    job = FixJob(tmp_path / "t.py", [], Settings(rounds=1, candidates=1), test="pytest -q")
    failed = ExecResult(1, "1 failed", "", 0.01)
    job.executor = Scripted(job.executor, {BROKEN: failed, FIXED: CLEAN})
    outcome = follow_fix(job.run(FakeBackend([reply(FIXED)])))
    assert outcome.fixed and outcome.verified_by == "test"


def test_a_check_that_only_prints_is_refused_and_asked_once_more(job: FixJob) -> None:
    printing = reply("from t import total\nprint(total)  # Expected output: 5\n")
    asserting = reply("from t import total\nassert total == 5\n")
    model = FakeBackend([printing, asserting, reply(FIXED)])
    events = list(job.run(model, description="the total should be 5"))
    notes = [e.text for e in events if isinstance(e, Notice)]
    assert any("asserts nothing" in n for n in notes)
    outcome = events[-1]
    assert isinstance(outcome, FixOutcome) and outcome.check is not None
    assert "assert total == 5" in outcome.check and outcome.verified_by == "check"


def test_a_check_that_never_asserts_is_refused(job: FixJob) -> None:
    from oci_interpreter.core.errors import UsageError

    printing = reply("from t import total\nprint(total)\n")
    with pytest.raises(UsageError, match="asserts nothing"):
        follow_fix(job.run(FakeBackend([printing, printing]), description="total should be 5"))


def test_what_counts_as_asserting_something() -> None:
    from oci_interpreter.agent.verify import asserts_something

    assert asserts_something("assert f(2) == 4\n")
    assert asserts_something("import unittest\nclass T(unittest.TestCase):\n"
                             "    def test(self):\n        self.assertEqual(f(2), 4)\n")
    assert asserts_something("import sys\nif f(2) != 4:\n    sys.exit(1)\n")
    assert not asserts_something("print(f(2))  # Expected output: 4\n")
    assert not asserts_something("if f(2) != 4:\n    print('wrong')\n")


def test_the_check_request_of_a_large_file_shows_a_view(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = large_job(tmp_path, monkeypatch, helpers=150)
    assert isinstance(job.executor, Scripted)
    job.executor.runs["check"] = failed_at(job.source.text)
    model = FakeBackend([reply("from big import order_cost\nassert order_cost(x) == 2\n"),
                         reply("def order_cost(item):\n    return item.unit_cost * item.qty\n")])
    outcome = follow_fix(job.run(model, description="order_cost should give 2.0 for 4 bolts"))
    assert outcome.fixed and outcome.verified_by == "check"
    request = model.calls[0][-1].content
    assert "def order_cost(item):" in request and "return item.unit_price" in request
    assert len(request) < len(job.source.text) / 4
