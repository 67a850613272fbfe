"""Stated examples are checks, for everyone (issue 38): `oci run` finds the examples a task
states (doctest lines, `f(x) -> y` prose, assert lines) and checks every program against
them; a program that fails one is a failed round, told which example, expected and got."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from oci_interpreter.agent.examples import Example, task_examples

TASK = ("Write a function is_prime(n) and print is_prime(97). "
        "For example is_prime(7) -> True, is_prime(8) -> False.")


def test_examples_are_found_in_the_words_of_a_task() -> None:
    text = ("Write is_prime(n). For example is_prime(7) -> True, is_prime(8) -> False.\n"
            ">>> fizz(3)\n'Fizz'\n"
            "assert add(2, 3) == 5\n"
            "mean(xs) returns the average: mean([1, 2, 3]) returns 2.0\n"
            "len([1]) -> 1\n")
    assert task_examples(text) == (Example("is_prime(7)", "True"),
                                   Example("is_prime(8)", "False"),
                                   Example("fizz(3)", "'Fizz'"), Example("add(2, 3)", "5"),
                                   Example("mean([1, 2, 3])", "2.0"))


def test_only_stated_values_become_checks() -> None:
    # A call without a stated value, or with a value that is prose, is no example.
    assert task_examples("sort the list with sorted(xs) and print it") == ()
    assert task_examples("is_happy(s) -> whether s is happy") == ()
    assert task_examples("area(r) should return pi times r squared") == ()


WRONG = "def is_prime(n):\n    return n > 1\n\nprint(is_prime(97))"
RIGHT = ("def is_prime(n):\n    if n < 2:\n        return False\n"
         "    return all(n % d for d in range(2, int(n ** 0.5) + 1))\n\nprint(is_prime(97))")


def fake(tmp_path: Path, *replies: str) -> str:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(list(replies)))
    return f"fake:{path}"


def py(code: str) -> str:
    return f"Plan.\n```python\n{code}\n```"


@pytest.mark.spawns
def test_oci_run_checks_the_examples_of_the_task(oci_bin: str, tmp_path: Path) -> None:
    model = fake(tmp_path, py(WRONG), py(RIGHT), "True: 97 is prime.")
    proc = subprocess.run([oci_bin, "run", TASK, "--json", "--rounds", "2", "--candidates",
                           "1", "--model", model], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert report["examples_checked"] == 2
    assert report["evidence"] == "checked against the 2 examples in your task"
    assert report["final_output"] == "True\n"  # the check's own line is not the answer
    ends = [e for e in report["events"] if e["kind"] == "execution_end"]
    assert "1 of 2 examples in your task fail" in ends[0]["feedback"]
    assert "is_prime(8) returned True, expected False" in ends[0]["feedback"]
    proc = subprocess.run([oci_bin, "run", TASK, "--rounds", "1", "--candidates", "1",
                           "--model", fake(tmp_path, py(RIGHT), "True.")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == "True\n"
    assert "checked against the 2 examples in your task" in proc.stderr


@pytest.mark.spawns
def test_a_program_that_fails_the_examples_is_not_solved(oci_bin: str, tmp_path: Path) -> None:
    proc = subprocess.run([oci_bin, "run", TASK, "--json", "--rounds", "1", "--candidates",
                           "1", "--model", fake(tmp_path, py(WRONG))], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["success"] is False
    assert "1 of 2 examples in your task fail" in report["message"]
