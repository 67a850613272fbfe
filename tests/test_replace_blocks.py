"""Search/replace blocks (agent/replace_blocks.py): reading them from a reply and applying
them to a file. Pure functions, no model, no process."""

from __future__ import annotations

import random

import pytest

from oci_interpreter.agent import replace_blocks
from oci_interpreter.agent.replace_blocks import (
    EditError,
    ReplaceBlock,
    apply_replace_blocks,
    find_replace_blocks,
)


def block(search: str, replace: str) -> ReplaceBlock:
    return ReplaceBlock(search, replace)


def error_of(text: str, blocks: list[ReplaceBlock]) -> EditError:
    with pytest.raises(EditError) as info:
        apply_replace_blocks(text, blocks)
    return info.value


# ---------------------------------------------------------------------------- reading


def test_reads_a_block_outside_a_fence() -> None:
    reply = "Change it:\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\nDone."
    assert find_replace_blocks(reply) == [ReplaceBlock("x = 1\n", "x = 2\n")]


def test_reads_a_block_inside_a_python_fence() -> None:
    reply = (
        "Here:\n```python\n<<<<<<< SEARCH\n    return a\n=======\n    return b\n"
        ">>>>>>> REPLACE\n```\n"
    )
    assert find_replace_blocks(reply) == [ReplaceBlock("    return a\n", "    return b\n")]


@pytest.mark.parametrize(
    ("head", "divider", "tail"),
    [
        ("<<<<< SEARCH", "=====", ">>>>> REPLACE"),
        ("<<<<<<<<< SEARCH", "=========", ">>>>>>>>> REPLACE"),
        ("<<<<<<< SEARCH   ", "=======  ", ">>>>>>> REPLACE \t"),
        ("<<<<<<< search", "=======", ">>>>>>> replace"),
        ("<<<<<<< Search", "=======", ">>>>>>> Replace"),
        ("<<<<<<<SEARCH", "=======", ">>>>>>>REPLACE"),
        ("<<<<<<< SEARCH>", "=======", ">>>>>>> REPLACE"),
        ("   <<<<<<< SEARCH", "   =======", "   >>>>>>> REPLACE"),
    ],
)
def test_marker_variants(head: str, divider: str, tail: str) -> None:
    reply = f"{head}\na\n{divider}\nb\n{tail}\n"
    assert find_replace_blocks(reply) == [ReplaceBlock("a\n", "b\n")]


@pytest.mark.parametrize(
    "reply",
    [
        "<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n",  # 4 characters
        "<<<<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n",  # 10 characters
        "<<<<<<< FIND\na\n=======\nb\n>>>>>>> REPLACE\n",
        "x <<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n",
    ],
)
def test_not_a_head(reply: str) -> None:
    assert find_replace_blocks(reply) == []


def test_file_name_line_before_the_block() -> None:
    reply = "script.py\n```python\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```"
    (got,) = find_replace_blocks(reply)
    assert got.filename == "script.py"
    assert got == ReplaceBlock("a\n", "b\n", "script.py")


@pytest.mark.parametrize(
    ("before", "name"),
    [
        ("**src/app/main.py**\n", "src/app/main.py"),
        ("# `tool.py`:\n\n", "tool.py"),
        ("```python script.py\n", "script.py"),
        ("Here is the fix:\n```python\n", ""),
        ("", ""),
    ],
)
def test_file_name_forms(before: str, name: str) -> None:
    (got,) = find_replace_blocks(f"{before}<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n")
    assert got.filename == name


def test_two_blocks_in_order() -> None:
    reply = (
        "```python\n<<<<<<< SEARCH\na\n=======\nA\n>>>>>>> REPLACE\n```\n\nand\n\n"
        "```python\n<<<<<<< SEARCH\nb\nc\n=======\nB\n>>>>>>> REPLACE\n```\n"
    )
    assert find_replace_blocks(reply) == [ReplaceBlock("a\n", "A\n"), ReplaceBlock("b\nc\n", "B\n")]


def test_empty_sections() -> None:
    reply = (
        "<<<<<<< SEARCH\n=======\nnew\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\nold\n=======\n>>>>>>> REPLACE"
    )
    assert find_replace_blocks(reply) == [ReplaceBlock("", "new\n"), ReplaceBlock("old\n", "")]


def test_blank_lines_are_kept_in_sections() -> None:
    reply = "<<<<<<< SEARCH\n\na\n\n=======\n\n>>>>>>> REPLACE\n"
    assert find_replace_blocks(reply) == [ReplaceBlock("\na\n\n", "\n")]


