"""Output agreement (`oci run --agree N`): more programs for the same request, and the
answer most of them print is kept. The vote itself, then the loop with a scripted model
and scripted runs (both in the fast lane): agreement, a majority against the first
program, ties, no other program, programs that crash or repeat, early stopping, and the
off switch; last, `oci run --agree` end to end, with the real sandbox."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from oci_interpreter.agent.agreement import same_output_key, settled, vote, vote_per_input
from oci_interpreter.agent.contracts import Approval, LoopOptions
from oci_interpreter.agent.events import Agreement, ExecutionEnd, ModelStart, event_to_dict
from oci_interpreter.agent.execute import raised
from tests.test_loop import drive, py, runs, scripted

# ------------------------------------------------------------------ the vote --


def test_no_outputs_no_vote() -> None:
    assert vote([]) is None


def test_one_output_is_not_clear() -> None:
    result = vote(["6765\n"])
    assert result is not None
    assert (result.chosen, result.agree, result.of, result.clear) == (0, 1, 1, False)


def test_the_majority_wins_even_against_the_first() -> None:
    result = vote(["5\n", "6\n", "6\n"])
    assert result is not None
    assert (result.chosen, result.agree, result.of, result.groups) == (1, 2, 3, 2)
    assert result.clear


def test_a_tie_keeps_the_first_programs_answer() -> None:
    result = vote(["5\n", "6\n", "7\n"])
    assert result is not None
    assert (result.chosen, result.agree, result.clear) == (0, 1, False)
    two_two = vote(["b\n", "a\n", "a\n", "b\n"])
    assert two_two is not None and two_two.chosen == 0 and not two_two.clear


def test_a_tie_without_the_first_keeps_the_group_seen_first() -> None:
    result = vote(["1\n", "2\n", "3\n", "3\n", "2\n"])
    assert result is not None and result.chosen == 1 and result.agree == 2


def test_trailing_spaces_and_blank_lines_do_not_split_an_answer() -> None:
    assert same_output_key("6765 \r\n\n") == same_output_key("6765\n")
    assert same_output_key("a\nb") != same_output_key("a b")
    result = vote(["6765\n", "6765  \n\n"])
    assert result is not None and result.agree == 2 and result.clear


def crashed(value: str) -> bool:
    return value.startswith("raises ")


def test_per_input_vote_lets_one_edge_case_not_split_the_programs() -> None:
    # HumanEval/9 (rolling max): two sampled programs crash on the empty list, the greedy
    # one returns []; on the other inputs all three agree. Whole results make 2 groups
    # and the crashing pair wins; input by input the greedy program scores highest.
    greedy = ["[]", "[1]", "[5, 5, 5]"]
    crashing = ["raises IndexError", "[1]", "[5, 5, 5]"]
    assert vote(["\n".join(greedy), *["\n".join(crashing)] * 2]).chosen == 1  # type: ignore[union-attr]
    result = vote_per_input([greedy, crashing, crashing], crashed)
    assert result is not None
    assert (result.chosen, result.agree, result.of, result.groups) == (0, 1, 3, 2)


def test_per_input_vote_majority_and_ties() -> None:
    right, also_right, lucky = ["1", "2", "3"], ["1", "2", "3"], ["1", "0", "0"]
    assert vote_per_input([lucky, right, also_right], crashed).chosen == 1  # type: ignore[union-attr]
    # All different: the first program is kept.
    assert vote_per_input([["1"], ["2"], ["3"]], crashed).chosen == 0  # type: ignore[union-attr]
    # Everyone crashes on an input (an invalid one): that agrees like any other result.
    both = ["raises ValueError", "4"]
    assert vote_per_input([["raises TypeError", "4"], both, both], crashed).chosen == 1  # type: ignore[union-attr]
    assert vote_per_input([], crashed) is None


def test_settled_when_no_other_answer_can_catch_up() -> None:
    assert not settled(["6\n"], 2)
    assert settled(["6\n", "6\n"], 1)  # 2 against at most 1
    assert settled(["6\n", "6\n", "7\n"], 1)  # 2 against 1 + 1: a tie goes to the first
    assert not settled(["6\n", "6\n", "7\n", "7\n"], 1)  # 2 + 1 against 2 is still open
    assert settled(["6\n", "6\n", "7\n"], 0)
    assert not settled(["5\n", "6\n"], 1)
    # Ties go to the first program's answer: 2 of 4 is already enough for it...
    assert settled(["6\n", "6\n"], 2)
    # ...but not for another answer, which the first one's could still tie.
    assert not settled(["5\n", "6\n", "6\n"], 1)
    assert settled(["5\n", "6\n", "6\n"], 0)
    assert settled(["5\n", "6\n", "6\n", "6\n"], 1)


def test_the_agreement_says_what_it_is_worth() -> None:
    def line(agree: int, of: int, clear: bool) -> str:
        return Agreement(agree, of, 2, clear, False, "6\n", 1).describe()

    assert line(3, 3, True) == "3 of 3 programs agree on the output"
    assert "only 1 of 3" in line(1, 3, False) and "check" in line(1, 3, False)
    assert "rests on one program" in line(1, 1, False)


# ------------------------------------------------------------------ the loop --

def agreement_of(events: Sequence[object]) -> Agreement:
    found = [e for e in events if isinstance(e, Agreement)]
    assert len(found) == 1
    return found[0]


def test_a_second_program_that_agrees_stops_the_sampling() -> None:
    loop = "a, b = 0, 1\nfor _ in range(20):\n    a, b = b, a + b\nprint(a)"
    replies = [py("print(6765)"), py(loop), "It is 6765."]
    ex = scripted({"print(6765)": "6765\n", loop: "6765\n"})
    events, stopped, backend = drive(replies, ex, options=LoopOptions(agree=3))
    vote_ = agreement_of(events)
    assert (vote_.agree, vote_.of, vote_.sampled, vote_.clear) == (2, 2, 1, True)
    assert not vote_.switched
    # Sampled at a temperature, from the request that gave the first program.
    assert backend.options[1].temperature > 0
    assert backend.calls[1] == backend.calls[0]
    assert stopped.success and stopped.final_output == "6765\n"
    assert stopped.final_code == "print(6765)"
    assert stopped.agreement == vote_
    assert event_to_dict(stopped)["agreement"]["agree"] == 2


def test_the_majority_answer_replaces_a_lone_first_one() -> None:
    replies = [py("print(6766)"), py("print(6765)"), py("print(6700 + 65)"), "6765."]
    ex = scripted({"print(6766)": "6766\n", "print(6765)": "6765\n",
                   "print(6700 + 65)": "6765\n"})
    events, stopped, backend = drive(replies, ex, options=LoopOptions(agree=2))
    vote_ = agreement_of(events)
    assert (vote_.agree, vote_.of, vote_.switched, vote_.clear) == (2, 3, True, True)
    assert stopped.success and stopped.final_output == "6765\n"
    assert stopped.final_code == "print(6765)"
    # The model concludes on the kept program's result, not on the first one's.
    conclusion = backend.calls[-1]
    assert conclusion[-2].content.endswith("print(6765)\n```")
    assert "6765" in conclusion[-1].content


def test_a_tie_keeps_the_first_program_and_says_so() -> None:
    replies = [py("print(5)"), py("print(6)"), py("print(7)"), "5."]
    ex = scripted({"print(5)": "5\n", "print(6)": "6\n", "print(7)": "7\n"})
    events, stopped, _ = drive(replies, ex, options=LoopOptions(agree=2))
    vote_ = agreement_of(events)
    assert (vote_.agree, vote_.of, vote_.switched, vote_.clear) == (1, 3, False, False)
    assert stopped.success and stopped.final_output == "5\n"
    assert "only 1 of 3" in vote_.describe()


def test_no_other_program_is_a_lone_answer() -> None:
    # The extra replies: no code, the same program again, a crash, a silent program.
    replies = [py("print(5)"), "I cannot.", py("print(5)"), py("print(1/0)"),
               py("x = 5"), "5."]
    ex = scripted({"print(5)": "5\n", "print(1/0)": raised("ZeroDivisionError: division by zero"),
                   "x = 5": ""})
    events, stopped, _ = drive(replies, ex, options=LoopOptions(agree=4))
    vote_ = agreement_of(events)
    assert (vote_.agree, vote_.of, vote_.sampled, vote_.clear) == (1, 1, 4, False)
    assert [r.status for r in runs(events)] == ["ok", "failed", "silent"]
    assert stopped.success and stopped.final_output == "5\n"
    assert "rests on one program" in vote_.describe()


def test_off_by_default_and_never_after_a_failure_or_a_silent_run() -> None:
    results = {"print(5)": "5\n", "x = 5": ""}
    events, _stopped, backend = drive([py("print(5)"), "5."], scripted(results))
    assert not [e for e in events if isinstance(e, Agreement)] and len(backend.calls) == 2
    events, _stopped, backend = drive([py("x = 5"), py("print(5)"), py("print(5)"), "5."],
                                     scripted(results), options=LoopOptions(agree=1))
    # The silent run asks for a print; the vote comes on the clean run that printed.
    assert [r.status for r in runs(events)] == ["silent", "ok"]
    assert agreement_of(events).of == 1
    assert [e.purpose for e in events if isinstance(e, ModelStart)] == [
        "answer", "answer", "agreement", "conclude"]


def test_not_with_a_user_to_ask() -> None:
    """In chat every program is confirmed: the vote's extra programs would run unasked."""
    events, _stopped, _backend = drive([py("print(5)"), "5."], scripted({"print(5)": "5\n"}),
                                     options=LoopOptions(agree=2),
                                     ask=lambda code, r: Approval(run=True))
    assert not [e for e in events if isinstance(e, Agreement)]
    assert len([e for e in events if isinstance(e, ExecutionEnd)]) == 1


@pytest.mark.spawns
def test_the_json_of_oci_run_carries_the_vote(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.cli.main import main_with_status

    monkeypatch.chdir(tmp_path)
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([py("print(6700 + 65)"), py("print(6760 + 5)"), "6765."]))
    status = main_with_status(["run", "fib 20", "--json", "--agree", "2",
                               "--model", f"fake:{replies}"])
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status == 0 and data["success"]
    assert data["agreement"]["agree"] == 2 and data["agreement"]["of"] == 2
    assert data["agreement"]["clear"] is True


@pytest.mark.spawns
def test_oci_run_says_when_the_answer_stands_alone(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.cli.main import main_with_status

    monkeypatch.chdir(tmp_path)
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([py("print(2 + 3)"), py("print(2 * 3)"), py("print(2 ** 3)"),
                                   "5."]))
    status = main_with_status(["run", "five", "--agree", "2", "--model", f"fake:{replies}"])
    out, err = capsys.readouterr()
    assert status == 0 and out == "5\n"
    assert "only 1 of 3 programs agree on the output" in err
