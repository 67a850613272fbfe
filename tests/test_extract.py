"""Finding the program to run in a model reply (agent/extract.py): no model needed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from oci_interpreter.agent import extract
from oci_interpreter.agent.extract import CodeBlock, Extraction, extract_program, find_blocks

FIB = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)"


@dataclass
class Case:
    id: str
    reply: str
    code: str | None
    how: str
    truncated: bool = False
    other: list[str] = field(default_factory=list)
    shell: tuple[str, ...] = ()
    used: int | None = None


CASES = [
    # --- one block, each fence style --------------------------------------------------
    Case(
        "backticks",
        "Here is the program:\n\n```python\nprint(sum(range(10)))\n```\n\nIt prints 45.",
        "print(sum(range(10)))",
        "single",
    ),
    Case("tildes", "~~~python\nprint('tilde')\n~~~\n", "print('tilde')", "single"),
    Case(
        "longer_fence_with_backticks_inside",
        "````python\ns = '```'\nprint(s)\n````",
        "s = '```'\nprint(s)",
        "single",
    ),
    Case("info_py", "```py\nprint(1)\n```", "print(1)", "single"),
    Case("info_Python3_attrs", '```Python3 title="a.py"\nprint(2)\n```', "print(2)", "single"),
    Case("info_braces", "```{python}\nprint(3)\n```", "print(3)", "single"),
    Case(
        "closing_fence_longer_and_spaces",
        "```python\nprint(4)\n`````   \nDone.",
        "print(4)",
        "single",
    ),
    Case(
        "bare_fence_python",
        "Try this:\n```\nimport os\nprint(os.sep)\n```",
        "import os\nprint(os.sep)",
        "single",
    ),
    Case(
        "crlf",
        "Sure!\r\n\r\n```python\r\nfor i in range(3):\r\n    print(i)\r\n```\r\n",
        "for i in range(3):\n    print(i)",
        "single",
    ),
    Case(
        "indented_in_list",
        "1. Save this:\n   ```python\n   def hi():\n       print('hi')\n\n   hi()\n   ```\n"
        "2. Run it.",
        "def hi():\n    print('hi')\n\nhi()",
        "single",
    ),
    Case(
        "indented_4_in_list_closer_at_margin",
        "- Step 1:\n\n    ```python\n    x = [3, 1, 2]\n    print(sorted(x))\n```\n",
        "x = [3, 1, 2]\nprint(sorted(x))",
        "single",
    ),
    Case(
        "forgotten_closing_fence_before_next_block",
        "```python\nprint('first')\n```python\nprint('second')\n```",
        "print('second')",
        "last",
    ),
    Case(
        "closed_with_an_info_string",
        "```python\nprint('closed')\n```python\n\n",
        "print('closed')",
        "single",
        used=1,
    ),
    # --- several python blocks --------------------------------------------------------
    Case(
        "usage_example_after_program",
        f"Here is the function:\n```python\n{FIB}\n\nprint(fib(10))\n```\n\n"
        "Example usage:\n```python\nprint(fib(20))\n```",
        f"{FIB}\n\nprint(fib(10))\n\nprint(fib(20))",
        "joined",
        used=2,
    ),
    Case(
        "same_program_revised",
        "```python\ndef area(r):\n    return 3.14 * r * r\nprint(area(2))\n```\n"
        "A more precise version:\n```python\nimport math\n\ndef area(r):\n"
        "    return math.pi * r ** 2\n\nprint(area(2))\n```",
        "import math\n\ndef area(r):\n    return math.pi * r ** 2\n\nprint(area(2))",
        "last",
        used=1,
    ),
    Case(
        "function_then_test_prints",
        "```python\ndef is_prime(n):\n    return n > 1 and all(n % d for d in range(2, n))\n```\n"
        "Test it:\n```python\nprint(is_prime(7))\nprint(is_prime(8))\n```",
        "def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, n))\n\n"
        "print(is_prime(7))\nprint(is_prime(8))",
        "joined",
    ),
    Case(
        "imports_in_their_own_block",
        "```python\nimport numpy as np\n```\n```python\nprint(np.zeros(3))\n```",
        "import numpy as np\n\nprint(np.zeros(3))",
        "joined",
    ),
    Case(
        "unrelated_programs_take_last",
        "```python\nprint('hello')\n```\nOr with f-strings:\n```python\nname = 'x'\n"
        "print(f'hello {name}')\n```",
        "name = 'x'\nprint(f'hello {name}')",
        "last",
    ),
    Case(
        "revised_definition_then_usage_uses_nearest",
        "```python\ndef add(a, b):\n    return a - b\n```\nFixed:\n```python\n"
        "def add(a, b):\n    return a + b\n```\n```python\nprint(add(1, 2))\n```",
        "def add(a, b):\n    return a + b\n\nprint(add(1, 2))",
        "joined",
        used=2,
    ),
    Case(
        "class_then_usage",
        "```python\nclass Stack:\n    def __init__(self):\n        self.items = []\n"
        "    def push(self, x):\n        self.items.append(x)\n```\n\nUsage:\n\n```python\n"
        "s = Stack()\ns.push(1)\nprint(s.items)\n```",
        "class Stack:\n    def __init__(self):\n        self.items = []\n"
        "    def push(self, x):\n        self.items.append(x)\n\n"
        "s = Stack()\ns.push(1)\nprint(s.items)",
        "joined",
    ),
    Case(
        "chain_of_three",
        "```python\nimport math\n```\n```python\ndef hyp(a, b):\n    return math.hypot(a, b)\n"
        "```\n```python\nprint(hyp(3, 4))\n```",
        "import math\n\ndef hyp(a, b):\n    return math.hypot(a, b)\n\nprint(hyp(3, 4))",
        "joined",
        used=3,
    ),
    Case(
        "usage_repeats_main_call",
        "```python\ndef main():\n    print('hi')\n\nif __name__ == '__main__':\n    main()\n```\n"
        "Run it with:\n```python\nmain()\n```",
        "def main():\n    print('hi')\n\nif __name__ == '__main__':\n    main()",
        "earlier",
        used=1,
    ),
    Case(
        "usage_repeats_print_keeps_new_one",
        f"```python\n{FIB}\n\nprint(fib(10))\n```\n```python\nprint(fib(10))\nprint(fib(5))\n```",
        f"{FIB}\n\nprint(fib(10))\n\nprint(fib(5))",
        "joined",
    ),
    Case(
        "local_module_import_joined",
        f"Save this as fib.py:\n```python\n{FIB}\n```\nThen:\n```python\nfrom fib import fib\n"
        "print(fib(7))\n```",
        f"{FIB}\n\nprint(fib(7))",
        "joined",
    ),
    Case(
        "stdlib_import_is_kept",
        "```python\ndef sqrt(x):\n    return x ** 0.5\n```\n```python\nfrom math import sqrt\n"
        "print(sqrt(9))\n```",
        "from math import sqrt\nprint(sqrt(9))",
        "last",
    ),
    Case(
        "display_of_earlier_variable",
        "```python\ntotal = sum([1, 2, 3])\n```\n```python\ntotal\n```",
        "total = sum([1, 2, 3])\n\ntotal",
        "joined",
    ),
    # --- output blocks ----------------------------------------------------------------
    Case(
        "bare_output_block",
        "```python\nprint(2 + 2)\n```\n\nOutput:\n\n```\n4\n```",
        "print(2 + 2)",
        "single",
    ),
    Case(
        "python_labelled_output_list",
        "```python\nprint([1, 2, 3])\n```\n```python\n[1, 2, 3]\n```",
        "print([1, 2, 3])",
        "single",
    ),
    Case(
        "python_labelled_output_text",
        "```python\nprint('Hello, World!')\n```\nThis prints:\n```python\nHello, World!\n```",
        "print('Hello, World!')",
        "single",
    ),
    Case(
        "output_intro_assignment_like_text",
        "```python\nx = 5\nprint('x =', x)\n```\n**Output:**\n```python\nx = 5\n```",
        "x = 5\nprint('x =', x)",
        "single",
    ),
    # --- doctest sessions -------------------------------------------------------------
    Case(
        "doctest_session",
        "```python\n>>> def square(x):\n...     return x * x\n...\n>>> square(4)\n16\n"
        ">>> [square(i) for i in range(3)]\n[0, 1, 4]\n```",
        "def square(x):\n    return x * x\n\nprint(square(4))\n"
        "print([square(i) for i in range(3)])",
        "single",
    ),
    Case(
        "doctest_pycon_procedures_and_methods_not_wrapped",
        "```pycon\n>>> def greet(n):\n...     print('hi', n)\n...\n>>> greet('Bob')\nhi Bob\n"
        ">>> xs = []\n>>> xs.append(1)\n>>> import math\n>>> math.floor(2.5)\n2\n```",
        "def greet(n):\n    print('hi', n)\n\ngreet('Bob')\nxs = []\nxs.append(1)\n"
        "import math\nprint(math.floor(2.5))",
        "single",
    ),
    Case(
        "doctest_after_plain_definition",
        f"```python\n{FIB}\n\n>>> fib(6)\n8\n```",
        f"{FIB}\n\nprint(fib(6))",
        "single",
    ),
    Case(
        "bare_doctest_uses_earlier_function",
        f"```python\n{FIB}\n```\nFor example:\n```\n>>> fib(7)\n13\n```",
        f"{FIB}\n\nprint(fib(7))",
        "joined",
    ),
    # --- shell lines in python blocks -------------------------------------------------
    Case(
        "pip_install_line",
        "```python\npip install requests\nimport requests\nprint(requests.__name__)\n```",
        "import requests\nprint(requests.__name__)",
        "single",
        shell=("pip install requests",),
    ),
    Case(
        "notebook_magics",
        "```python\n!pip install numpy\n%matplotlib inline\nimport numpy as np\n"
        "print(np.ones(2))\n```",
        "import numpy as np\nprint(np.ones(2))",
        "single",
        shell=("!pip install numpy", "%matplotlib inline"),
    ),
    Case(
        "install_only_block_then_program",
        "First install it:\n```python\npip3 install pandas\n```\nThen:\n```python\n"
        "import pandas as pd\nprint(pd.__version__)\n```",
        "import pandas as pd\nprint(pd.__version__)",
        "single",
        shell=("pip3 install pandas",),
        used=1,
    ),
    Case(
        "run_command_after_code",
        "```python\nprint('saved')\npython script.py\n```",
        "print('saved')",
        "single",
        shell=("python script.py",),
    ),
    # --- other languages --------------------------------------------------------------
    Case(
        "bash_and_python",
        "Install:\n```bash\npip install rich\n```\nCode:\n```python\nprint('ok')\n```",
        "print('ok')",
        "single",
        other=["bash"],
    ),
    Case(
        "only_shell",
        "Run:\n```sh\nls -la\n```\nand\n```console\n$ echo hi\n```",
        None,
        "none",
        other=["sh", "console"],
    ),
    Case(
        "only_javascript",
        "```javascript\nconsole.log(1 + 1);\n```",
        None,
        "none",
        other=["javascript"],
    ),
    Case(
        "json_and_text_are_not_languages",
        '```json\n{"a": 1}\n```\n```text\nhello\n```\n```\nplain output\n```',
        None,
        "none",
    ),
    Case(
        "markdown_with_nested_fence_is_not_run",
        "````markdown\n```python\nprint(1)\n```\n````",
        None,
        "none",
    ),
    # --- cut off replies --------------------------------------------------------------
    Case(
        "unterminated_but_parses",
        "```python\nprint('no closing fence')\n",
        "print('no closing fence')",
        "single",
    ),
    Case(
        "unterminated_salvaged",
        "```python\nimport math\nprint(math.pi)\n\ndef area(r):\n    return math.pi * r *",
        "import math\nprint(math.pi)",
        "salvaged",
        truncated=True,
    ),
    Case(
        "unterminated_half_function",
        "```python\ndef area(r):\n    result = 3.14 * r *",
        None,
        "unterminated",
        truncated=True,
    ),
    Case(
        "unterminated_salvage_that_prints_nothing",
        "```python\nimport math\n\ndef area(r):\n    return math.pi * r * r\n\nprint(area(",
        None,
        "unterminated",
        truncated=True,
    ),
    Case(
        "unterminated_empty",
        "Here is the code:\n\n```python\n",
        None,
        "unterminated",
        truncated=True,
    ),
    Case(
        "second_copy_cut_off_runs_first",
        f"```python\n{FIB}\n\nprint(fib(10))\n```\nFaster:\n```python\ndef fib(n):\n"
        "    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a +",
        f"{FIB}\n\nprint(fib(10))",
        "single",
        truncated=True,
    ),
    # --- no fences --------------------------------------------------------------------
    Case("prose_only", "Hello! How can I help you today?", None, "none"),
    Case("single_word", "Hello", None, "none"),
    Case("two_words_that_parse", "not sure", None, "none"),
    Case("number", "42", None, "none"),
    Case("empty", "", None, "none"),
    Case("inline_triple_backticks", "Use ```print(1)``` to print.", None, "none"),
    Case(
        "unfenced_program",
        "import math\nprint(math.factorial(5))\n",
        "import math\nprint(math.factorial(5))",
        "unfenced",
    ),
    Case("unfenced_call", "print('hi')", "print('hi')", "unfenced"),
    Case(
        "indented_code_block",
        "You can do it like this:\n\n    total = 0\n    for i in range(5):\n"
        "        total += i\n    print(total)\n\nThat is all.",
        "total = 0\nfor i in range(5):\n    total += i\nprint(total)",
        "indented",
    ),
    Case(
        "indented_prose_is_not_code",
        "Notes:\n\n    This paragraph is indented but it is prose.\n",
        None,
        "none",
    ),
    # --- a fence line inside a triple-quoted string --------------------------------
    Case(
        "fence_inside_a_string",
        'Here is the fix:\n```python\nHELP = """\nUsage:\n```\ntool --run\n```\n"""\n'
        "def main():\n    print(HELP)\nmain()\n```\n",
        'HELP = """\nUsage:\n```\ntool --run\n```\n"""\ndef main():\n    print(HELP)\nmain()',
        "single",
        used=1,
    ),
    Case(
        "fence_inside_a_string_then_a_separate_block",
        'Fix:\n```python\nDOC = """\n```\nx\n```\n"""\nprint(DOC)\n```\nRun it:\n'
        "```bash\npython tool.py\n```\n",
        'DOC = """\n```\nx\n```\n"""\nprint(DOC)',
        "single",
        other=["bash"],
    ),
    Case(
        "python_fence_inside_a_string",
        '```python\nDOC = """\n```python\nprint(1)\n```\n"""\nprint(DOC)\n```',
        'DOC = """\n```python\nprint(1)\n```\n"""\nprint(DOC)',
        "single",
    ),
    Case(
        "fence_inside_a_string_cut_off_after_the_string",
        '```python\nHELP = """\n```\ntool\n```\n"""\nprint(HELP)\n',
        'HELP = """\n```\ntool\n```\n"""\nprint(HELP)',
        "single",
    ),
    Case(
        "two_blocks_first_with_an_open_string_are_not_merged",
        '```python\ns = """abc\n```\nThen:\n```python\nprint(1)\n```\n',
        "print(1)",
        "last",
        used=1,
    ),
    Case(
        "two_blocks_first_broken_are_not_merged",
        "```python\ndef f(:\n    pass\n```\nThen:\n```python\nprint(1)\n```\n",
        "print(1)",
        "last",
        used=1,
    ),
    Case(
        "unclosed_string_keeps_the_first_fence",
        '```python\nHELP = """\nUsage:\n```\ntool --run\n```\nprint(HELP)\n```\n',
        'HELP = """\nUsage:\n\nprint(HELP)',
        "joined",
        used=2,
    ),
    # --- broken python is still run (the error goes back to the model) ----------------
    Case(
        "python2_print",
        "```python\nprint 'hello'\n```",
        "print 'hello'",
        "single",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_extract_program(case: Case) -> None:
    got = extract_program(case.reply)
    assert got.code == case.code
    assert got.how == case.how
    assert got.truncated is case.truncated
    assert got.other_languages() == case.other
    assert got.shell_lines == case.shell
    if case.used is not None:
        assert len(got.used) == case.used
    # Everything found is either used or skipped, never both.
    for block in got.blocks:
        assert (block in got.used) != (block in got.skipped)


def test_case_ids_are_unique_and_plentiful() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 40


# ------------------------------------------------------------------------ find_blocks


@pytest.mark.parametrize(
    ("info", "language"),
    [
        ("python", "python"),
        ("py", "python"),
        ("python3", "python"),
        ("Python", "python"),
        ("py3", "python"),
        ("ipython", "python"),
        ("{python}", "python"),
        ("{.python .numberLines}", "python"),
        ('python title="x.py"', "python"),
        ("python:main.py", "python"),
        ("language-python", "python"),
        (" python ", "python"),
        ("bash", "bash"),
        ("Shell", "shell"),
        ("c++", "c++"),
        ("output", "output"),
        ("JSON", "json"),
    ],
)
def test_language_of_info_string(info: str, language: str) -> None:
    (block,) = find_blocks(f"```{info}\nx\n```")
    assert block.language == language
    assert block.info == info.strip()


@pytest.mark.parametrize(
    ("body", "language"),
    [
        ("import os\nprint(os.getcwd())", "python"),
        ("def f(:\n    pass", "python"),  # broken, but only Python starts with `def f(`
        (">>> 1 + 1\n2", "python"),
        ("x = [i * i for i in range(3)]\nprint(x)", "python"),
        ("[1, 2, 3]", ""),
        ("55", ""),
        ("Hello", ""),
        ("Sum = 15", ""),
        ("Hello, World!", ""),
        ("$ python main.py\n55", ""),
        ("", ""),
    ],
)
def test_bare_block_language(body: str, language: str) -> None:
    (block,) = find_blocks(f"```\n{body}\n```")
    assert block.language == language


def test_offsets_span_the_whole_block() -> None:
    text = "Intro\n\n```python\nprint(1)\n```\nmiddle\n~~~bash\nls\n~~~\nend"
    blocks = find_blocks(text)
    assert [b.language for b in blocks] == ["python", "bash"]
    assert text[blocks[0].start : blocks[0].end] == "```python\nprint(1)\n```"
    assert text[blocks[1].start : blocks[1].end] == "~~~bash\nls\n~~~"
    assert all(b.complete for b in blocks)


def test_crlf_offsets_refer_to_the_original_text() -> None:
    text = "a\r\n```py\r\nprint(1)\r\n```\r\nb"
    (block,) = find_blocks(text)
    assert block.code == "print(1)"
    assert text[block.start : block.end] == "```py\r\nprint(1)\r\n```"


def test_unterminated_block_runs_to_the_end() -> None:
    text = "x\n```python\nprint(1)\n"
    (block,) = find_blocks(text)
    assert not block.complete
    assert block.end == len(text)
    assert block.code == "print(1)"


def test_closing_fence_must_match_char_and_length() -> None:
    text = "````python\nprint(1)\n```\n~~~\nprint(2)\n````"
    (block,) = find_blocks(text)
    assert block.complete
    assert block.code == "print(1)\n```\n~~~\nprint(2)"


def test_tilde_fence_info_may_hold_backticks() -> None:
    (block,) = find_blocks("~~~python `x`\nprint(1)\n~~~")
    assert block.language == "python" and block.code == "print(1)"


def test_body_is_dedented_and_trimmed() -> None:
    (block,) = find_blocks("  ```python\n\n    if True:\n        print(1)   \n\n  ```")
    assert block.code == "if True:\n    print(1)"


def test_several_blocks_in_order() -> None:
    text = "```python\na = 1\n```\ntext\n```\nb\n```\n```js\nc\n```"
    assert [(b.language, b.code) for b in find_blocks(text)] == [
        ("python", "a = 1"),
        ("", "b"),
        ("js", "c"),
    ]


def test_no_fences_no_blocks() -> None:
    assert find_blocks("just prose with `inline` code") == []


def test_fence_in_a_string_then_a_second_python_block() -> None:
    text = (
        '```python\nA = """\n```\nsample\n```\n"""\n```\nand\n'
        '```python\nB = """\n```\n"""\nprint(A, B)\n```\n'
    )
    blocks = find_blocks(text)
    assert [b.code for b in blocks] == [
        'A = """\n```\nsample\n```\n"""',
        'B = """\n```\n"""\nprint(A, B)',
    ]
    assert all(b.complete for b in blocks)
    assert text[blocks[0].start : blocks[0].end] == (
        '```python\nA = """\n```\nsample\n```\n"""\n```'
    )


def test_fence_in_a_string_in_a_bare_block() -> None:
    (block,) = find_blocks('```\nS = """\n```\n"""\nprint(S)\n```')
    assert block.language == "python" and block.code == 'S = """\n```\n"""\nprint(S)'


def test_fence_in_a_string_is_not_looked_for_in_other_languages() -> None:
    blocks = find_blocks('```bash\ncat <<EOF """\n```\n"""\n```')
    assert blocks[0].language == "bash" and blocks[0].code == 'cat <<EOF """'


def test_unclosed_string_is_the_old_behaviour(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = '```python\nHELP = """\nUsage:\n```\ntool --run\n```\nprint(HELP)\n```\n'
    now = extract_program(reply)
    monkeypatch.setattr(extract, "_MAX_LATER_FENCES", 0)  # the rule off
    before = extract_program(reply)
    assert now == before
    assert [b.code for b in now.blocks] == ['HELP = """\nUsage:', "print(HELP)"]


def _samples_in_a_string(samples: int) -> str:
    inside = "".join(f"```\nsample {k}\n```\n" for k in range(samples))
    return f'```python\nHELP = """\n{inside}"""\nprint(HELP)\n```\n'


def test_fence_in_a_string_tries_a_bounded_number_of_later_fences() -> None:
    # The cut is at the first fence of the string; each sample adds 2 fences to try.
    most = extract._MAX_LATER_FENCES // 2
    (block,) = find_blocks(_samples_in_a_string(most))
    assert block.code.endswith("print(HELP)")
    blocks = find_blocks(_samples_in_a_string(most + 1))
    assert blocks[0].code == 'HELP = """'  # not found within the bound: as before


def test_fence_in_a_string_parses_at_most_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def counting(code: str) -> object:
        calls.append(code)
        return None

    monkeypatch.setattr(extract, "parse_module", counting)
    extract._find_blocks('```python\nS = """\n' + "```\n" * 500)
    assert len(calls) == extract._MAX_LATER_FENCES


# ------------------------------------------------------------------------- Extraction


def test_skipped_holds_other_languages_and_unused_python() -> None:
    reply = (
        "```bash\npip install x\n```\n```python\nprint(1)\n```\n```python\nprint(2)\n```"
    )
    got = extract_program(reply)
    assert got.code == "print(2)" and got.how == "last"
    assert [b.code for b in got.skipped] == ["pip install x", "print(1)"]
    assert [b.code for b in got.used] == ["print(2)"]
    assert len(got.blocks) == 3


def test_other_languages_are_listed_once_in_order() -> None:
    got = Extraction(
        None,
        "none",
        skipped=(
            CodeBlock("bash", "ls", True, 0, 1),
            CodeBlock("text", "x", True, 2, 3),
            CodeBlock("js", "x", True, 4, 5),
            CodeBlock("bash", "pwd", True, 6, 7),
            CodeBlock("", "out", True, 8, 9),
            CodeBlock("python", "1", True, 10, 11),
        ),
    )
    assert got.other_languages() == ["bash", "js"]


def test_notes_explain_what_was_done() -> None:
    got = extract_program(
        f"```python\n{FIB}\n```\n```python\nprint(fib(3))\n```\nOutput:\n```\n2\n```"
    )
    assert got.how == "joined"
    assert any("joined 2" in note for note in got.notes)


def test_truncated_cut_block_is_skipped_when_unusable() -> None:
    got = extract_program("```python\nprint(1)\n```\n```python\nfor i in range(3:\n")
    assert got.truncated and got.code == "print(1)"
    assert got.skipped[-1].complete is False


def test_unfenced_used_block_covers_reply() -> None:
    got = extract_program("  print(1)\n")
    assert got.code == "print(1)" and got.how == "unfenced"
    assert got.blocks == () and len(got.used) == 1


# ------------------------------------------------------------------------------ fuzz

_PIECES = [
    "```", "~~~", "````", "```python", "```py\r\n", "```\n", "\n", "\r\n", " ", "    ", "\t",
    "print(", ")", "def f(", ":", ">>> ", "... ", "pip install x", "!ls", "%pip", "import ",
    "from x import y", "`", "'", '"""', "#", "é", "\x00", "1", "x = ", "if True:", "Output:",
    "{python}", "$ ", "if __name__ == '__main__':", "return", "\\", "(" * 30,
]  # fmt: skip


def test_never_raises_on_random_input() -> None:
    rng = random.Random(1234)
    for _ in range(1500):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40)))
        # The inner functions, without the safety net, so a bug shows up here.
        blocks = extract._find_blocks(text)
        got = extract._extract(text)
        assert isinstance(got, Extraction)
        assert all(isinstance(b, CodeBlock) for b in blocks)
        assert got.code is None or isinstance(got.code, str)
        assert isinstance(got.other_languages(), list)


