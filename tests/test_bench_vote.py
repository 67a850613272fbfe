"""The ``voteN`` bench column (issue 21): N programs, calls the model wrote, and the output
most programs agree on -- with the scripted model and the real sandbox. The model's inputs
carry no expected values, so a wrong one cannot mislead the vote, only leave it undecided."""

from __future__ import annotations

import pytest

from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.bench.column import Setup, solve_column, strategy_setup
from oci_interpreter.bench.problems import Example, Problem
from oci_interpreter.bench.suite import Plan
from oci_interpreter.bench.vote import parse_calls
from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox.limits import Limits

LIMITS = Limits(timeout=5)
ADD_ONE = Problem(
    "Toy/add_one", 'def add_one(x):\n    """x plus one.\n    >>> add_one(1)\n    2\n    """\n',
    "add_one",
    "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-5) == -4\n"
    "    assert candidate(10) == 11\n",
    examples=(Example("add_one(1)", "2"),))
LUCKY = "def add_one(x):\n    return 2 if x == 1 else x"  # passes the example only
RIGHT = "def add_one(x):\n    return x + 1"
ALSO_RIGHT = "def add_one(x):\n    return 1 + x"
INPUTS = "```python\nadd_one(0)\nadd_one(-5)\nadd_one(10)\n```"


def reply(code: str) -> str:
    return f"Here it is.\n```python\n{code}\n```"


def run_vote(*replies: str, n: int = 3) -> dict[str, object]:
    backend = FakeBackend(list(replies), default_reply="No more.")
    outcome = solve_column(backend, ADD_ONE, strategy_setup(f"vote{n}", 1), limits=LIMITS)
    vote = [e for e in outcome.events if e.get("kind") == "vote"]
    assert len(vote) == 1
    return {"outcome": outcome, "vote": vote[0], "calls": len(backend.calls)}


def test_the_calls_of_the_function_are_taken_from_the_reply() -> None:
    text = ("Here:\n```python\nadd_one(0)\nadd_one( 0 )\nassert add_one(1) == 2\n"
            "print(add_one(3))\nother(1)\nadd_one(-5)  # negative\nadd_one(\n```")
    # Calls inside an assert or a print count (the expectation is dropped); a call of
    # another function, a repeat and an unfinished line do not.
    assert parse_calls(text, "add_one") == ["add_one(0)", "add_one(1)", "add_one(3)",
                                            "add_one(-5)"]
    # A call that needs a name the reply defined elsewhere would only raise NameError
    # in every program: it is left out; builtins are fine.
    text = ("```python\nxs = [1, 2]\nadd_one(xs)\nadd_one(len([1]))\n"
            "add_one(add_one(2))\n```")
    assert parse_calls(text, "add_one") == ["add_one(len([1]))", "add_one(add_one(2))"]
    # The model wrote the function again with more doctest examples: those are inputs.
    text = ('```python\ndef add_one(x):\n    """\n    >>> add_one(7)\n    8\n    >>> '
            'add_one(-1)\n    0\n    """\n    return x + 1\n```')
    assert parse_calls(text, "add_one") == ["add_one(7)", "add_one(-1)"]
    many = "\n".join(f"add_one({i})" for i in range(20))
    assert len(parse_calls(many, "add_one")) == 8
    assert parse_calls("I would test it with zero.", "add_one") == []


def test_vote_columns_are_named_and_keep_the_oracle_on_the_conversation() -> None:
    setup = strategy_setup("vote3", 1)
    assert setup.vote == 3 and setup.name == "vote3" and "3 programs" in setup.label
    with pytest.raises(UsageError):
        strategy_setup("vote1", 1)
    setups = Plan(rounds=1, rounds_run=1, strategies=("vote3", "conversation")).setups()
    assert [s.name for s in setups] == ["single", "vote3", "conversation", "oracle"]


@pytest.mark.spawns
def test_the_majority_beats_a_first_program_that_only_passes_the_example() -> None:
    got = run_vote(reply(LUCKY), reply(RIGHT), reply(ALSO_RIGHT), INPUTS)
    outcome, vote = got["outcome"], got["vote"]
    assert vote["pool"] == [0, 1, 2] and vote["calls"] == 3
    assert (vote["chosen"], vote["agree"], vote["of"], vote["groups"]) == (1, 2, 3, 2)
    assert outcome.passed and outcome.code == RIGHT  # type: ignore[attr-defined]
    assert got["calls"] == 4  # three programs and one request for inputs


