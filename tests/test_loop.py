"""The refine loop with a scripted model: every stop rule, the repetition breakers, the
strategies, candidates, the feedback the model reads, context trimming, the executor's
verdict. The programs' runs are scripted too (``ScriptedExecutor``: the fast lane, no
process started); the tests marked ``both`` also run with the real sandbox, which proves
the executor of ``oci run`` works with the loop and the scripted results are faithful."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from oci_interpreter.agent.contracts import Approval, Executor, LoopOptions
from oci_interpreter.agent.events import (
    CodeFound,
    CodeSkipped,
    Event,
    ExecutionEnd,
    ModelReply,
    ModelText,
    Notice,
    Stopped,
    event_to_dict,
)
from oci_interpreter.agent.execute import (
    KernelExecutor,
    ProgramExecutor,
    Script,
    ScriptedExecutor,
    raised,
)
from oci_interpreter.agent.loop import RefineLoop, conversation_task
from oci_interpreter.agent.prompts import DEFAULT
from oci_interpreter.backend.base import GenerationOptions
from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.sandbox.limits import ExecResult, Limits

both = pytest.mark.parametrize("kind", ["scripted", pytest.param("real", marks=pytest.mark.spawns)])
"""The test runs twice: with the programs' results scripted, and in the real sandbox."""


def py(code: str, before: str = "Plan: compute it.") -> str:
    return f"{before}\n```python\n{code}\n```"


def scripted(results: Mapping[str, Script] | None = None, **kwargs: object) -> ScriptedExecutor:
    return ScriptedExecutor(results, **kwargs)  # type: ignore[arg-type]


def executor(kind: str, tmp_path: Path, results: Mapping[str, Script],
             limits: Limits | None = None) -> Executor:
    """``kind`` "real": ``oci run``'s executor, a fresh sandboxed process per program."""
    if kind == "real":
        return ProgramExecutor(tmp_path, limits or Limits(timeout=10))
    return scripted(results)


def drive(replies: list[str], executor: Executor | None = None, task: str = "do the task", *,
          options: LoopOptions | None = None, n_ctx: int = 8192,
          **kwargs: object) -> tuple[list[Event], Stopped, FakeBackend]:
    """The loop on ``task`` with the model's ``replies``; ``executor`` runs the programs
    (default: a ScriptedExecutor with nothing scripted, for runs that run nothing)."""
    backend = FakeBackend(replies, n_ctx=n_ctx, default_reply="No more replies.")
    loop = RefineLoop(backend, executor or scripted(), DEFAULT, options or LoopOptions(),
                      **kwargs)  # type: ignore[arg-type]
    events = list(loop.run(conversation_task(DEFAULT, task)))
    stopped = events[-1]
    assert isinstance(stopped, Stopped)
    assert sum(isinstance(e, Stopped) for e in events) == 1
    return events, stopped, backend


def runs(events: list[Event]) -> list[ExecutionEnd]:
    return [e for e in events if isinstance(e, ExecutionEnd)]


@both
def test_clean_run_then_the_model_answers(tmp_path: Path, kind: str) -> None:
    ex = executor(kind, tmp_path, {"print(6 * 7)": "42\n"})
    events, stopped, backend = drive([py("print(6 * 7)"), "The answer is 42."], ex)
    assert stopped.reason == "done" and stopped.success
    assert stopped.final_output == "42\n"
    assert stopped.final_code == "print(6 * 7)"
    assert stopped.answer == "The answer is 42."
    assert stopped.rounds == 1
    # The model read the paper's format, and was asked to conclude.
    feedback = backend.calls[1][-1].content
    assert feedback.startswith("Execution result:\n42")
    assert "reply with the answer" in feedback
    assert stopped.totals.generations == 2 and stopped.totals.executions == 1
    # The second turn reused the cached conversation.
    replies = [e for e in events if isinstance(e, ModelReply)]
    assert replies[1].stats.prompt_tokens_reused > 0


def test_the_model_invents_output_after_the_code_and_is_stopped_there() -> None:
    reply = py("print(2 + 2)") + "\n```output\n5\n```\nThe answer is 5."
    events, stopped, backend = drive([reply, "It is 4."], scripted({"print(2 + 2)": "4\n"}))
    assert "```output" in backend.options[0].stop
    first = next(e for e in events if isinstance(e, ModelReply))
    assert "answer is 5" not in first.text
    assert stopped.final_output == "4\n"


