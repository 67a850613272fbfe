"""A model's edit applied to a file by unit (agent/edits.py): outside the units the reply
changes, the file stays byte for byte the original's."""

from __future__ import annotations

import difflib

from oci_interpreter.agent.edits import apply_edit, strip_change_notes

ORIGINAL = '''"""Inventory report."""
import json
from dataclasses import dataclass

RATE = 0.2  # tax rate


@dataclass
class Item:
    name: str
    unit_cost: float
    qty: int

    def total(self):
        return self.unit_cost * self.qty

    def label(self):
        return f'{self.name} x{self.qty}'


def cost(item):
    # the cost of one order line
    return item.unit_price * item.qty


def report(items):
    for it in items:
        print(it.name, cost(it))


if __name__ == "__main__":
    report([Item("bolt", 0.5, 4)])
'''


def changed(old: str, new: str) -> list[str]:
    """The lines of the diff that differ (without headers)."""
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_a_reply_of_one_function_replaces_only_its_line() -> None:
    reply = "def cost(item):\n    return item.unit_cost * item.qty\n"
    out = apply_edit(ORIGINAL, reply)
    assert changed(ORIGINAL, out) == ["-    return item.unit_price * item.qty",
                                      "+    return item.unit_cost * item.qty"]
    assert "# the cost of one order line" in out  # the comment the reply left out stays


def test_notes_about_the_change_are_removed_and_the_files_own_comments_kept() -> None:
    reply = ("def cost(item):\n    # Fixed the attribute name\n"
             "    return item.unit_cost * item.qty  # Fixed: was unit_price\n")
    out = apply_edit(ORIGINAL, reply)
    assert changed(ORIGINAL, out) == ["-    return item.unit_price * item.qty",
                                      "+    return item.unit_cost * item.qty"]


def test_a_whole_file_reply_keeps_the_originals_text_where_the_meaning_is_the_same() -> None:
    # Quote style and a dropped comment in units the fix does not touch are reverted.
    reply = (ORIGINAL.replace("item.unit_price", "item.unit_cost")
             .replace("f'{self.name} x{self.qty}'", 'f"{self.name} x{self.qty}"')
             .replace("RATE = 0.2  # tax rate", "RATE = 0.2"))
    out = apply_edit(ORIGINAL, reply)
    assert changed(ORIGINAL, out) == ["-    return item.unit_price * item.qty",
                                      "+    return item.unit_cost * item.qty"]


def test_a_method_in_a_bare_class_line_is_merged_into_the_class() -> None:
    reply = ("class Item:\n    def total(self):\n"
             "        return round(self.unit_cost * self.qty, 2)\n")
    out = apply_edit(ORIGINAL, reply)
    assert changed(ORIGINAL, out) == ["-        return self.unit_cost * self.qty",
                                      "+        return round(self.unit_cost * self.qty, 2)"]
    assert "@dataclass\nclass Item:" in out and "def label(self):" in out


def test_new_imports_go_after_the_imports_and_new_functions_before_their_user() -> None:
    reply = ("import math\n\n\ndef rounded(x):\n    return math.floor(x)\n\n\n"
             "def cost(item):\n    return rounded(item.unit_cost * item.qty)\n")
    out = apply_edit(ORIGINAL, reply)
    lines = out.splitlines()
    assert lines.index("import math") == lines.index("from dataclasses import dataclass") + 1
    assert lines.index("def rounded(x):") < lines.index("def cost(item):")
    compile(out, "x.py", "exec")


def test_a_whole_reply_without_the_main_block_keeps_it() -> None:
    body = ORIGINAL.split('if __name__ == "__main__":')[0]
    out = apply_edit(ORIGINAL, body.replace("item.unit_price", "item.unit_cost"))
    assert out.endswith('if __name__ == "__main__":\n    report([Item("bolt", 0.5, 4)])\n')


