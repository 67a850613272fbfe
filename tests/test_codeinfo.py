"""Static facts about a program (agent/codeinfo.py): no model, nothing is run."""

from __future__ import annotations

import pytest

from oci_interpreter.agent.codeinfo import (
    bound_names,
    defined_names,
    free_names,
    input_call,
    is_code_like,
    looks_like_python,
    normalize,
    parse_module,
    prints_something,
    procedures,
    reads_input,
    syntax_error,
    used_names,
)

# ----------------------------------------------------------------------------- normalize

BASE = 'def f(x):\n    return x + 1\n\nprint(f(2), "done")\n'


@pytest.mark.parametrize(
    "variant",
    [
        BASE,
        "# add one\ndef f(x):\n    return x + 1  # plus\n\n\n\nprint(f(2), 'done')",
        'def f(x):\n    """Add one."""\n    return x+1\nprint( f( 2 ) ,"done" )\n',
        '"""Module docstring."""\ndef f(x):\n    return (x + 1)\nprint(f(2), "done")',
        "def f(x):\r\n    return x + 1\r\n\r\nprint(f(2), 'done')\r\n",
        '    def f(x):\n        return x + 1\n    print(f(2), u"done")\n',
        "def f(x):\n  return x + \\\n      1\nprint(f(2),\n      'done')",
    ],
)
def test_normalize_ignores_layout_comments_docstrings_and_quotes(variant: str) -> None:
    assert normalize(variant) == normalize(BASE)


@pytest.mark.parametrize(
    "variant",
    [
        'def f(x):\n    return x + 2\n\nprint(f(2), "done")\n',  # constant
        'def g(x):\n    return x + 1\n\nprint(g(2), "done")\n',  # name
        'def f(y):\n    return y + 1\n\nprint(f(2), "done")\n',  # parameter
        'def f(x):\n    return x + 1\n\nprint(f(2), "Done")\n',  # string
        'def f(x):\n    return x - 1\n\nprint(f(2), "done")\n',  # operator
        'def f(x):\n    return x + 1\n\nprint(f(2))\nprint("done")\n',  # statements
    ],
)
def test_normalize_sees_real_changes(variant: str) -> None:
    assert normalize(variant) != normalize(BASE)


def test_normalize_keeps_non_docstring_strings() -> None:
    assert normalize("x = 1\n'a'\n") != normalize("x = 1\n'b'\n")


def test_normalize_of_code_that_does_not_parse() -> None:
    a = "print('a'  # unfinished\nx =   1"
    b = "print('a'\n\n   x = 1   # other comment"
    assert normalize(a) == normalize(b)
    assert normalize(a) != normalize("print('b'\nx = 1")
    assert normalize(a).startswith("text:")


def test_normalize_parsed_and_unparsed_never_collide() -> None:
    assert normalize("x = 1") != normalize("x = (1")


# ---------------------------------------------------------------------------- input


@pytest.mark.parametrize(
    ("code", "call"),
    [
        ("name = input('Name: ')\nprint(name)", "input()"),
        ("n = int(input())", "input()"),
        ("import builtins\nx = builtins.input()", "input()"),
        ("import sys\ndata = sys.stdin.read()", "sys.stdin.read()"),
        ("import sys\nline = sys.stdin.readline()", "sys.stdin.readline()"),
        ("import sys\nlines = sys.stdin.readlines()", "sys.stdin.readlines()"),
        ("import sys\nraw = sys.stdin.buffer.read()", "sys.stdin.buffer.read()"),
        ("import sys\nfor line in sys.stdin:\n    print(line)", "sys.stdin"),
        ("import sys\nrows = [l.split() for l in sys.stdin]", "sys.stdin"),
        ("import sys\nrows = list(sys.stdin)", "sys.stdin"),
        ("import sys as s\nx = s.stdin.read()", "sys.stdin.read()"),
        ("from sys import stdin\nx = stdin.readline()", "sys.stdin.readline()"),
        ("import fileinput\nfor line in fileinput.input():\n    pass", "fileinput.input()"),
        ("import getpass\npw = getpass.getpass()", "getpass.getpass()"),
        ("from getpass import getpass\npw = getpass('pw: ')", "getpass.getpass()"),
        ("data = open(0).read()", "open(0)"),
        ("def main():\n    return input('x')\nmain()", "input()"),
        ("print(1)\nx = input()\ny = __import__('sys').stdin", "input()"),
    ],
)
def test_reads_input(code: str, call: str) -> None:
    assert reads_input(code)
    assert input_call(code) == call