@pytest.mark.spawns
def test_the_shown_example_is_not_counted_as_a_new_input() -> None:
    backend = FakeBackend([reply(LUCKY), reply(RIGHT), reply(ALSO_RIGHT),
                           "```python\nadd_one(1)\nadd_one(0)\n```"])
    outcome = solve_column(backend, ADD_ONE, strategy_setup("vote3", 1), limits=LIMITS)
    vote = next(e for e in outcome.events if e.get("kind") == "vote")
    # add_one(1) is the docstring's example, which every voter passed already.
    assert vote["calls"] == 1 and vote["chosen"] == 1 and outcome.passed
    # The request for inputs goes without the interpreter's system prompt (which asks
    # for a plan and a solution).
    assert [m.role for m in backend.calls[-1]] == ["user"]
    assert "already written" in backend.calls[-1][0].content


@pytest.mark.spawns
def test_a_program_that_fails_the_visible_example_has_no_vote() -> None:
    wrong = "def add_one(x):\n    return x"
    got = run_vote(reply(RIGHT), reply(wrong), reply(wrong), INPUTS)
    vote = got["vote"]
    assert vote["pool"] == [0] and vote["chosen"] == 0
    assert got["outcome"].passed  # type: ignore[attr-defined]


@pytest.mark.spawns
def test_inputs_that_break_every_program_leave_the_first_program() -> None:
    # The model's calls are wrong (the wrong number of arguments): every program raises
    # TypeError, all alike, and the vote cannot tell them apart.
    got = run_vote(reply(LUCKY), reply(RIGHT), reply(ALSO_RIGHT),
                   "```python\nadd_one()\nadd_one(1, 2)\n```")
    vote = got["vote"]
    assert (vote["chosen"], vote["agree"], vote["of"]) == (0, 3, 3)
    assert not got["outcome"].passed  # type: ignore[attr-defined]


@pytest.mark.spawns
def test_no_inputs_no_vote_the_first_program_that_passes_is_kept() -> None:
    got = run_vote(reply(LUCKY), reply(RIGHT), reply(RIGHT + "  # same"),
                   "I would try zero and negative numbers.")
    vote = got["vote"]
    assert vote["calls"] == 0 and vote["chosen"] == 0 and "agree" not in vote


@pytest.mark.spawns
def test_a_tie_keeps_the_greedy_program() -> None:
    double = "def add_one(x):\n    return 2 * x"  # passes the example too
    got = run_vote(reply(LUCKY), reply(RIGHT), reply(double), INPUTS)
    vote = got["vote"]
    assert (vote["chosen"], vote["agree"], vote["groups"]) == (0, 1, 3)


@pytest.mark.spawns
def test_no_program_at_all() -> None:
    got = run_vote("I cannot.", "Still no.", n=2)
    outcome, vote = got["outcome"], got["vote"]
    assert vote["chosen"] is None and outcome.code is None  # type: ignore[attr-defined]
    assert not outcome.passed and outcome.score_detail == "no code"  # type: ignore[attr-defined]
    assert got["calls"] == 2  # no request for inputs without two programs


@pytest.mark.spawns
def test_the_first_program_is_the_single_turn_columns_reply() -> None:
    backend = FakeBackend([reply(RIGHT), reply(RIGHT), reply(ALSO_RIGHT), INPUTS])
    single = solve_column(backend, ADD_ONE, Setup(mode="single"), limits=LIMITS)
    assert single.passed
    backend2 = FakeBackend([reply(RIGHT), reply(ALSO_RIGHT), reply(RIGHT + "  # again"),
                            INPUTS])
    solve_column(backend2, ADD_ONE, strategy_setup("vote3", 1), limits=LIMITS)
    # Same request, same options: ReplayBackend gives the vote column the single-turn reply.
    assert backend.options[0] == backend2.options[0] and backend.calls[0] == backend2.calls[0]
    assert [o.temperature for o in backend2.options] == [0.0, 0.8, 0.8, 0.0]