def test_a_whole_reply_that_removes_a_stray_statement_removes_it() -> None:
    original = "x = 1\nprint(y)\nprint(x)\n"
    assert apply_edit(original, "x = 1\nprint(x)\n") == "x = 1\nprint(x)\n"


def test_a_reply_that_does_not_parse_is_taken_as_it_is() -> None:
    assert apply_edit(ORIGINAL, "def cost(item:\n") == "def cost(item:\n"


def test_a_small_whole_file_is_replaced_as_before() -> None:
    assert apply_edit("total = 5\nprint('T' + total)\n",
                      "total = 5\nprint('T' + str(total))\n") == \
        "total = 5\nprint('T' + str(total))\n"


def test_change_notes_are_only_the_models() -> None:
    old = ["    # fixed-width columns", "    x = 1"]
    new = ["    # fixed-width columns", "    # Fixed the bug here", "    x = 2  # changed from 1"]
    assert strip_change_notes(new, old) == ["    # fixed-width columns", "    x = 2"]


def test_a_note_that_says_what_was_used_instead_is_a_change_note() -> None:
    old = ["    name = attrs[3]"]
    new = ["    # Use attrs[2] instead of attrs[3]", "    name = attrs[2]  # instead of attrs[3]"]
    assert strip_change_notes(new, old) == ["    name = attrs[2]"]


TWO_CLASSES = """\
import sys


class Option:
    def __init__(self, name):
        self.name = name

    def describe(self):
        return "option " + self.name


class HelpFormatter:
    def __init__(self, width):
        self.width = width

    def expand_default(self, option):
        value = 3
        return option.help.replace("%default", value)


print(HelpFormatter(80).width)
"""


def test_a_method_under_the_wrong_outline_line_goes_to_its_own_class() -> None:
    """optparse (real-size corpus): the model wrote the right fix of
    HelpFormatter.expand_default under the view's outline line of another class; the
    reply did not parse and replaced the whole file. The header is opened and the method
    goes where it is defined; the rest stays byte-identical."""
    reply = (
        "class Option: ...  # methods: __init__, describe\n"
        "    def expand_default(self, option):\n"
        "        value = 3\n"
        "        # Convert value to a string before using it in replace\n"
        "        return option.help.replace(\"%default\", str(value))\n")
    out = apply_edit(TWO_CLASSES, reply, near=(18,))
    assert out == TWO_CLASSES.replace('replace("%default", value)',
                                      'replace("%default", str(value))')


def test_a_method_in_a_bare_class_line_of_a_class_without_it_moves_to_the_one_with_it(
        ) -> None:
    reply = ("class Option:\n    def expand_default(self, option):\n        value = 3\n"
             "        return option.help.replace(\"%default\", str(value))\n\n"
             "    def describe(self):\n        return 'option: ' + self.name\n")
    out = apply_edit(TWO_CLASSES, reply, near=(18,))
    assert 'replace("%default", str(value))' in out
    assert "return 'option: ' + self.name" in out
    assert out.count("def expand_default") == 1 and out.count("class Option") == 1


def big_module(functions: int) -> str:
    parts = ['"""A generated module."""', "import math", ""]
    for i in range(functions):
        parts += ["", f"def f{i}(x):", f"    # step {i}", f"    y = x * {i} + math.pi",
                  "    if y > 10:", "        y -= 1", "    return round(y, 3)", ""]
    parts += ["", 'if __name__ == "__main__":', "    print(f0(1))", ""]
    return "\n".join(parts)


def test_outside_the_edited_function_a_2000_line_file_is_byte_identical() -> None:
    original = big_module(250)
    assert original.count("\n") > 2000
    reply = "def f200(x):\n    y = x * 200 - math.pi\n    if y > 10:\n        y -= 1\n" \
            "    return round(y, 3)\n"
    out = apply_edit(original, reply)
    before, after = original.split("def f200(x):"), out.split("def f200(x):")
    assert before[0] == after[0]
    assert before[1].split("def f201")[1] == after[1].split("def f201")[1]
    assert changed(original, out) == ["-    y = x * 200 + math.pi", "+    y = x * 200 - math.pi"]