def test_crlf_reply() -> None:
    reply = "<<<<<<< SEARCH\r\na\r\n=======\r\nb\r\n>>>>>>> REPLACE\r\n"
    assert find_replace_blocks(reply) == [ReplaceBlock("a\n", "b\n")]


def test_incomplete_blocks_are_left_out() -> None:
    cut_off = "<<<<<<< SEARCH\na\n=======\nb\n"
    assert find_replace_blocks(cut_off) == []
    assert find_replace_blocks("<<<<<<< SEARCH\na\n") == []
    # No REPLACE line before the next head: the first is left out, the second is read.
    reply = cut_off + "<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n"
    assert find_replace_blocks(reply) == [ReplaceBlock("c\n", "d\n")]
    # No divider before the next head.
    reply = "<<<<<<< SEARCH\na\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n"
    assert find_replace_blocks(reply) == [ReplaceBlock("c\n", "d\n")]


def test_a_second_divider_ends_the_replace_part() -> None:
    reply = "<<<<<<< SEARCH\na\n=======\nb\n=======\n"
    assert find_replace_blocks(reply) == [ReplaceBlock("a\n", "b\n")]


def test_a_fence_wrapping_a_section_is_removed() -> None:
    reply = "<<<<<<< SEARCH\n```python\na\n```\n=======\n```python\nb\n```\n>>>>>>> REPLACE\n"
    assert find_replace_blocks(reply) == [ReplaceBlock("a\n", "b\n")]


def test_no_blocks() -> None:
    assert find_replace_blocks("Just prose, and ```python\nprint(1)\n```") == []
    assert find_replace_blocks("") == []


# ---------------------------------------------------------------------------- applying

FILE = (
    "import sys\n"
    "\n"
    "class Cart:\n"
    "    def __init__(self):\n"
    "        self.items = []\n"
    "\n"
    "    def total(self):\n"
    "        total = 0\n"
    "        for price, qty in self.items:\n"
    "            total += price * qty\n"
    "        return total\n"
    "\n"
    "cart = Cart()\n"
    "print(cart.total())\n"
)


def test_exact_match() -> None:
    got = apply_replace_blocks(
        FILE, [block("cart = Cart()\n", "cart = Cart()\ncart.items.append((2, 3))\n")]
    )
    assert got == FILE.replace("cart = Cart()\n", "cart = Cart()\ncart.items.append((2, 3))\n")


def test_no_blocks_leaves_the_text() -> None:
    assert apply_replace_blocks(FILE, []) == FILE


def test_ignoring_trailing_whitespace() -> None:
    text = "a = 1   \nb = 2\t\nc = 3\n"
    got = apply_replace_blocks(text, [block("a = 1\nb = 2\n", "a = 10\nb = 20\n")])
    assert got == "a = 10\nb = 20\nc = 3\n"


def test_exact_level_wins_before_looser_ones_look() -> None:
    # "x = 1" is exactly on line 2 only; ignoring trailing spaces it would be on 1 and 2.
    text = "x = 1  \nx = 1\n"
    assert apply_replace_blocks(text, [block("x = 1\n", "x = 2\n")]) == "x = 1  \nx = 2\n"


def test_relative_indentation_for_a_method_inside_a_class() -> None:
    search = (
        "def total(self):\n"
        "    total = 0\n"
        "    for price, qty in self.items:\n"
        "        total += price * qty\n"
        "    return total\n"
    )
    replace = (
        "def total(self):\n"
        "    total = 0\n"
        "\n"
        "    for price, qty in self.items:\n"
        "        total += price * qty\n"
        "    return round(total, 2)\n"
    )
    got = apply_replace_blocks(FILE, [block(search, replace)])
    assert got == FILE.replace(
        "        for price, qty in self.items:\n"
        "            total += price * qty\n"
        "        return total\n",
        "\n"
        "        for price, qty in self.items:\n"
        "            total += price * qty\n"
        "        return round(total, 2)\n",
    )


def test_relative_indentation_when_search_is_indented_too_much() -> None:
    text = "def f():\n    if x:\n        y()\n    return 1\n"
    search = "        if x:\n            y()\n"
    replace = "        if x:\n            y()\n        z()\n"
    got = apply_replace_blocks(text, [block(search, replace)])
    assert got == "def f():\n    if x:\n        y()\n    z()\n    return 1\n"


def test_relative_indentation_replace_less_indented_than_search() -> None:
    text = "class A:\n    def f(self):\n        return 1\n"
    search = "    return 1\n"  # the model kept 4 of the file's 8 spaces
    replace = "    return 2\ndef g(self):\n    return 3\n"
    got = apply_replace_blocks(text, [block(search, replace)])
    assert (
        got == "class A:\n    def f(self):\n        return 2\n    def g(self):\n        return 3\n"
    )


