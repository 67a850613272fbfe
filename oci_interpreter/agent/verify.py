"""Is a repair a repair? ``oci fix``'s checks on a candidate that ran without error.

The cheapest way for a model to make a failing script exit 0 is to remove or silence the
code that fails. A candidate counts as a repair only if

* the code that failed still runs: every line of the original traceback that lies in the
  file (the statement that raised and the calls that led to it) maps to lines of the
  candidate (unchanged, or rewritten in place), and at least one of those ran in the
  verifying run (traced line by line in the sandbox);
* nothing was silenced: no top-level definition, ``__main__`` block or top-level call of
  the original is gone; no new broad ``except`` swallows the failing code; no new
  ``sys.exit``/``os._exit``/``exit()`` cuts the script short; no function that did
  something is now ``pass``, ``...`` or a constant;
* what the original printed before it failed is still printed first, unless the repair
  changed a line that printed it;
* nothing was made up (agent/invented.py): an attribute, name or key that did not
  exist is not given a made-up value, read with a default, renamed to another name that
  nothing defines, or caught, where a name that exists is near it.

Each rule that fails gives a :class:`Rejection`: a kind and the detail the model reads.
Standard library only; pure functions of the texts, the traceback and the traced lines.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass

from oci_interpreter.agent.codeinfo import call_name, is_stub, parse_module

_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)$',
                    re.MULTILINE)
_EXITS = {"sys.exit", "os._exit", "exit", "quit", "os.abort"}


@dataclass(frozen=True)
class Frame:
    line: int
    function: str


@dataclass(frozen=True)
class Rejection:
    kind: str
    """``removed_definition``, ``removed_main``, ``removed_call``, ``removed_failing_line``,
    ``failing_code_not_run``, ``broad_except``, ``early_exit``, ``stub``,
    ``output_changed``; for a missing attribute, name or key (:func:`invented_state`):
    ``invented_name``, ``renamed_to_undefined``, ``default_lookup``, ``guarded_failure``,
    ``caught_failure``."""
    detail: str
    """What was found, in words the model reads (and the user, in the report)."""


def failure_frames(stderr: str, file_names: tuple[str, ...]) -> list[Frame]:
    """The traceback's frames that lie in the file (outermost first)."""
    frames = []
    for match in _FRAME.finditer(stderr):
        path = match.group("file")
        if path in file_names or any(path.endswith("/" + name) for name in file_names):
            frames.append(Frame(int(match.group("line")), match.group("func")))
    return frames


def line_map(old: str, new: str) -> dict[int, set[int]]:
    """Each line of ``old`` (1-based) -> the lines of ``new`` it became: itself where
    unchanged, the rewritten block where changed, nothing where deleted."""
    a, b = old.splitlines(), new.splitlines()
    out: dict[int, set[int]] = {}
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            if tag == "equal":
                out[i + 1] = {j1 + (i - i1) + 1}
            elif tag == "replace":
                out[i + 1] = set(range(j1 + 1, j2 + 1))
            else:  # delete
                out[i + 1] = set()
    return out


def changed_lines(old: str, new: str) -> set[int]:
    """The lines of ``old`` (1-based) that the change rewrote or deleted."""
    a, b = old.splitlines(), new.splitlines()
    out: set[int] = set()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            out.update(range(i1 + 1, i2 + 1))
    return out


def _is_main_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) and (
        "__name__" in ast.unparse(node.test))