def test_never_raises_on_random_characters() -> None:
    rng = random.Random(99)
    alphabet = "`~ \n\r\tpy>.:()[]{}'\"#!%=ab"
    for _ in range(800):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        assert isinstance(extract._extract(text), Extraction)


def test_deeply_nested_code_does_not_raise() -> None:
    deep = "```python\nx = " + "(" * 500 + "1" + ")" * 500 + "\nprint(x)\n```"
    got = extract._extract(deep)
    assert got.code is not None  # too deep to parse: run anyway, the error goes back
    long_sum = "```python\nprint(" + "+".join(["1"] * 20000) + ")\n```"
    assert extract._extract(long_sum).code is not None


def test_doctest_lines_inside_a_docstring_are_left_alone() -> None:
    # HumanEval-style replies repeat the prompt's docstring, doctests included: the
    # program parses as it is, so its ">>>" lines are text, not a session to convert.
    reply = (
        "```python\n"
        "def add(a, b):\n"
        '    """Add.\n'
        "    >>> add(1, 2)\n"
        "    3\n"
        '    """\n'
        "    return a + b\n"
        "\n"
        "print(add(1, 2))\n"
        "```\n"
    )
    got = extract_program(reply)
    assert got.code is not None
    assert "    >>> add(1, 2)\n    3\n" in got.code
    assert got.code.rstrip().endswith("print(add(1, 2))")
    assert not any("session" in note for note in got.notes)