def test_nothing_after_the_closing_fence_is_shown_or_kept() -> None:
    # The scripted model streams word by word, so the fence arrives in one chunk with
    # the next word ("2)\n```\n\nThe "), as a backend holding back "```" sends it.
    reply = "Plan.\n```python\nprint(2 + 2)\n```\n\nThe answer is 4."
    events, _stopped, backend = drive([reply, "It is 4."], scripted({"print(2 + 2)": "4\n"}))
    first = next(e for e in events if isinstance(e, ModelReply))
    shown = "".join(e.text for e in events[:events.index(first)] if isinstance(e, ModelText))
    assert shown.endswith("print(2 + 2)\n```") and first.text == shown
    assert "The" not in backend.calls[1][-2].content  # nor kept in the conversation


def test_no_code_asks_once_then_stops() -> None:
    events, stopped, backend = drive(["Monday.", "It was a Monday."])
    assert stopped.reason == "no_code" and not stopped.success
    assert len(backend.calls) == 2
    assert "Python program" in backend.calls[1][-1].content
    assert not runs(events)


def test_no_code_nudge_leads_to_a_program() -> None:
    program = "import datetime\nprint(datetime.date(2000, 1, 1).strftime('%A'))"
    _events, stopped, _ = drive(["Saturday.", py(program), "Saturday."],
                                scripted({program: "Saturday\n"}))
    assert stopped.success and stopped.final_output == "Saturday\n"


@both
def test_error_is_fed_back_and_fixed(tmp_path: Path, kind: str) -> None:
    broken = "total = 0\nfor i in range(5):\n    totl += i\nprint(total)"
    fixed = "total = 0\nfor i in range(5):\n    total += i\nprint(total)"
    ex = executor(kind, tmp_path, {broken: raised("NameError: name 'totl' is not defined",
                                                  line=3),
                                   fixed: "10\n"})
    events, stopped, backend = drive([py(broken), py(fixed), "The total is 10."], ex)
    assert [r.status for r in runs(events)] == ["failed", "ok"]
    feedback = backend.calls[1][-1].content
    assert feedback.startswith("Execution result:")
    assert "NameError: name 'totl' is not defined" in feedback
    assert 'File "main.py", line 3' in feedback
    assert "^^^" not in feedback  # caret lines trimmed
    assert "The program failed: it raised NameError" in feedback
    assert stopped.reason == "done" and stopped.final_output == "10\n" and stopped.rounds == 2


def test_round_cap() -> None:
    replies = [py(f"raise ValueError({i})") for i in range(5)]
    ex = scripted({f"raise ValueError({i})": raised(f"ValueError: {i}") for i in range(5)})
    events, stopped, _ = drive(replies, ex, options=LoopOptions(max_rounds=3))
    assert stopped.reason == "round_cap" and not stopped.success
    assert len(runs(events)) == 3
    assert stopped.final_code == "raise ValueError(2)"  # the best (last) attempt
    assert stopped.final_output is None
    assert "ValueError: 2" in stopped.message


def test_a_repeated_program_is_never_run_twice() -> None:
    bad = py("print(1/0)")
    same_again = py("# same thing\nprint( 1 / 0 )", before="Let me fix it.")
    ex = scripted({"print(1/0)": raised("ZeroDivisionError: division by zero")})
    events, stopped, backend = drive([bad, same_again, same_again, bad], ex)
    assert len(runs(events)) == 1 and ex.ran == ["print(1/0)"]
    assert stopped.reason == "repeated" and not stopped.success
    # Resampled twice, with temperature and new seeds.
    resampled = backend.options[2:]
    assert len(resampled) == 2
    assert all(o.temperature > 0 for o in resampled)
    assert len({o.seed for o in [backend.options[0], *resampled]}) == 3
    assert any(isinstance(e, Notice) and "repeated" in e.text for e in events)
    assert any(isinstance(e, CodeSkipped) and e.reason == "repeated" for e in events)


def test_resampling_finds_a_new_program() -> None:
    bad = py("print(1/0)")
    ex = scripted({"print(1/0)": raised("ZeroDivisionError: division by zero"),
                   "print(1/1)": "1.0\n"})
    events, stopped, _ = drive([bad, bad, py("print(1/1)"), "It is 1.0."], ex)
    assert [r.code for r in runs(events)] == ["print(1/0)", "print(1/1)"]
    assert stopped.success and stopped.final_output == "1.0\n"


def test_repeating_a_program_that_worked_means_done() -> None:
    good = py("print('hi')")
    events, stopped, _ = drive([good, good], scripted({"print('hi')": "hi\n"}))
    assert stopped.reason == "done" and stopped.success and len(runs(events)) == 1