def _definitions(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(node.name, node)
    return out


def quiet_handler(handler: ast.ExceptHandler) -> bool:
    """A broad handler (bare, Exception, BaseException) that hides the error: it passes,
    prints, logs, returns nothing much or continues -- and does not raise again."""
    kind = handler.type
    broad = kind is None or (isinstance(kind, ast.Name) and kind.id in ("Exception",
                                                                           "BaseException"))
    if not broad:
        return False
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return False
    return True


def _toplevel_calls(tree: ast.Module) -> dict[int, str]:
    """Line -> called name, for calls the module makes at top level (and in its
    ``__main__`` block)."""
    out: dict[int, str] = {}
    for node in tree.body:
        body = node.body if _is_main_block(node) else [node]  # type: ignore[attr-defined]
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                out[stmt.lineno] = call_name(stmt.value) or "a call"
    return out


def _new_exits(old: ast.Module, new: ast.Module) -> list[tuple[int, str]]:
    def exits(tree: ast.Module) -> list[tuple[int, str]]:
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and call_name(node) in _EXITS:
                found.append((node.lineno, call_name(node)))
            elif isinstance(node, ast.Raise) and node.exc is not None and \
                    call_name(node.exc) == "SystemExit":
                found.append((node.lineno, "raise SystemExit"))
        return found

    before = {name for _, name in exits(old)}
    counts = {name: sum(1 for _, n in exits(old) if n == name) for name in before}
    out = []
    for line, name in exits(new):
        if counts.get(name, 0) > 0:
            counts[name] -= 1
            continue
        out.append((line, name))
    return out


def static_checks(old_text: str, new_text: str, failing: list[int]) -> Rejection | None:
    """What the repair removed or silenced, read from the two texts (``failing``: the
    original's failing lines, outermost first). What it made up: agent/invented.py."""
    old, new = parse_module(old_text), parse_module(new_text)
    if old is None or new is None:
        return None  # the run itself says what does not parse
    gone = sorted(_definitions(old) - _definitions(new))
    if gone:
        return Rejection("removed_definition",
                         f"you removed the definition of {', '.join(gone)}; keep it and fix "
                         "the cause of the error")
    if any(_is_main_block(n) for n in old.body) and not any(_is_main_block(n)
                                                             for n in new.body):
        return Rejection("removed_main",
                         "you removed the `if __name__ == \"__main__\":` block, so the script "
                         "no longer does anything; keep it and fix the cause of the error")
    mapping = line_map(old_text, new_text)
    for line, name in sorted(_toplevel_calls(old).items()):
        if not mapping.get(line):
            return Rejection("removed_call",
                             f"you removed the call of {name} (line {line}); keep it and fix "
                             "the cause of the error")
    for line in failing:
        if line in mapping and not mapping[line]:
            source = old_text.splitlines()[line - 1].strip() if line <= len(
                old_text.splitlines()) else ""
            return Rejection("removed_failing_line",
                             f"you removed line {line} (`{source}`), which is where the error "
                             "happened; keep that code and fix the cause")
    targets = {n for line in failing for n in mapping.get(line, set())}
    for node in ast.walk(new):
        if isinstance(node, ast.Try) and node.body:
            first, last = node.body[0].lineno, max(
                getattr(n, "end_lineno", n.lineno) or n.lineno for n in node.body)
            if any(first <= t <= last for t in targets) and any(
                    quiet_handler(h) for h in node.handlers):
                return Rejection("broad_except",
                                 f"you wrapped the failing code (line {first}) in a broad "
                                 "`except` that hides the error; remove it and fix the cause")
    for line, name in _new_exits(old, new):
        return Rejection("early_exit",
                         f"you added {name} (line {line}), which stops the script before the "
                         "code that failed; remove it and fix the cause")
    old_fns, new_fns = _functions(old), _functions(new)
    for name, fn in new_fns.items():
        before = old_fns.get(name)
        if before is not None and not is_stub(before.body) and is_stub(fn.body):
            return Rejection("stub",
                             f"you replaced the body of {name}() with a placeholder; keep what "
                             "it does and fix the cause of the error")
    if failing:  # the statement that raised: still there, changed perhaps, not replaced
        line = failing[-1]
        old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
        became = sorted(mapping.get(line, set()))
        if 0 < line <= len(old_lines) and became and not _same_code(
                old_lines[line - 1], [new_lines[n - 1] for n in became if n <= len(new_lines)]):
            return Rejection("replaced_failing_line",
                             f"line {line} (`{old_lines[line - 1].strip()}`), where the error "
                             "happened, now holds other code; keep what it does and fix the "
                             "cause of the error")
    return None


_WORD = re.compile(r"[A-Za-z_]\w*")


def _same_code(old: str, new: list[str]) -> bool:
    """``new`` (the lines ``old`` became) still does what ``old`` did, rewritten perhaps:
    similar text, or most of its names (calls, variables, attributes) are still there."""
    before, after = old.strip(), " ".join(line.strip() for line in new)
    if not before or before.startswith("#"):
        return True
    if difflib.SequenceMatcher(None, before, after, autojunk=False).ratio() >= 0.4:
        return True
    names = set(_WORD.findall(before)) - {"self", "return", "print", "if", "else", "for",
                                          "in", "not", "and", "or", "is", "None"}
    if not names:
        return True
    kept = names & set(_WORD.findall(after))
    return len(kept) >= max(1, len(names) // 2)


def dynamic_checks(old_text: str, new_text: str, frames: list[Frame],
                   lines_run: tuple[int, ...] | None, old_stdout: str, new_stdout: str,
                   old_lines_run: tuple[int, ...] | None) -> Rejection | None:
    """What the verifying run shows: the failing code ran; the output before the failure
    is still there."""
    mapping = line_map(old_text, new_text)
    ran = set(lines_run or ())
    if lines_run is not None:
        old_lines, new_text_lines = old_text.splitlines(), new_text.splitlines()
        for frame in reversed(frames):  # innermost first: the statement that raised
            new_lines = mapping.get(frame.line, set())
            where = "" if frame.function == "<module>" else f", in {frame.function}"
            if new_lines and not (new_lines & ran):
                return Rejection("failing_code_not_run",
                                 f"the code that failed (line {frame.line}{where}) no longer "
                                 "runs; the script must still run it, without the error")
            # The statement itself kept word for word inside a rewritten block (under a new
            # `if len(attrs) >= 4:`): it is that line that must run, not its neighbours.
            text = old_lines[frame.line - 1].strip() if frame.line <= len(old_lines) else ""
            kept = {n for n in new_lines if len(new_lines) > 1 and text
                    and n <= len(new_text_lines) and new_text_lines[n - 1].strip() == text}
            if kept and not (kept & ran):
                return Rejection("failing_code_not_run",
                                 f"the statement that failed (line {frame.line}{where}, "
                                 f"`{text[:60]}`) is still there but no longer runs: a new "
                                 "condition skips it; the script must still run it, without "
                                 "the error")
    if old_stdout and not new_stdout.startswith(old_stdout):
        old_lines = old_text.splitlines()
        # Lines that ran before the failure and were changed; the failing lines themselves
        # raised before printing anything.
        raised = {frame.line for frame in frames}
        touched = [line for line in changed_lines(old_text, new_text)
                   if (old_lines_run is None or line in old_lines_run) and line not in raised]
        changed_printing = any(word in old_lines[line - 1]
                               for line in touched for word in ("print", "write", "log"))
        if not changed_printing:
            first = old_stdout.splitlines()[0] if old_stdout.strip() else old_stdout
            return Rejection("output_changed",
                             "before the error the script printed "
                             f"{first[:80]!r} first; the repaired script no longer does, "
                             "though you did not change what printed it")
    return None


# ------------------------------------------------- the check written from -m --

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?")


def stated_numbers(text: str) -> set[float]:
    """The numbers a description states (``1,249.99`` and ``-3`` included)."""
    found: set[float] = set()
    for match in _NUMBER.findall(text):
        try:
            found.add(float(match.replace(",", "")))
        except ValueError:
            continue
    return found


def _unstated(node: ast.AST, stated: set[float]) -> bool:
    # not values: an index (``result[0]``) and the digits of ``round(x, 2)``
    exempt = {id(sub.slice) for sub in ast.walk(node) if isinstance(sub, ast.Subscript)}
    exempt |= {id(sub.args[1]) for sub in ast.walk(node)
               if isinstance(sub, ast.Call) and call_name(sub.func) == "round"
               and len(sub.args) == 2}
    for sub in ast.walk(node):
        if (id(sub) not in exempt and isinstance(sub, ast.Constant)
                and isinstance(sub.value, (int, float))
                and not isinstance(sub.value, bool)
                and not any(abs(abs(float(sub.value)) - abs(s)) < 1e-9 for s in stated)):
            return True
    return False


def asserts_something(check: str) -> bool:
    """The check can fail on a wrong value: an ``assert``, a ``self.assert...``/
    ``assert_...`` call, or a ``raise``/``sys.exit`` under an ``if`` that compares. A check
    that only prints passes on any script."""
    try:
        tree = ast.parse(check)
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call) and call_name(node).rsplit(".", 1)[-1].lower() \
                .startswith("assert"):
            return True
        if isinstance(node, ast.If) and any(isinstance(n, ast.Compare)
                                            for n in ast.walk(node.test)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Raise) or (
                        isinstance(inner, ast.Call) and call_name(inner) in _EXITS):
                    return True
    return False


def keep_stated_asserts(check: str, description: str) -> tuple[str, int]:
    """The check of ``oci fix -m`` with the asserts dropped that use a number the user
    never stated, and how many were dropped.

    A small model asked to turn "the median of [7, 1, 3] should be 3" into asserts adds
    asserts of its own on other inputs, with expected values it worked out wrongly; no
    correct repair can pass those. An assert whose inputs and expected value are all
    numbers from the description (or no numbers at all) is kept. When every assert would
    go, or none would, the check is left as it is. On the wrong-result corpus with the
    1.5B model this took the checks that fail on the bug and pass on the fix from 7 to 9
    of 42 (docs/loop.md)."""
    try:
        tree = ast.parse(check)
    except SyntaxError:
        return check, 0
    stated = stated_numbers(description)
    asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    dropped = [node for node in asserts if _unstated(node, stated)]
    if not dropped or len(dropped) == len(asserts):
        return check, 0
    gone = {id(node) for node in dropped}

    class _Drop(ast.NodeTransformer):
        def visit_Assert(self, node: ast.Assert) -> ast.AST:
            return ast.Pass() if id(node) in gone else node

    return ast.unparse(ast.fix_missing_locations(_Drop().visit(tree))) + "\n", len(dropped)


_EXCEPTION_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s*(?P<message>.*))?$")
_COMPILE_ERRORS = {"SyntaxError", "IndentationError", "TabError"}
_LAST_FILE = re.compile(r'^  File "(?P<file>[^"]+)", line \d+', re.MULTILINE)