def test_a_changed_top_level_line_replaces_the_similar_one_nearest_the_failure() -> None:
    original = "".join(f"print('step ' + {i})\n" for i in range(40))
    out = apply_edit(original, "print('step ' + str(30))\n", near=(31,))
    assert changed(original, out) == ["-print('step ' + 30)", "+print('step ' + str(30))"]


def test_a_repair_reply_may_mix_search_replace_blocks_and_definitions() -> None:
    from oci_interpreter.agent.fix import program_of

    reply = ("Two changes.\n<<<<<<< SEARCH\nRATE = 0.2  # tax rate\n=======\n"
             "RATE = 0.25  # tax rate\n>>>>>>> REPLACE\n\n```python\ndef cost(item):\n"
             "    return item.unit_cost * item.qty\n```\n")
    out = program_of(ORIGINAL, reply)
    assert out is not None
    assert sorted(changed(ORIGINAL, out)) == sorted(["-RATE = 0.2  # tax rate",
                                             "+RATE = 0.25  # tax rate",
                                             "-    return item.unit_price * item.qty",
                                             "+    return item.unit_cost * item.qty"])
    # A block that matches nowhere gives no program: the model is asked again.
    assert program_of(ORIGINAL, "<<<<<<< SEARCH\nnot there\n=======\nx\n>>>>>>> REPLACE\n") \
        is None
    assert program_of(ORIGINAL, "No code, sorry.") is None


def test_a_method_written_without_its_class_replaces_that_method() -> None:
    reply = "def total(self):\n    return round(self.unit_cost * self.qty, 2)\n"
    out = apply_edit(ORIGINAL, reply)
    assert changed(ORIGINAL, out) == ["-        return self.unit_cost * self.qty",
                                      "+        return round(self.unit_cost * self.qty, 2)"]


def test_every_reference_fix_of_the_small_corpora_comes_out_as_written() -> None:
    """A whole-file reply that is the reference fix gives exactly the reference: the merge
    never changes what a small file's repair looks like (benchmarks/cases/fix, wrong)."""
    from pathlib import Path

    cases = Path(__file__).resolve().parents[1] / "benchmarks" / "cases"
    pairs = [(cases / corpus / ref.name, ref) for corpus in ("fix", "wrong")
             for ref in (cases / corpus / "reference").glob("*.py")
             if (cases / corpus / ref.name).exists()]
    assert len(pairs) >= 120
    differ = [ref.name for original, ref in pairs
              if apply_edit(original.read_text(), ref.read_text()) != ref.read_text()]
    assert differ == []
    # The same through the reply reader `oci fix` uses (a fenced reply, after one sentence).
    from oci_interpreter.agent.fixtask import program_of

    differ = [ref.name for original, ref in pairs
              if program_of(original.read_text(), "The fix:\n```python\n" + ref.read_text()
                            + "```\n") != ref.read_text()]
    assert differ == []


def test_outline_stubs_copied_back_from_the_view_change_nothing() -> None:
    """The view shows `def label(self): ...` for what it does not show in full; a reply
    that copies those lines back must not replace the real bodies."""
    reply = ("@dataclass\nclass Item:\n    name: str\n    unit_cost: float\n    qty: int\n\n"
             "    def total(self): ...\n\n    def label(self): ...\n\n\n"
             "def cost(item):\n    # ... (lines 3-9 not shown)\n"
             "    return item.unit_cost * item.qty\n\n\ndef report(items): ...\n")
    out = apply_edit(ORIGINAL, reply)
    assert changed(ORIGINAL, out) == ["-    return item.unit_price * item.qty",
                                      "+    return item.unit_cost * item.qty"]