def test_input_is_not_run() -> None:
    ex = scripted({"n = 21\nprint(n * 2)": "42\n"})
    events, stopped, backend = drive(
        [py("n = int(input('n? '))\nprint(n * 2)"), py("n = 21\nprint(n * 2)"), "42."], ex)
    skipped = [e for e in events if isinstance(e, CodeSkipped)]
    assert skipped and skipped[0].reason == "input"
    assert "Assign the values directly" in backend.calls[1][-1].content
    assert [r.code for r in runs(events)] == ["n = 21\nprint(n * 2)"]
    assert stopped.success and stopped.rounds == 2


@both
def test_the_limit_is_named(tmp_path: Path, kind: str) -> None:
    too_slow = ExecResult(-9, "", "", 1.0, limit="time", limits={"timeout": 1.0})
    ex = executor(kind, tmp_path, {"while True:\n    pass": too_slow, "print('fast')": "fast\n"},
                  limits=Limits(timeout=1))
    events, stopped, backend = drive(
        [py("while True:\n    pass"), py("print('fast')"), "Done."], ex)
    first = runs(events)[0]
    assert first.result.limit == "time"
    assert "time limit (1 s)" in backend.calls[1][-1].content
    assert "faster" in backend.calls[1][-1].content
    assert stopped.success


def test_silent_program_gets_a_print_hint() -> None:
    ex = scripted({"x = 6 * 7": "", "x = 6 * 7\nprint(x)": "42\n"})
    events, stopped, backend = drive(
        [py("x = 6 * 7"), py("x = 6 * 7\nprint(x)"), "42."], ex)
    assert [r.status for r in runs(events)] == ["silent", "ok"]
    assert "printed nothing" in backend.calls[1][-1].content
    assert stopped.final_output == "42\n"


def test_silent_program_is_success_when_accepted() -> None:
    _, stopped, _ = drive([py("x = 1")], scripted({"x = 1": ""}),
                          options=LoopOptions(accept_silent=True, confirm=False))
    assert stopped.reason == "solved" and stopped.success


INDEX_ERROR = raised("IndexError: list index out of range")


def test_fresh_strategy_restates_task_program_and_failure() -> None:
    ex = scripted({"print([1, 2][5])": INDEX_ERROR, "print([1, 2][1])": "2\n"})
    _events, stopped, backend = drive(
        [py("print([1, 2][5])"), py("print([1, 2][1])"), "2."], ex,
        task="print the second item of [1, 2]", options=LoopOptions(strategy="fresh"))
    retry = backend.calls[1]
    assert [m.role for m in retry] == ["system", "user"]
    assert "print the second item of [1, 2]" in retry[1].content
    assert "print([1, 2][5])" in retry[1].content
    assert "IndexError" in retry[1].content
    assert stopped.success


def test_explain_strategy_traces_the_failure_first_then_repairs_with_the_trace() -> None:
    trace = ("The list has 2 items, so index 5 is out of range: line 1 is wrong, the "
             "second item is index 1.\n```python\nprint([1, 2][1])\n```")
    ex = scripted({"print([1, 2][5])": INDEX_ERROR, "print([1, 2][1])": "2\n"})
    events, stopped, backend = drive(
        [py("print([1, 2][5])"), trace, py("print([1, 2][1])"), "2."], ex,
        task="print the second item of [1, 2]", options=LoopOptions(strategy="explain"))
    # The trace is asked in a fresh short context: the task, the program, the failure.
    ask = backend.calls[1]
    assert [m.role for m in ask] == ["user"]
    assert "print the second item of [1, 2]" in ask[0].content
    assert "print([1, 2][5])" in ask[0].content and "IndexError" in ask[0].content
    assert "Do not write a new program" in ask[0].content
    # Its program is not run (the trace reply is read to its end, code and all) ...
    assert [r.code for r in runs(events)] == ["print([1, 2][5])", "print([1, 2][1])"]
    assert [e.purpose for e in events if isinstance(e, ModelReply)] == [
        "answer", "explain", "answer", "conclude"]
    # ... and the repair reads the conversation, the failure and the trace without code.
    repair = backend.calls[2]
    assert [m.role for m in repair] == ["system", "user", "assistant", "user"]
    assert "IndexError" in repair[-1].content
    assert "index 5 is out of range" in repair[-1].content
    assert "```python\nprint([1, 2][1])" not in repair[-1].content
    assert stopped.success and stopped.rounds == 2


def test_explain_strategy_adds_nothing_after_a_clean_run() -> None:
    _events, stopped, backend = drive([py("print(3)"), "3."], scripted({"print(3)": "3\n"}),
                                      options=LoopOptions(strategy="explain"))
    assert stopped.success and len(backend.calls) == 2