@pytest.mark.parametrize(
    "code",
    [
        "print('Enter your name with input()')",
        "# we do not call input() here\nprint(1)",
        "x = 'sys.stdin.read()'\nprint(x)",
        "import sys\nif sys.stdin.isatty():\n    print('tty')",
        "import sys\nprint(sys.stdin.encoding)",
        "def input(prompt=''):\n    return '5'\nprint(int(input()))",
        "import io, sys\nsys.stdin = io.StringIO('1 2')\nprint(input())",
        "user_input = 5\nprint(user_input)",
        "class A:\n    def input(self):\n        return 1\nprint(A().input())",
        "",
    ],
)
def test_does_not_read_input(code: str) -> None:
    assert not reads_input(code)
    assert input_call(code) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x = input(\nprint(x)", True),
        ("import sys\nfor l in sys.stdin\n    pass", True),
        ("pw = getpass(\n", True),
        ("print('input() in a string'\n", False),
        ("# input()\nprint(1\n", False),
        ("x = user_input(\n", False),
    ],
)
def test_reads_input_fallback_on_syntax_error(code: str, expected: bool) -> None:
    assert parse_module(code) is None
    assert reads_input(code) is expected


# ---------------------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    ("code", "start", "line"),
    [
        ("print('a'", "SyntaxError: ", 1),
        ("x = 1\ny = (2,\n", "SyntaxError: ", 2),
        ("x = 1\nif x\n    print(x)", "SyntaxError: ", 2),
        ("def f():\nreturn 1", "IndentationError: ", 2),
        ("x = 1\n  y = 2", "IndentationError: unexpected indent", 2),
        ("return 5", "SyntaxError: 'return' outside function", 1),
        ("for i in range(3):\n\tprint(i)\n        print(i)", "TabError: ", 3),
        ("a = 1\nb = 2\nprint 'hello'", "SyntaxError: ", 3),
    ],
)
def test_syntax_error(code: str, start: str, line: int) -> None:
    msg = syntax_error(code)
    assert msg is not None
    assert msg.startswith(start)
    assert msg.endswith(f"(line {line})")
    assert "\n" not in msg


@pytest.mark.parametrize(
    "code",
    ["", "print(1)", "def f():\n    return 1\n", "# just a comment", "x = '\\d'\n"],
)
def test_no_syntax_error(code: str) -> None:
    assert syntax_error(code) is None


def test_syntax_error_never_raises() -> None:
    assert syntax_error("x = 1\x00") is not None
    assert (syntax_error("x = " + "(" * 300 + ")" * 300) or "").startswith("SyntaxError")


# ----------------------------------------------------------------------------- names


def test_defined_names_module_level_only() -> None:
    code = (
        "import os, numpy as np\nimport xml.etree.ElementTree as ET\nimport a.b\n"
        "from math import pi, sqrt as root\nfrom x import *\n"
        "def f(arg):\n    local = 1\n    return local\n"
        "async def g():\n    pass\nclass C:\n    attr = 2\n"
        "x = y = 3\na1, (b1, *c1) = 1, (2, 3)\nn: int = 4\ncount += 1\n"
        "for i in range(3):\n    inner = i\n"
        "with open('f') as fh:\n    pass\n"
        "try:\n    pass\nexcept ValueError as err:\n    pass\n"
        "if (w := 5):\n    pass\n"
        "squares = [k * k for k in range(3)]\n"
        "obj.attr = 1\nitems[0] = 2\n"
    )
    assert defined_names(code) == {
        "os", "np", "ET", "a", "pi", "root", "f", "g", "C", "x", "y", "a1", "b1", "c1",
        "n", "count", "i", "inner", "fh", "err", "w", "squares",
    }  # fmt: skip


def test_defined_names_match_statement() -> None:
    code = (
        "match p:\n    case [x, *rest]:\n        pass\n"
        "    case {'k': v, **others}:\n        pass"
    )
    assert defined_names(code) == {"x", "rest", "v", "others"}


def test_used_names() -> None:
    code = (
        "import math\ndef f(x):\n    return math.sqrt(x) + offset\n"
        "print(f(2), obj.attr.sub, [k for k in data])\nresult = 1\n"
    )
    assert used_names(code) == {"math", "x", "offset", "print", "f", "obj", "k", "data"}


