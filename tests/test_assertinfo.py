"""Failed bare asserts say their values (sandbox/_assertinfo), for the model to read.

`oci fix --test "python check.py"` used to show the model `AssertionError` and nothing
else: with the 1.5B on the wrong-result corpus the model then guessed at the cause
(it "passed the tax rate") and handed back the same file. Now the failure reads
`AssertionError: assert 13.5 == 18.9` / ` +  where 13.5 = invoice_total(...)`.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from oci_interpreter.sandbox import containment
from oci_interpreter.sandbox.runner import run_program

HOOK = (Path(__file__).resolve().parent.parent / "oci_interpreter" / "sandbox" / "_assertinfo"
        / "sitecustomize.py")


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("_oci_assertinfo_test", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


assertinfo = _module()


def failure(source: str) -> BaseException:
    """The exception ``source`` raises, explained as the supervisor would."""
    source = textwrap.dedent(source)
    name = "<check>"
    try:
        exec(compile(source, name, "exec"), {"__name__": "__main__"})
    except BaseException as exc:  # whatever it raised is the subject
        assertinfo.explain(exc, {name: source})
        return exc
    raise AssertionError("the source did not fail")


def test_a_comparison_shows_both_sides_and_where_the_value_came_from() -> None:
    exc = failure("""
        def total(xs):
            return sum(xs) - 1
        items = [1, 2, 3]
        assert total(items) == 6
    """)
    assert str(exc) == "assert 5 == 6\n +  where 5 = total(items)"


def test_every_operator_and_a_negation() -> None:
    assert str(failure("x = [1]\nassert 2 in x\n")) == "assert 2 in [1]\n +  where [1] = x"
    assert str(failure("x = 3\nassert x < 2 or x > 5\n")) == (
        "assert False\n +  where False = x < 2 or x > 5")
    assert str(failure("ok = True\nassert not ok\n")) == "assert not True\n +  where True = ok"
    assert str(failure("def f(n):\n    return n > 1\nassert f(1)\n")) == (
        "assert False\n +  where False = f(1)")


def test_an_assert_over_several_lines_inside_a_function() -> None:
    exc = failure("""
        def check():
            got = {"a": 1}
            assert got == {
                "a": 2,
            }
        check()
    """)
    assert str(exc).startswith("assert {'a': 1} == {'a': 2}\n +  where {'a': 1} = got")


def test_asserts_with_a_message_and_other_assertion_errors_are_left_alone() -> None:
    assert str(failure("assert 1 == 2, 'mine'\n")) == "mine"
    assert str(failure("raise AssertionError\n")) == ""
    assert str(failure("raise AssertionError('why')\n")) == "why"
    assert isinstance(failure("1 / 0\n"), ZeroDivisionError)


def test_an_operand_that_fails_or_hangs_the_second_time_leaves_the_message_empty() -> None:
    exc = failure("""
        calls = []
        def once():
            calls.append(1)
            if len(calls) > 1:
                raise RuntimeError("second call")
            return 1
        assert once() == 2
    """)
    assert str(exc) == ""
    exc = failure("""
        import time
        calls = []
        def slow():
            calls.append(1)
            if len(calls) > 1:
                time.sleep(30)
            return 1
        assert slow() == 2
    """)
    assert str(exc) == ""


def test_long_values_are_cut() -> None:
    message = str(failure("assert list(range(1000)) == []\n"))
    first = message.splitlines()[0]
    assert first.startswith("assert [0, 1, 2") and "..." in first and len(first) < 500


@pytest.mark.spawns
def test_the_test_commands_python_sees_its_values_and_the_next_sitecustomize_still_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "calc.py").write_text("def total(xs):\n    return sum(xs) - 1\n")
    (tmp_path / "check.py").write_text("from calc import total\nassert total([1, 2, 3]) == 6\n")
    other = tmp_path / "site"
    other.mkdir()
    (other / "sitecustomize.py").write_text("print('the other sitecustomize ran')\n")
    monkeypatch.setenv("PYTHONPATH", str(other))
    program = ("import subprocess, sys\n"
               f"sys.exit(subprocess.call([{sys.executable!r}, 'check.py']))\n")
    mode = containment.probe("auto").mode
    result = run_program(code=program, cwd=tmp_path, sandbox=mode, explain_asserts=True)
    assert result.exit_code == 1
    assert "AssertionError: assert 5 == 6\n +  where 5 = total([1, 2, 3])" in result.stderr
    assert "the other sitecustomize ran" in result.stdout
    # Without the flag (`oci exec`: the user's own program), nothing is added.
    result = run_program(code=program, cwd=tmp_path, sandbox=mode)
    assert "AssertionError\n" in result.stderr and "where" not in result.stderr
    result = run_program(path=tmp_path / "check.py", cwd=tmp_path, sandbox=mode)
    assert result.stderr.rstrip().endswith("AssertionError")
    result = run_program(path=tmp_path / "check.py", cwd=tmp_path, sandbox=mode,
                         explain_asserts=True)
    assert result.stderr.rstrip().endswith("assert 5 == 6\n +  where 5 = total([1, 2, 3])")