def test_candidates_pick_the_first_that_passes() -> None:
    replies = [py("print(1/0)"), py("print(undefined)"), py("print(3)"), "3."]
    ex = scripted({"print(1/0)": raised("ZeroDivisionError: division by zero"),
                   "print(undefined)": raised("NameError: name 'undefined' is not defined"),
                   "print(3)": "3\n"})
    events, stopped, backend = drive(replies, ex, options=LoopOptions(candidates=3))
    assert [r.status for r in runs(events)] == ["failed", "failed", "ok"]
    assert {r.round for r in runs(events)} == {1}  # one round, three candidates
    assert [o.temperature > 0 for o in backend.options[:3]] == [False, True, True]
    assert stopped.success and stopped.rounds == 1 and stopped.final_output == "3\n"


def test_confirm_off_stops_at_the_first_clean_run() -> None:
    _, stopped, backend = drive([py("print(5)")], scripted({"print(5)": "5\n"}),
                                options=LoopOptions(confirm=False))
    assert stopped.reason == "solved" and len(backend.calls) == 1


def test_other_languages_are_shown_not_run() -> None:
    ex = scripted({"print('hi')": "hi\n"})
    events, stopped, _backend = drive(
        ["Run this:\n```bash\necho hi\n```", py("print('hi')"), "hi"], ex)
    skipped = [e for e in events if isinstance(e, CodeSkipped)]
    assert skipped[0].reason == "other_language" and "bash" in skipped[0].message
    assert [r.code for r in runs(events)] == ["print('hi')"]
    assert stopped.success


def test_a_cut_off_program_is_not_run() -> None:
    cut = "Here:\n```python\nfor i in range(3):\n    print(i,\n"
    events, stopped, backend = drive([cut, py("print(0)"), "0"], scripted({"print(0)": "0\n"}))
    skipped = [e for e in events if isinstance(e, CodeSkipped)]
    assert skipped and skipped[0].reason == "truncated"
    assert "cut off" in backend.calls[1][-1].content
    assert stopped.success


def test_refused_by_the_user() -> None:
    asked: list[str] = []

    def ask(code: str, round_: int) -> Approval:
        asked.append(code)
        return Approval(run=False, why="Not now.")

    events, stopped, _ = drive([py("print(1)")], ask=ask)
    assert asked == ["print(1)"] and not runs(events)
    assert stopped.reason == "refused" and not stopped.success


def test_the_user_edits_the_program() -> None:
    def ask(code: str, round_: int) -> Approval:
        return Approval(run=True, code="print('edited')")

    ex = scripted({"print('edited')": "edited\n"})
    events, _stopped, _ = drive([py("print(1)"), "ok"], ex, ask=ask)
    assert runs(events)[0].result.stdout == "edited\n"
    assert ex.ran == ["print('edited')"]


def test_cancelled_generation() -> None:
    token = CancelToken()
    token.cancel()
    events, stopped, _ = drive([py("print(1)")], cancel=token)
    assert stopped.reason == "cancelled" and not runs(events)


@both
def test_long_output_is_cut_and_history_fits_the_context(tmp_path: Path, kind: str) -> None:
    flood = "for i in range(20000):\n    print('line', i)"
    ex = executor(kind, tmp_path, {flood: "".join(f"line {i}\n" for i in range(20000)),
                                   "raise SystemExit(3)": ExecResult(3, "", "", 0.01),
                                   "print('x' * 5000)": "x" * 5000 + "\n"})
    replies = [py(flood), py("raise SystemExit(3)"), py("print('x' * 5000)"), "done"]
    _events, stopped, backend = drive(replies, ex, n_ctx=1500,
                                     options=LoopOptions(max_rounds=3, feedback_chars=1500,
                                                         generation=_small_generation()))
    for call in backend.calls:
        assert backend.count_tokens(call) + 128 <= 1500
    first_feedback = backend.calls[1][-1].content
    assert "characters cut" in first_feedback
    assert "line 0" in first_feedback and "line 19999" in first_feedback
    assert stopped.rounds == 3


def _small_generation() -> GenerationOptions:
    return GenerationOptions(max_tokens=128)


def test_events_serialise() -> None:
    import json

    events, _, _ = drive([py("print(1)"), "1"], scripted({"print(1)": "1\n"}))
    data = [event_to_dict(e) for e in events]
    json.dumps(data)
    kinds = [d["kind"] for d in data]
    assert kinds[0] == "model_start" and kinds[-1] == "stopped"
    assert "code_found" in kinds and "execution_end" in kinds
    end = next(d for d in data if d["kind"] == "execution_end")
    assert end["result"]["stdout"] == "1\n"