def test_bound_and_free_names() -> None:
    code = (
        "def area(r, *args, scale=1, **kw):\n    total = pi * r * r\n    return total\n"
        "for i in range(3):\n    print(area(i), helper(i))\n"
        "try:\n    pass\nexcept Exception as e:\n    print(e, __name__, __file__)\n"
    )
    assert {"area", "r", "args", "scale", "kw", "total", "i", "e"} <= bound_names(code)
    assert free_names(code) == {"pi", "helper"}


def test_names_fall_back_to_text_on_syntax_error() -> None:
    code = "import numpy as np\ndef f(x):\n    return np.sum(x\nresult = f(data)\n"
    assert parse_module(code) is None
    assert {"np", "f", "result"} <= defined_names(code)
    assert {"np", "f", "data", "x"} <= used_names(code)
    assert "data" in free_names(code)
    assert "def" not in used_names(code)


def test_procedures() -> None:
    code = (
        "def show(x):\n    print(x)\n    return\n"
        "def double(x):\n    return 2 * x\n"
        "def gen():\n    yield 1\n"
        "def outer():\n    def inner():\n        return 1\n    inner()\n"
    )
    assert procedures(code) == {"show", "outer"}
    assert procedures("def broken(:") == set()


# ---------------------------------------------------------------------------- output


@pytest.mark.parametrize(
    "code",
    [
        "print('hi')",
        "def main():\n    print('hi')",
        "import sys\nsys.stdout.write('x')",
        "import sys\nprint('err', file=sys.stderr)",
        "from sys import stdout\nstdout.write('x')",
        "from pprint import pprint\npprint({'a': 1})",
        "import pprint\npprint.pprint([1])",
        "list(map(print, [1, 2]))",
        "import os\nos.system('echo hi')",
        "import subprocess\nsubprocess.run(['echo', 'hi'])",
        "x = [1, 2]\nx",
        "import pandas as pd\ndf = pd.DataFrame()\ndf.head()",
        "display(1)",
    ],
)
def test_prints_something(code: str) -> None:
    assert prints_something(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "x = 1 + 2",
        "def f():\n    return 1\nresult = f()",
        "'''only a docstring'''",
        "x = 5\n'''trailing string'''",
        "import math\nvalue = math.sqrt(2)",
        "printer = 'epson'",
        "import subprocess\nout = subprocess.check_output(['ls'])",
    ],
)
def test_prints_nothing(code: str) -> None:
    assert not prints_something(code)


def test_prints_something_on_syntax_error() -> None:
    assert prints_something("print('x'")
    assert not prints_something("x = (1,")
    assert not prints_something("s = 'print(1)'\nx = (")


# ----------------------------------------------------------------------- code or prose


@pytest.mark.parametrize(
    ("text", "code_like"),
    [
        ("print('hi')", True),
        ("x = 1", True),
        ("import os", True),
        ("def f():\n    pass", True),
        ("for i in range(2):\n    pass", True),
        ("max(3, 5)", True),
        ("Hello", False),
        ("not sure", False),
        ("42", False),
        ("[1, 2, 3]", False),
        ("'just a string'", False),
        ("Hello! How can I help?", False),
        ("", False),
    ],
)
def test_is_code_like(text: str, code_like: bool) -> None:
    assert is_code_like(text) is code_like
    tree = parse_module(text)
    if tree is not None:
        assert is_code_like(tree) is code_like


@pytest.mark.parametrize(
    ("text", "python"),
    [
        ("def f(x:\n    return x", True),
        ("class A(:", True),
        ("import os\nprint(os.sep", True),
        ("from math import (pi", True),
        ("x = [1, 2\n", True),
        ("for i in range(3)\n    print(i)", True),
        (">>> 1 +", True),
        ("print 'hello'", True),
        ("Hello, World!", False),
        ("The factorial of 5 is 120", False),
        ("0 1 1 2 3 5 8", False),
        ("Traceback (most recent call last):\n  File x", False),
        ("Enter a number: 5", False),
        ("x == y is true", False),
    ],
)
def test_looks_like_python(text: str, python: bool) -> None:
    assert looks_like_python(text) is python


def test_parse_module_never_raises() -> None:
    assert parse_module("x = (") is None
    assert parse_module("a\x00b") is None
    assert parse_module("(" * 1000) is None
    tree = parse_module("x = 1")
    assert tree is not None and len(tree.body) == 1
