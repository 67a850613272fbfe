"""Edits a repair reply states in words (agent/prose_edit.py), and their place in
program_of (agent/fixtask.py): pure functions, no model, no process."""

from __future__ import annotations

from oci_interpreter.agent.fixtask import program_of
from oci_interpreter.agent.prose_edit import fragment_edit, prose_edit, spans

SCRIPT = '''import math


class Spline:
    def __init__(self, knots):
        self.knots = knots

    def GetDomain(self):
        return self.knots[0], self.knots[-1]


def length(spline):
    start, end = spline.get_domain()
    return end - start


def total(items):
    total = 0
    for item in items:
        total += item.unit_price * item.qty
    return total


print(length(Spline([0, 1, 2])))
'''
FAILURE = (25, 13)  # the traceback's lines: the call, then the line that raised


def changed(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]


def test_spans_outside_fences_without_repeats():
    reply = "Use `a.b()` not `a.c()`; `a.b()` again.\n```python\nx = `no`\n```\n`` d ``"
    assert spans(reply) == ["a.b()", "a.c()", "d"]
    assert spans(reply + "\n```python\ny = `cut off`") == ["a.b()", "a.c()", "d"]


def test_the_line_and_its_correction_replace_that_line_only():
    reply = ("The line `start, end = spline.get_domain()` is wrong: `Spline` has no "
             "`get_domain`, it has `GetDomain`. It should be "
             "`start, end = spline.GetDomain()`.")
    out = prose_edit(SCRIPT, reply, FAILURE)
    assert out is not None
    assert changed(SCRIPT, out) == [("    start, end = spline.get_domain()",
                                     "    start, end = spline.GetDomain()")]


def test_a_renamed_call_edits_the_call_not_the_definition():
    # `GetDomain` holds one line too (its def): the failing line decides the direction.
    reply = "`get_domain` does not exist; call `GetDomain` instead."
    out = prose_edit(SCRIPT, reply, FAILURE)
    assert out is not None
    assert changed(SCRIPT, out) == [("    start, end = spline.get_domain()",
                                     "    start, end = spline.GetDomain()")]


def test_without_the_failure_lines_a_pair_that_fits_both_ways_is_no_edit():
    reply = "`get_domain` does not exist; call `GetDomain` instead."
    assert prose_edit(SCRIPT, reply, ()) is None


def test_a_whole_corrected_line_replaces_the_closest_line_with_its_indentation():
    reply = "The attribute is `unit_cost`: `total += item.unit_cost * item.qty`."
    out = prose_edit(SCRIPT, reply)
    assert out is not None
    assert changed(SCRIPT, out) == [("        total += item.unit_price * item.qty",
                                     "        total += item.unit_cost * item.qty")]


def test_words_that_state_no_edit_give_nothing():
    assert prose_edit(SCRIPT, "The script fails in `length`.", FAILURE) is None
    assert prose_edit(SCRIPT, "No backticks at all.", FAILURE) is None
    assert prose_edit(SCRIPT, "`Spline` and `math` are fine.", FAILURE) is None


def test_an_old_text_on_several_lines_off_the_failure_is_no_edit():
    source = "a = 1\nb = a + 1\nc = a + 2\n"
    assert prose_edit(source, "`a + 1` should be `a + 10`", ()) is not None
    assert prose_edit("x = f(a)\ny = f(a)\n", "`f(a)` should be `f(b)`", ()) is None
    assert prose_edit("x = f(a)\ny = f(a)\n", "`f(a)` should be `f(b)`", (2,)) \
        == "x = f(a)\ny = f(b)\n"


def test_an_edit_that_breaks_the_syntax_is_no_edit():
    assert prose_edit("x = f(a)\n", "`f(a)` should be `f(a`", ()) is None


def test_line_ends_are_kept():
    source = "x = 1\r\ny = x.bad()\r\nprint(y)\r\n"
    assert prose_edit(source, "call `x.good()`, not `x.bad()`", (2,)) \
        == "x = 1\r\ny = x.good()\r\nprint(y)\r\n"


def test_program_of_uses_the_words_when_the_reply_has_no_code():
    reply = "The line `start, end = spline.get_domain()` should be " \
            "`start, end = spline.GetDomain()`."
    out = program_of(SCRIPT, reply, FAILURE)
    assert out is not None and "spline.GetDomain()" in out