@pytest.mark.parametrize("strategy", ["conversation", "fresh", "explain"])
def test_code_found_reports_how(strategy: str) -> None:
    events, _, _ = drive([py("print(1)"), "1"], scripted({"print(1)": "1\n"}),
                         options=LoopOptions(strategy=strategy))  # type: ignore[arg-type]
    found = [e for e in events if isinstance(e, CodeFound)]
    assert found[0].how == "single"


def test_degenerate_tails_are_recognised() -> None:
    from oci_interpreter.agent.loop import degenerated

    assert degenerated("Here:\n" + "print(total)\n" * 10)
    assert degenerated("and so on " * 8)
    assert not degenerated("for i in range(10):\n    print(i)\n")
    assert not degenerated("-" * 80)  # a ruler
    assert not degenerated("\n".join(["=" * 20] * 12))


def test_a_reply_stuck_in_a_loop_is_cut_and_said() -> None:
    looping = "Let me think. " + "I will fix it now. " * 200
    events, stopped, _backend = drive([looping, py("print(2)"), "It is 2."],
                                      scripted({"print(2)": "2\n"}))
    first = next(e for e in events if isinstance(e, ModelReply))
    assert first.stats.finish_reason == "repetition"
    assert first.stats.generated_tokens < 200  # cut long before its end
    assert any(isinstance(e, Notice) and e.topic == "repetition" for e in events)
    assert stopped.success


def test_the_overall_time_limit_stops_the_loop() -> None:
    program = "import time\ntime.sleep(1.0)\nraise ValueError('again')"

    def sleeps_then_fails(code: str) -> ExecResult:
        time.sleep(1.0)
        return raised("ValueError: again", line=3)

    ex = scripted({program: sleeps_then_fails, "print(1)": "1\n"})
    _events, stopped, _ = drive([py(program), py("print(1)"), "1"], ex,
                               options=LoopOptions(max_seconds=0.5))
    assert stopped.reason == "max_time" and not stopped.success
    assert "--max-time" in stopped.message


# ------------------------------------------------------ the executor's contract --

def test_the_executors_verdict_turns_a_clean_run_into_a_failure() -> None:
    why = "the answer is written into the program, not computed"
    ex = scripted({"print(1/0)": raised("ZeroDivisionError: division by zero"),
                   "print(42)": "42\n", "print(6 * 7)": "42\n"},
                  verdicts={"print(42)": ("hardcoded", why)})
    events, stopped, backend = drive(
        [py("print(1/0)"), py("print(42)"), py("print(6 * 7)"), "It is 42."], ex)
    assert [(r.status, r.rejected, r.reason) for r in runs(events)][1:] == [
        ("failed", "hardcoded", why), ("ok", "", "")]
    assert ex.judged == ["print(42)", "print(6 * 7)"]  # a failed run is not judged
    refused = backend.calls[2][-1].content
    assert refused.startswith("Execution result:\n42")
    assert DEFAULT.rejected.format(why=why) in refused
    assert DEFAULT.failed.format(reason=why) in refused
    assert stopped.success and stopped.final_code == "print(6 * 7)" and stopped.rounds == 3


def test_an_executor_written_from_the_protocol_refuses_nothing() -> None:
    class Minimal(Executor):
        def __init__(self) -> None:
            self.program_files = ("main.py",)
            self.rename: dict[str, str] = {}

        def execute(self, code: str, on_output: object = None) -> ExecResult:
            return ExecResult(0, "42\n", "", 0.01)

    events, stopped, _ = drive([py("print(42)"), "42."], Minimal())
    assert [(r.status, r.rejected) for r in runs(events)] == [("ok", "")]
    assert stopped.success and stopped.final_output == "42\n"
    assert KernelExecutor.judge is Executor.judge  # the chat's cells: every clean run counts


def test_the_scripted_executor_runs_only_what_was_scripted() -> None:
    seen: list[tuple[str, str]] = []
    ex = scripted({"  print(1)\n": "1\n", "boom()": raised("NameError: boom", stdout="so far\n")})
    assert ex.execute("print(1)", lambda stream, text: seen.append((stream, text))).stdout == "1\n"
    failed = ex.execute("boom()\n", lambda stream, text: seen.append((stream, text)))
    assert not failed.ok and failed.error == "NameError: boom"
    assert seen == [("stdout", "1\n"), ("stdout", "so far\n"), ("stderr", failed.stderr)]
    with pytest.raises(LookupError, match="no result scripted"):
        ex.execute("print(2)")
    assert ex.ran == ["print(1)", "boom()\n", "print(2)"]
    assert scripted(default="x\n").execute("anything").stdout == "x\n"
