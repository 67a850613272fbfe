"""The one-sentence hints on what an error means, from real tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oci_interpreter.agent.hints import concat_suspects, hint


def traceback_of(code: str, tmp_path: Path) -> str:
    script = tmp_path / "prog.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0, done.stdout
    return done.stderr


@pytest.mark.parametrize(("code", "suspect"), [
    ('total = 0\nfor x in (1, 2):\n    total += x\nprint("Total: " + total)\n', "total"),
    ('def bar(done, total):\n    percent = done * 100 // total\n'
     '    return "[" + "#" * done + "] " + percent + "%"\nprint(bar(1, 4))\n', "percent"),
    ('items = [1, 2]\nprint("Count: " + len(items))\n', "len(items)"),
    ('def cost(w):\n    if w < 1:\n        return 5\n    return 9 + w * 2\n'
     'name = "lamp"\nprint(name + ": " + cost(3) + " EUR")\n', "cost(3)"),
    ('for seat in range(1, 3):\n    code = "A" + seat\n', "seat"),
    ('hours = 7200 // 3600\nprint(hours + "h")\n', "hours"),  # int + str
    ('row = "B"\nfor seat in range(2):\n    label = row + seat\n', "seat"),
])
@pytest.mark.spawns
def test_str_plus_number_names_the_number(code: str, suspect: str, tmp_path: Path) -> None:
    advice = hint(traceback_of(code, tmp_path), code)
    assert advice is not None
    assert f"`{suspect}` is an int, not a string: write `str({suspect})`" in advice


@pytest.mark.spawns
def test_str_plus_unknown_lists_the_candidates(tmp_path: Path) -> None:
    code = ('scores = {"a": 3}\nfor team, points in scores.items():\n'
            '    print("Team " + team + ": " + points)\n')
    advice = hint(traceback_of(code, tmp_path), code)
    assert advice is not None
    assert "one of `team`, `points` is an int" in advice


def test_suspects_need_a_parsable_program_and_the_line() -> None:
    assert concat_suspects("print('a' + n", 1) == []
    assert concat_suspects("x = 1\nprint('a' + str(x))\n", 1) == []
    # a chain that spans lines is found from any of its lines
    code = 'n = 3\nmsg = ("a" +\n       n)\n'
    assert concat_suspects(code, 3) == ["n"]


@pytest.mark.spawns
def test_name_error_hints(tmp_path: Path) -> None:
    code = "print(math.sqrt(16))\n"
    assert "add `import math`" in (hint(traceback_of(code, tmp_path), code) or "")
    code = "counts = Counter('abc')\n"
    assert "from collections import Counter" in (hint(traceback_of(code, tmp_path), code) or "")
    code = "values = [1, 2]\nprint(sum(valeus))\n"
    assert "typo for `values`" in (hint(traceback_of(code, tmp_path), code) or "")


@pytest.mark.spawns
def test_key_error_on_an_update_suggests_a_default(tmp_path: Path) -> None:
    code = "counts = {}\nfor w in 'ab':\n    counts[w] += 1\n"
    advice = hint(traceback_of(code, tmp_path), code) or ""
    assert "d.get(k, 0) + 1" in advice and "line 3" in advice


@pytest.mark.spawns
def test_recursion_error_names_the_function(tmp_path: Path) -> None:
    code = "def digits(n):\n    return 1 + digits(n // 10)\nprint(digits(5))\n"
    advice = hint(traceback_of(code, tmp_path), code) or ""
    assert advice.startswith("`digits` calls itself without end")


@pytest.mark.spawns
def test_no_hint_for_a_clean_run_or_an_unknown_error(tmp_path: Path) -> None:
    assert hint("", "print(1)") is None
    code = "raise RuntimeError('boom')\n"
    assert hint(traceback_of(code, tmp_path), code) is None


def test_a_standard_library_function_used_without_its_import_is_named() -> None:
    """difflib.py of the real-size corpus lost `from heapq import nlargest as _nlargest`."""
    from oci_interpreter.agent.hints import hint

    stderr = ("Traceback (most recent call last):\n  File \"d.py\", line 3, in best\n"
              "    return _nlargest(2, scores)\nNameError: name '_nlargest' is not defined\n")
    text = hint(stderr, "def best(scores):\n    return _nlargest(2, scores)\n")
    assert text is not None
    assert "add `from heapq import nlargest as _nlargest`" in text
    stderr = stderr.replace("_nlargest", "groupby")
    text = hint(stderr, "def best(scores):\n    return groupby(2, scores)\n")
    assert text is not None and "`from itertools import groupby`" in text
    # A typo of a name the program has is still said as a typo.
    stderr = ("Traceback (most recent call last):\n  File \"d.py\", line 2, in <module>\n"
              "    print(totl)\nNameError: name 'totl' is not defined\n")
    assert "typo for `total`" in (hint(stderr, "total = 3\nprint(totl)\n") or "")
    # A local look-alike (difflib has a variable `large`) does not hide the import.
    stderr = ("Traceback (most recent call last):\n  File \"d.py\", line 3, in best\n"
              "    return _nlargest(2, scores)\nNameError: name '_nlargest' is not defined\n")
    code = "def best(scores):\n    large = 2\n    return _nlargest(large, scores)\n"
    assert "add `from heapq import nlargest as _nlargest`" in (hint(stderr, code) or "")


def test_a_module_that_shares_its_name_with_its_class_is_imported_as_used() -> None:
    """import_05 of the repair corpus: `datetime.date(2024, 5, 10)` needs `import
    datetime`; the hint said `from datetime import datetime`, and the 1.5B followed it."""
    from oci_interpreter.agent.hints import hint

    def name_error(line: str) -> str:
        name = "pprint" if "pprint" in line else "datetime"
        return ("Traceback (most recent call last):\n  File \"s.py\", line 1, in <module>\n"
                f"    {line}\nNameError: name '{name}' is not defined\n")

    line = "today = datetime.date(2024, 5, 10)"
    assert "add `import datetime`" in (hint(name_error(line), line + "\n") or "")
    line = "now = datetime.now()"
    assert "`from datetime import datetime`" in (hint(name_error(line), line + "\n") or "")
    line = "pprint.pprint({'a': 1})"
    assert "add `import pprint`" in (hint(name_error(line), line + "\n") or "")