def test_program_of_uses_the_words_when_the_code_changes_nothing():
    # The model copies the class it was shown, unchanged, after the right sentence.
    reply = ("Call `GetDomain` instead of `get_domain`.\n```python\nclass Spline:\n"
             "    def __init__(self, knots):\n        self.knots = knots\n```")
    out = program_of(SCRIPT, reply, FAILURE)
    assert out is not None and changed(SCRIPT, out) == [
        ("    start, end = spline.get_domain()", "    start, end = spline.GetDomain()")]


def test_program_of_prefers_code_that_changes_something():
    reply = ("Call `GetDomain`, not `get_domain`.\n```python\ndef length(spline):\n"
             "    start, end = spline.GetDomain()\n    return abs(end - start)\n```")
    out = program_of(SCRIPT, reply, FAILURE)
    assert out is not None and "return abs(end - start)" in out


# ------------------------------------------------------------- a few lines of a function


def test_a_one_line_block_replaces_its_changed_copy_inside_the_function():
    # The 1.5B wrote this for a method-name crash deep in a 605-line file; merged as
    # top-level code it became a module-level line (NameError: name 'parsed').
    out = fragment_edit(SCRIPT, "start, end = spline.GetDomain()", FAILURE)
    assert out is not None
    assert changed(SCRIPT, out) == [("    start, end = spline.get_domain()",
                                     "    start, end = spline.GetDomain()")]
    via_reply = program_of(SCRIPT, "It should be:\n```python\nstart, end = "
                                   "spline.GetDomain()\n```", FAILURE)
    assert via_reply == out


def test_a_fragment_keeps_unchanged_lines_and_drops_change_comments():
    code = ("for item in items:\n    # use the field that exists\n"
            "    total += item.unit_cost * item.qty\n")
    out = fragment_edit(SCRIPT, code)
    assert out is not None
    assert changed(SCRIPT, out) == [("        total += item.unit_price * item.qty",
                                     "        total += item.unit_cost * item.qty")]


def test_what_is_not_a_few_changed_lines_is_left_to_the_unit_merge():
    assert fragment_edit(SCRIPT, "def length(spline):\n    return 0\n") is None
    assert fragment_edit(SCRIPT, "import heapq\n") is None
    assert fragment_edit(SCRIPT, "parsed = []\n", FAILURE) is None  # a new line
    assert fragment_edit(SCRIPT, "x = 1\n" * 6) is None
    assert fragment_edit(SCRIPT, "return end - start\n", FAILURE) is None  # unchanged


def test_in_a_short_file_a_short_block_is_the_whole_file():
    script = "x = 1\nprint(x)\ny = 2\n"
    assert fragment_edit(script, "x = 1\nprint(x + 1)\n") is None


def test_an_old_text_with_two_replacements_states_no_edit():
    source = "path = key.split(':')\nopt = path[2]\nprint(opt)\n"
    reply = "`path[2]` fails: path has only `path[0]` and `path[1]`."
    assert prose_edit(source, reply, (2,)) is None
    assert prose_edit(source, "`path[2]` should be `path[1]`", (2,)) \
        == "path = key.split(':')\nopt = path[1]\nprint(opt)\n"


def test_a_stated_missing_import_goes_after_the_imports():
    script = '"""Doc."""\nimport sys\n\n\ndef read(path):\n    return codecs.open(path)\n'
    reply = "`codecs` is not imported: add `import codecs` at the top of the script."
    assert prose_edit(script, reply, (6,)) == (
        '"""Doc."""\nimport sys\nimport codecs\n\n\ndef read(path):\n'
        '    return codecs.open(path)\n')
    # Without imports: after the docstring; at the very top without one.
    assert prose_edit("print(codecs.encode('a', 'rot13'))\n", reply) == (
        "import codecs\nprint(codecs.encode('a', 'rot13'))\n")
    # An import of a name the file does not use, or already binds, is no edit.
    assert prose_edit(script, "add `import json`", (6,)) is None
    assert prose_edit(script, "add `import sys`", (6,)) is None


def test_a_cut_off_reply_still_gives_the_edit_its_sentence_states():
    script = "import sys\n\n\ndef read(path):\n    return codecs.open(path)\n"
    reply = ("The `codecs` module is not imported: add `import codecs`. The whole file:\n"
             "```python\nimport codecs\nimport sys\n\n\ndef read(path):\n    return `x")
    assert program_of(script, reply, (5,)) == "import sys\nimport codecs\n\n\n" \
        "def read(path):\n    return codecs.open(path)\n"
