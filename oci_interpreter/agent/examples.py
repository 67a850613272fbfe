"""Examples a user states, as checks: ``>>> f(2)`` / ``4``, ``f(2) -> 4``, ``f(2) returns
4``, ``assert f(2) == 4``. One implementation for ``oci run``, the chat and the benchmark.

:func:`docstring_examples` reads a function's docstring (the benchmark's HumanEval
prompts); :func:`task_examples` reads a task a user typed, for any function it names;
:func:`check_code` turns examples into code run after the model's program, which reports
each wrong value with what was expected. Only literal arguments and literal expected
values are taken: no check holds a value the user never stated (the rule ``oci fix -m``
keeps too). Standard library only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """One docstring example: ``call`` (source of an expression) should equal ``expected``."""

    call: str
    expected: str


_ARROWS = re.compile(r"^\s*(?:==>|=>|➞|->|==|=|returns?\b|should\s+return\b|#\s*returns?\b)"
                     r"\s*(?P<rest>.+)$", re.IGNORECASE)


def docstring_examples(prompt: str, entry_point: str) -> Iterator[Example]:
    """The examples a docstring gives for ``entry_point``, as literal checks.

    Only examples whose arguments and expected value are Python literals are kept
    (``is_happy(a) => False`` is prose, not a check). Doctest style and the usual
    prose arrows are understood; an example spread over several lines is skipped.
    """
    lines = prompt.splitlines()
    seen: set[tuple[str, str]] = set()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        example: Example | None = None
        if line.startswith(">>>"):
            call = line[3:].strip()
            expected_lines = []
            j = i + 1
            while j < len(lines):
                nxt = lines[j].strip()
                if not nxt or nxt.startswith(">>>") or nxt.startswith('"""') \
                        or nxt.startswith("'''"):
                    break
                expected_lines.append(nxt)
                j += 1
            if expected_lines:
                example = _example(call, " ".join(expected_lines), entry_point)
        else:
            example = _prose_example(line, entry_point)
        if example is not None and (example.call, example.expected) not in seen:
            seen.add((example.call, example.expected))
            yield example
        i += 1


def _prose_example(line: str, entry_point: str) -> Example | None:
    line = line.lstrip("*-• ").strip()
    start = line.find(entry_point + "(")
    if start != 0 and not (start > 0 and line[:start].strip().lower() in
                           ("for example:", "example:", "for example", "e.g.")):
        return None
    end = _closing_paren(line, start + len(entry_point))
    if end is None:
        return None
    call, rest = line[start:end + 1], line[end + 1:]
    match = _ARROWS.match(rest)
    if match is None:
        return None
    return _example(call, match["rest"], entry_point)


def _closing_paren(text: str, open_at: int) -> int | None:
    depth = 0
    quote: str | None = None
    for k in range(open_at, len(text)):
        ch = text[k]
        if quote:
            if ch == quote and text[k - 1] != "\\":
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return k
    return None


def _example(call: str, expected: str, entry_point: str) -> Example | None:
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return None
    node = tree.body
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == entry_point):
        return None
    try:
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            ast.literal_eval(arg)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    value = _literal(expected)
    if value is None:
        return None
    return Example(call=ast.unparse(node), expected=value)


def _literal(text: str) -> str | None:
    """The value an example's text states, as a literal's repr, or None.

    ``[1, 5] # because ...`` -> ``[1, 5]``; ``19 - 5 - 6 = 8`` -> ``8`` (the worked
    arithmetic ends in the value); ``true`` -> ``True``; prose -> None.
    """
    text = text.strip()
    candidates = [text, text.split("#", 1)[0]]
    if "=" in text:
        candidates.append(text.rsplit("=", 1)[1])
    words = text.split()
    for n in range(len(words), 0, -1):
        rest = " ".join(words[n:])
        # A prefix counts only when what follows it is a comment or prose, not more
        # of an expression ("1 + 9 = 10" is not the value 1).
        if not rest or rest[0] in "#(" or rest[0].isalpha():
            candidates.append(" ".join(words[:n]))
    for cand in candidates:
        cand = cand.strip().rstrip(".,;").strip()
        if cand in ("true", "false"):
            cand = cand.capitalize()
        if not cand:
            continue
        try:
            value = ast.literal_eval(cand)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        return repr(value)
    return None