def test_relative_indentation_with_tabs() -> None:
    text = "def f():\n\tif x:\n\t\treturn 1\n\treturn 0\n"
    got = apply_replace_blocks(text, [block("if x:\n\treturn 1\n", "if x:\n\treturn 2\n")])
    assert got == "def f():\n\tif x:\n\t\treturn 2\n\treturn 0\n"


def test_relative_indentation_must_be_kept() -> None:
    text = "if x:\n    y()\n"
    err = error_of(text, [block("if x:\ny()\n", "if x:\nz()\n")])
    assert "only when indentation is ignored" in str(err)


def test_blank_lines_in_search_match_blank_lines() -> None:
    text = "class A:\n    a = 1\n    \n    b = 2\n"
    got = apply_replace_blocks(text, [block("a = 1\n\nb = 2\n", "a = 1\nb = 3\n")])
    assert got == "class A:\n    a = 1\n    b = 3\n"


def test_leading_and_trailing_blank_lines_of_search_are_dropped_when_needed() -> None:
    text = "a = 1\nb = 2\nc = 3\n"
    got = apply_replace_blocks(text, [block("\nb = 2\n\n", "\nb = 20\n\n")])
    assert got == "a = 1\nb = 20\nc = 3\n"
    # When they match the file, they are used as they are.
    text = "a = 1\n\nb = 2\n"
    assert apply_replace_blocks(text, [block("\nb = 2\n", "\nb = 20\n")]) == "a = 1\n\nb = 20\n"


def test_two_matches_is_an_error() -> None:
    text = "x = 1\ny = 2\nx = 1\n"
    err = error_of(text, [block("x = 1\n", "x = 3\n")])
    assert str(err) == (
        "the 1st SEARCH block matches 2 places (lines 1, 3); include more lines so it matches one"
    )
    assert err.block == 0


def test_many_matches_lists_the_first_five() -> None:
    err = error_of("pass\n" * 7, [block("pass\n", "")])
    assert "matches 7 places (lines 1, 2, 3, 4, 5, ...)" in str(err)


def test_overlapping_matches_count() -> None:
    err = error_of("a\na\na\n", [block("a\na\n", "b\n")])
    assert "matches 2 places" in str(err)


def test_ambiguous_relative_indentation_is_an_error() -> None:
    text = (
        "class A:\n    def f(self):\n        return 1\n\n"
        "class B:\n    def f(self):\n        return 1\n"
    )
    err = error_of(text, [block("def f(self):\n    return 1\n", "def f(self):\n    return 2\n")])
    assert "matches 2 places (lines 2, 6)" in str(err)
    # More lines make it unique.
    got = apply_replace_blocks(
        text,
        [
            block(
                "class B:\n    def f(self):\n        return 1\n",
                "class B:\n    def f(self):\n        return 2\n",
            )
        ],
    )
    assert got == text[: text.rindex("1")] + "2\n"


def test_unique_at_an_earlier_level_is_enough() -> None:
    # Exactly once as written; with shifted indentation it would also match in class A.
    text = "class A:\n    x = 1\nx = 1\n"
    assert (
        apply_replace_blocks(text, [block("x = 1\n", "x = 2\n")]) == "class A:\n    x = 1\nx = 2\n"
    )


def test_empty_search_on_an_empty_file() -> None:
    assert apply_replace_blocks("", [block("", "print(1)\n")]) == "print(1)\n"
    assert apply_replace_blocks("\n\n", [block("", "print(1)\n")]) == "print(1)\n"


def test_empty_search_on_a_file_is_an_error() -> None:
    err = error_of("x = 1\n", [block("", "y = 2\n")])
    assert str(err).startswith("the 1st SEARCH block is empty")
    err = error_of("x = 1\n", [block("\n\n", "y = 2\n")])  # blank lines only
    assert str(err).startswith("the 1st SEARCH block is empty")


def test_crlf_file_keeps_its_line_ends() -> None:
    text = "a = 1\r\nb = 2\r\nc = 3\r\n"
    got = apply_replace_blocks(text, [block("b = 2\n", "b = 20\nb2 = 21\n")])
    assert got == "a = 1\r\nb = 20\r\nb2 = 21\r\nc = 3\r\n"


def test_crlf_file_with_relative_indentation() -> None:
    text = "class A:\r\n    def f(self):\r\n        return 1\r\n"
    got = apply_replace_blocks(
        text, [block("def f(self):\n    return 1\n", "def f(self):\n    return 2\n")]
    )
    assert got == "class A:\r\n    def f(self):\r\n        return 2\r\n"