def check_own_error(stderr: str, module: str, description: str = "",
                    filename: str = "<check>") -> str | None:
    """Why the check of ``oci fix -m`` failed before it tested the script, or None.

    The check (run as ``filename``) fails for a reason of its own when it does not
    compile, or stops in its own code on a name it never defined or imported: a
    ``NameError``, a module that is not there (``ModuleNotFoundError`` for anything but
    the script ``module``), ``from module import X`` where the description never names
    ``X``. Any other failure (an assert, an error raised in the script, or in the
    check's code on a value the script returned) may be the script's problem, so it is
    not the check's. On the wrong-result corpus with ``-m``, 5 of 42 checks with either
    model were still like this after one correction and were refused (docs/loop.md)."""
    lines = [line for line in stderr.rstrip().splitlines() if line.strip()]
    exception = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.startswith(" "):
            continue
        match = _EXCEPTION_LINE.match(line)
        if match is not None and match.group("type").split(".")[-1][:1].isupper():
            exception = match
            break
    if exception is None:
        return None
    files = _LAST_FILE.findall(stderr)
    if not files or files[-1] != filename:
        return None
    kind = exception.group("type").split(".")[-1]
    message = exception.group("message") or ""
    text = exception.group(0)
    if kind in _COMPILE_ERRORS or kind == "NameError":
        return text
    if kind == "ModuleNotFoundError":
        missing = re.search(r"No module named '([^']+)'", message)
        return text if missing and missing.group(1).split(".")[0] != module else None
    if kind == "ImportError":
        name = re.search(r"cannot import name '([^']+)'", message)
        if name and not re.search(rf"\b{re.escape(name.group(1))}\b", description):
            return text
    return None


_MISSING_NAME = re.compile(r"(?:name|cannot import name) '(?P<name>[A-Za-z_]\w*)'")


def main_only_value(script: str, error: str) -> tuple[str, str] | None:
    """(name, its assignment) when the check's ``error`` names a variable the script sets
    only inside its ``if __name__ == "__main__":`` block: the check cannot import it, but
    can copy the value. Of the 1.5B's checks that did not run on the wrong-result corpus,
    3 of 5 wanted such a variable (the script's sample data)."""
    missing = _MISSING_NAME.search(error)
    tree = parse_module(script)
    if missing is None or tree is None:
        return None
    name = missing.group("name")
    top = {target.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
           for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
           if isinstance(target, ast.Name)} | _definitions(tree)
    if name in top:
        return None
    for block in (node for node in tree.body if _is_main_block(node)):
        for node in ast.walk(block):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name):
                text = ast.get_source_segment(script, node)
                if text is not None and len(text) <= 600:
                    return name, text
    return None