# ------------------------------------------------------------------ checks --

_CHECK_HELPER = '''\
def _oci_same(got, expected):
    if isinstance(expected, float) or isinstance(got, float):
        try:
            return abs(got - expected) <= 1e-6 * max(1.0, abs(expected))
        except TypeError:
            return False
    return got == expected
'''


def check_code(entry_point: str, examples: tuple[Example, ...],
               what: str = "docstring examples") -> str:
    """Code appended to the model's program that runs the visible examples.

    An example that raises shows its traceback (through the model's function); wrong
    values are collected and reported together in one AssertionError; when all pass,
    one line says so (so the run is not "silent").
    """
    if not examples:
        return ""
    rows = ",\n".join(f"    ({ex.call!r}, lambda: {ex.call}, {ex.expected})" for ex in examples)
    return (
        f"# --- the {what} (added by oci) ---\n"
        f"{_CHECK_HELPER}\n"
        f"_oci_examples = [\n{rows},\n]\n"
        "_oci_wrong = []\n"
        "for _oci_call, _oci_run, _oci_expected in _oci_examples:\n"
        "    _oci_got = _oci_run()\n"
        "    if not _oci_same(_oci_got, _oci_expected):\n"
        "        _oci_wrong.append(f'{_oci_call} returned {_oci_got!r}, expected "
        "{_oci_expected!r}')\n"
        "if _oci_wrong:\n"
        f"    raise AssertionError(f'{{len(_oci_wrong)}} of {{len(_oci_examples)}} {what} "
        "fail:\\n' + '\\n'.join(_oci_wrong))\n"
        f"print(f'All {{len(_oci_examples)}} {what} pass.')\n"
    )



def assert_examples(test: str) -> Iterator[Example]:
    """``assert LEFT == RIGHT`` as an example (so a failure shows the value got)."""
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return
    node = tree.body[0].test
    if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)
            and tree.body[0].msg is None):
        yield Example(call=ast.unparse(node.left), expected=ast.unparse(node.comparators[0]))


_CALL_START = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)\(")
MAX_TASK_EXAMPLES = 20


def task_examples(text: str) -> tuple[Example, ...]:
    """The examples a task a user typed states, for any function it names: doctest lines
    (``>>> f(2)`` then ``4``), ``assert f(2) == 4`` lines, and prose (``f(2) -> 4``,
    ``f(2) returns 4``, ``f(2) should return 4``, ``e.g. f(2) == 4, f(3) == 9``). Calls of
    built-ins (``len(x) -> 3``) are not examples of the program."""
    import builtins

    skip = set(dir(builtins))
    found: list[Example] = []
    seen: set[tuple[str, str]] = set()

    def add(example: Example | None) -> None:
        if example is not None and (example.call, example.expected) not in seen \
                and len(found) < MAX_TASK_EXAMPLES:
            seen.add((example.call, example.expected))
            found.append(example)

    lines = text.splitlines()
    for i, raw in enumerate(lines):
        line = raw.strip().lstrip("*-• ").strip().strip("`").strip()
        if line.startswith(">>>"):
            call = line[3:].strip()
            expected = lines[i + 1].strip().strip("`") if i + 1 < len(lines) else ""
            match = _CALL_START.match(call)
            if match and expected and not expected.startswith(">>>") \
                    and match["name"] not in skip:
                add(_example(call, expected, match["name"]))
            continue
        if line.startswith("assert "):
            for example in assert_examples(line):
                match = _CALL_START.match(example.call)
                if match and match["name"] not in skip:
                    add(_example(example.call, example.expected, match["name"]))
            continue
        for match in _CALL_START.finditer(line):
            if match["name"] in skip:
                continue
            end = _closing_paren(line, match.end() - 1)
            if end is None:
                continue
            arrow = _ARROWS.match(line[end + 1:])
            if arrow is not None:
                add(_example(line[match.start():end + 1], arrow["rest"], match["name"]))
    return tuple(found)


def examples_passed_line(count: int, what: str) -> str:
    """The line :func:`check_code` prints when every example passes."""
    return f"All {count} {what} pass."