def test_missing_final_newline_stays_missing() -> None:
    text = "a = 1\nb = 2"
    assert apply_replace_blocks(text, [block("b = 2\n", "b = 3\nc = 4\n")]) == "a = 1\nb = 3\nc = 4"
    assert apply_replace_blocks(text, [block("b = 2\n", "")]) == "a = 1"
    assert apply_replace_blocks(text, [block("a = 1\n", "a = 0\n")]) == "a = 0\nb = 2"


def test_final_newline_stays() -> None:
    assert apply_replace_blocks("a\nb\n", [block("b", "c")]) == "a\nc\n"


def test_deleting_lines() -> None:
    text = "import os\nimport sys\nprint(1)\n"
    assert apply_replace_blocks(text, [block("import os\n", "")]) == "import sys\nprint(1)\n"
    assert apply_replace_blocks(text, [block(text, "")]) == ""


def test_text_outside_the_match_is_byte_identical() -> None:
    text = "a = 1   \r\n\tb = 2\n\x0c\nc = 'é'\u2028x\nd = 4\ne = 5  "
    got = apply_replace_blocks(text, [block("d = 4\n", "d = 40\n")])
    assert got == text.replace("d = 4\n", "d = 40\n")


def test_two_blocks_apply_in_order() -> None:
    text = "x = 1\nprint(x)\n"
    blocks = [block("x = 1\n", "x = 2\n"), block("x = 2\nprint(x)\n", "x = 2\nprint(x * 10)\n")]
    assert apply_replace_blocks(text, blocks) == "x = 2\nprint(x * 10)\n"


def test_a_failing_block_says_which_and_why() -> None:
    text = "def cost(price, qty):\n    total = price * quantity\n    return total\n"
    blocks = [
        block("def cost(price, qty):\n", "def cost(price, qty=1):\n"),
        block("    total = price * qty\n    return total\n", "    return price * qty\n"),
    ]
    err = error_of(text, blocks)
    assert str(err) == (
        "the 2nd SEARCH block matches no place in the file: its first line "
        "`    total = price * qty` is not in the file"
    )
    assert err.block == 1
    assert "\n" not in str(err)


def test_a_failing_later_line_is_shown_with_the_file_line() -> None:
    text = "def cost(price, qty):\n    total = price * quantity\n    return total\n"
    err = error_of(text, [block("def cost(price, qty):\n    total = price * qty\n", "x\n")])
    assert str(err) == (
        "the 1st SEARCH block matches no place in the file: its line 2 "
        "`    total = price * qty` differs from line 2 of the file "
        "`    total = price * quantity`; copy the lines exactly"
    )


def test_search_past_the_end_of_the_file() -> None:
    err = error_of("a\nb\n", [block("a\nb\nc\n", "x\n")])
    assert "its line 3 `c` is past the end of the file" in str(err)


def test_long_lines_are_shortened_in_messages() -> None:
    err = error_of("x\n", [block("y" * 500 + "\n", "z\n")])
    assert len(str(err)) < 250 and str(err).endswith("...` is not in the file")


@pytest.mark.parametrize(
    ("k", "word"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
     (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")],
)  # fmt: skip
def test_ordinals(k: int, word: str) -> None:
    assert replace_blocks._ordinal(k) == word


def test_read_then_apply() -> None:
    reply = (
        "The bug is the missing `self.`:\n\nscript.py\n```python\n<<<<<<< SEARCH\n"
        "    def total(self):\n        total = 0\n        for price, qty in items:\n"
        "=======\n    def total(self):\n        total = 0\n"
        "        for price, qty in self.items:\n>>>>>>> REPLACE\n```\n"
    )
    text = FILE.replace("in self.items", "in items")
    assert apply_replace_blocks(text, find_replace_blocks(reply)) == FILE


# ------------------------------------------------------------------------------ fuzz

_PIECES = [
    "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "<<<<< search", "=====", ">>>>> replace",
    "```python", "```", "\n", "\r\n", " ", "    ", "\t", "x = 1", "def f():", "a", "b",
    "script.py", "é", "\x00", "\u2028", "",
]  # fmt: skip


def test_never_raises_anything_but_edit_error() -> None:
    rng = random.Random(7)
    for _ in range(1500):
        reply = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40)))
        text = "".join(rng.choice(_PIECES[6:]) for _ in range(rng.randint(0, 30)))
        blocks = replace_blocks._find(reply)  # without the safety net
        assert all(isinstance(b, ReplaceBlock) for b in blocks)
        try:
            got = replace_blocks._apply(text, blocks)
        except EditError as e:
            assert "\n" not in str(e)
        else:
            assert isinstance(got, str)
