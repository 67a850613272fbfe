"""Find the program to run in a model reply. Standard library only; never raises.

Small models write Markdown: mostly one ```python block, but also several blocks, loose
labels, blocks indented in list items, a block cut off mid-way, or a ``>>>`` session.
:func:`find_blocks` finds the fenced blocks; :func:`extract_program` decides what to run
and says how (``Extraction.how``). The rules, with their reasons, are in
docs/extract.md; tests/test_extract.py holds an example of each.
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from oci_interpreter.agent.codeinfo import (
    defined_names,
    free_names,
    is_code_like,
    looks_like_python,
    parse_module,
    prints_something,
    procedures,
    used_names,
)

__all__ = ["CodeBlock", "Extraction", "extract_program", "find_blocks"]

PYTHON_ALIASES = frozenset(
    {
        "python", "py", "python3", "py3", "python2", "py2", "ipython", "ipython3",
        "pycon", "python-repl", "pyrepl", "python-console", "sage", "pyi",
    }
)  # fmt: skip
"""Info-string words that mean Python."""

NOT_PROGRAMS = frozenset(
    {
        "", "text", "txt", "plain", "plaintext", "output", "out", "result", "results",
        "stdout", "stderr", "log", "logs", "none", "json", "jsonl", "yaml", "yml", "toml",
        "ini", "csv", "tsv", "xml", "markdown", "md", "diff", "console-output",
    }
)  # fmt: skip
"""Block languages that hold data or output rather than a program in another language."""

_MARKDOWN = frozenset({"markdown", "md"})


@dataclass(frozen=True)
class CodeBlock:
    """A fenced block of a reply."""

    language: str
    """Normalised language: ``"python"`` (also for python-looking bare blocks), ``""`` for a
    bare block that is not Python, else the info string's first word (``"bash"``)."""
    code: str
    """The body, dedented, without leading blank lines and trailing whitespace."""
    complete: bool
    """A closing fence (or a new opening fence with a language) ended the block."""
    start: int
    """Offset of the opening fence line in the reply."""
    end: int
    """Offset just after the closing fence (end of the reply when not complete)."""
    info: str = ""
    """The info string as written."""


@dataclass(frozen=True)
class Extraction:
    """What to run from a reply, and what was left out."""

    code: str | None
    """The program to run, or None."""
    how: str
    """How ``code`` was found (see the module docstring)."""
    blocks: tuple[CodeBlock, ...] = ()
    """Every fenced block of the reply."""
    skipped: tuple[CodeBlock, ...] = ()
    """Blocks not run: other languages, output, and python blocks not used."""
    used: tuple[CodeBlock, ...] = ()
    """The blocks ``code`` was built from, in order (indented blocks for ``"indented"``)."""
    truncated: bool = False
    """The reply ended inside a python block that does not parse: the model was cut off."""
    shell_lines: tuple[str, ...] = ()
    """Shell lines (``pip install x``, ``!ls``) removed from python blocks."""
    notes: tuple[str, ...] = field(default=())
    """Plain-language remarks on what was done (joined, skipped, converted, removed)."""

    def other_languages(self) -> list[str]:
        """Languages of skipped blocks that hold a program in another language (``bash``),
        each once, in reply order; not output or data blocks (``text``, ``json``, bare)."""
        seen: list[str] = []
        for block in self.skipped:
            lang = block.language
            if lang != "python" and lang not in NOT_PROGRAMS and lang not in seen:
                seen.append(lang)
        return seen


# ------------------------------------------------------------------------------ fences

_OPENER = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_CLOSER = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*$")
_LANG_WORD = re.compile(r"[A-Za-z0-9_+#.\-]*")


def _language(info: str) -> str:
    s = info.strip().lstrip("{").strip().lstrip(".")
    word = _LANG_WORD.match(s)
    lang = (word.group(0) if word else "").rstrip(".").lower()
    if lang.startswith("language-"):
        lang = lang[len("language-") :]
    return "python" if lang in PYTHON_ALIASES else lang


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) per line; content without the line end (LF or CRLF)."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        content = raw[:-1] if raw.endswith("\r") else raw
        out.append((pos, pos + len(content), content))
        pos += len(raw) + 1
    return out


def _opener(line: str) -> tuple[str, int, str] | None:
    """(fence char, fence length, info) when the line opens a fence."""
    m = _OPENER.match(line)
    if not m:
        return None
    fence, info = m.group("fence"), m.group("info")
    if fence[0] == "`" and "`" in info:
        return None  # ```inline code``` on one line
    return fence[0], len(fence), info.strip()


def _closes(line: str, char: str, length: int) -> bool:
    m = _CLOSER.match(line)
    if m is None:
        return False
    fence = m.group("fence")
    return fence[0] == char and len(fence) >= length


def _body(lines: list[str]) -> str:
    body = textwrap.dedent("\n".join(lines))
    return body.lstrip("\n").rstrip()


_STRONG_PY = re.compile(
    r"^[ \t]*(?:(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(|class[ \t]+\w+[ \t]*[(:]|import[ \t]+\w"
    r"|from[ \t]+[\w.]+[ \t]+import[ \t]|print[ \t]*\(|>>>)",
    re.M,
)


def _does_something(tree: ast.Module) -> bool:
    """Calls, defines, imports, loops or branches: more than values and assignments."""
    compound = (
        ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom,
        ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
        ast.Match, ast.Raise, ast.Assert, ast.Delete,
    )  # fmt: skip
    return any(isinstance(node, (ast.Call, *compound)) for node in ast.walk(tree))


def _bare_language(body: str) -> str:
    if not body.strip():
        return ""
    tree = parse_module(body)
    if tree is not None:
        return "python" if _does_something(tree) else ""
    return "python" if _STRONG_PY.search(body) else ""


def _fence_kind(line: str, char: str, length: int, lang: str) -> str | None:
    """``"close"`` for a closing fence of the block, ``"open"`` for a fence with a
    language that ends it implicitly, else None."""
    if _closes(line, char, length):
        return "close"
    again = _opener(line)
    if (
        again is not None
        and again[0] == char
        and again[1] >= length
        and _language(again[2])
        and lang not in _MARKDOWN
    ):
        return "open"
    return None


_MAX_LATER_FENCES = 12
"""How many later fences a block cut inside a string is tried up to (each try parses)."""


def _in_open_string(code: str) -> bool:
    """The code fails to parse because a triple-quoted string is not closed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, "<block>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as e:
        return "triple-quoted" in str(e.msg)
    except Exception:  # ValueError (NUL), RecursionError, MemoryError
        return False
    return False


def _later_fence(
    lines: list[tuple[int, int, str]], i: int, j: int, char: str, length: int, lang: str
) -> tuple[int, str | None] | None:
    """The first later fence line (at most ``_MAX_LATER_FENCES``, then the end of the
    reply) where the body of the block opened on line ``i`` parses, with its kind (None
    for the end of the reply); None when there is none."""
    tries = 0
    n = len(lines)
    for k in range(j + 1, n + 1):
        kind = _fence_kind(lines[k][2], char, length, lang) if k < n else None
        if k < n and kind is None:
            continue
        tries += 1
        if tries > _MAX_LATER_FENCES:
            return None
        body = _body([line for _, _, line in lines[i + 1 : k]])
        if parse_module(body) is not None:
            return k, kind
    return None


def find_blocks(text: str) -> list[CodeBlock]:
    """The fenced code blocks of a Markdown reply, in order (see the module docstring)."""
    try:
        return _find_blocks(text)
    except Exception:  # never raise on model output
        return []


def _find_blocks(text: str) -> list[CodeBlock]:
    lines = _lines(text)
    blocks: list[CodeBlock] = []
    i, n = 0, len(lines)
    while i < n:
        opened = _opener(lines[i][2])
        if opened is None:
            i += 1
            continue
        char, length, info = opened
        lang = _language(info)
        body: list[str] = []
        j = i + 1
        complete = False
        next_i = n
        end = len(text)
        while j < n:
            kind = _fence_kind(lines[j][2], char, length, lang)
            if kind is None:
                body.append(lines[j][2])
                j += 1
                continue
            if lang in ("python", "") and _in_open_string(_body(body)):
                # The fence line may be inside a triple-quoted string (a Markdown sample
                # in a help text): go on to a later fence when that gives code that parses.
                later = _later_fence(lines, i, j, char, length, lang)
                if later is not None:
                    j, kind = later
                    body = [line for _, _, line in lines[i + 1 : j]]
                    if kind is None:  # the end of the reply: cut off after the string
                        break
            if kind == "close":
                complete, end, next_i = True, lines[j][1], j + 1
            else:
                # A new fence with a language: the model forgot to close this block, or
                # closed it with an info string when nothing follows.
                complete, next_i, end = True, j, lines[j - 1][1]
                if not any(rest[2].strip() for rest in lines[j + 1 :]):
                    next_i, end = n, lines[j][1]
            break
        code = _body(body)
        if not info:
            lang = _bare_language(code)
        blocks.append(CodeBlock(lang, code, complete, lines[i][0], end, info))
        i = next_i
    return blocks


def outside_blocks(text: str) -> str:
    """``text`` without its fenced blocks (a fence never closed takes the rest of the text
    with it: a reply cut off in a block was writing code, not words)."""
    pieces, pos = [], 0
    for block in find_blocks(text):
        pieces.append(text[pos:block.start])
        pos = block.end
    pieces.append(text[pos:])
    return "\n".join(pieces)


# ------------------------------------------------------------------------ preparation

_SHELL_LINE = re.compile(
    r"""^[ \t]*(?:
        [!%][A-Za-z]                                  # !pip ..., %pip ..., %matplotlib
      | \$[ \t]+\S                                    # $ command
      | (?:sudo[ \t]+)?(?:pip3?|python3?[ \t]+-m[ \t]+pip|py[ \t]+-m[ \t]+pip|conda|mamba
          |uv[ \t]+pip|apt(?:-get)?|brew|npm|yarn)[ \t]+(?:install|uninstall|add)\b
      | python3?[ \t]+(?:-\w+[ \t]+)*[\w./\\-]+\.py\b  # python script.py
    )""",
    re.X,
)
_OUTPUT_INTRO = re.compile(
    r"\b(?:outputs?|print(?:s|ed)?|results?|display(?:s|ed)?|shows?|expected|console)\b"
    r"[^:\n]*:$",
    re.I,
)
_PRINTLIKE = frozenset({"print", "pprint", "display", "pp"})


def _is_prompt(stripped: str) -> bool:
    return stripped == ">>>" or stripped.startswith(">>> ")


def _has_session(code: str) -> bool:
    return any(_is_prompt(line.lstrip()) for line in code.split("\n"))


def _session_to_code(code: str, procs: set[str], modules: set[str]) -> str:
    """A ``>>>`` session as a script; bare expressions at prompts are printed."""
    out: list[str] = []
    prompts: set[int] = set()
    seen = False
    for line in code.split("\n"):
        s = line.lstrip()
        if _is_prompt(s):
            seen = True
            prompts.add(len(out) + 1)
            out.append(s[4:])
        elif seen and (s == "..." or s.startswith("... ")):
            out.append(s[4:])
        elif not seen:
            out.append(line)
        elif not s:
            out.append("")
        # else: output of the session, dropped
    script = "\n".join(out)
    tree = parse_module(script)
    if tree is None:
        return script.strip("\n")
    modules = modules | {
        name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in _bound_by_import(node)
    }
    procs = procs | procedures(script)
    starts = [stmt.lineno for stmt in tree.body]
    for stmt in reversed(tree.body):
        if not (
            isinstance(stmt, ast.Expr)
            and stmt.lineno in prompts
            and stmt.col_offset == 0
            and stmt.end_lineno is not None
            and stmt.end_col_offset is not None
            and starts.count(stmt.lineno) == 1
            and _worth_printing(stmt.value, procs, modules)
        ):
            continue
        first, last = stmt.lineno - 1, stmt.end_lineno - 1
        raw = out[last].encode("utf-8")
        cut = stmt.end_col_offset
        out[last] = (raw[:cut] + b")" + raw[cut:]).decode("utf-8", "replace")
        out[first] = "print(" + out[first]
    return "\n".join(out).strip("\n")


def _bound_by_import(node: ast.Import | ast.ImportFrom) -> list[str]:
    names = []
    for alias in node.names:
        if alias.name != "*":
            names.append(alias.asname or alias.name.split(".")[0])
    return names


def _worth_printing(value: ast.expr, procs: set[str], modules: set[str]) -> bool:
    if isinstance(value, ast.Constant) and value.value is Ellipsis:
        return False
    if not isinstance(value, ast.Call):
        return True
    func = value.func
    if isinstance(func, ast.Name):
        return func.id not in _PRINTLIKE and func.id not in procs
    if isinstance(func, ast.Attribute):
        base = func.value
        while isinstance(base, ast.Attribute):
            base = base.value
        return (
            isinstance(base, ast.Name)
            and base.id in modules
            and func.attr not in _PRINTLIKE
            and func.attr not in ("show", "savefig", "write", "writelines")
        )
    return True


def _strip_shell(code: str) -> tuple[str, list[str]]:
    kept: list[str] = []
    removed: list[str] = []
    for line in code.split("\n"):
        if _SHELL_LINE.match(line):
            removed.append(line.strip())
        else:
            kept.append(line)
    return textwrap.dedent("\n".join(kept)).strip("\n").rstrip(), removed


@dataclass
class _Candidate:
    block: CodeBlock
    code: str
    salvaged: bool = False
    defined: set[str] = field(default_factory=set)
    free: set[str] = field(default_factory=set)

    def analyse(self) -> None:
        self.defined = defined_names(self.code)
        self.free = free_names(self.code)


@dataclass
class _State:
    notes: list[str] = field(default_factory=list)
    shell: list[str] = field(default_factory=list)
    cands: list[_Candidate] = field(default_factory=list)
    truncated: bool = False

    def earlier_defined(self) -> set[str]:
        names: set[str] = set()
        for c in self.cands:
            names |= c.defined
        return names

    def earlier_procs_and_modules(self) -> tuple[set[str], set[str]]:
        procs: set[str] = set()
        modules: set[str] = set()
        for c in self.cands:
            procs |= procedures(c.code)
            tree = parse_module(c.code)
            if tree is not None:
                for node in tree.body:
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        modules.update(_bound_by_import(node))
        return procs, modules


def _prepare(code: str, state: _State, label: str) -> str:
    # Code that parses is not a session: its ">>>" lines are inside strings (doctests).
    if _has_session(code) and parse_module(code) is None:
        procs, modules = state.earlier_procs_and_modules()
        code = _session_to_code(code, procs, modules)
        state.notes.append(f"{label}: converted a >>> session to a script")
    if parse_module(code) is None:
        stripped, removed = _strip_shell(code)
        if removed:
            state.shell.extend(removed)
            state.notes.append(f"{label}: removed shell lines: " + "; ".join(removed))
            code = stripped
    return code


def _is_output(code: str, intro: str, earlier: set[str]) -> bool:
    tree = parse_module(code)
    if tree is None:
        return not looks_like_python(code)
    if _does_something(tree):
        return False
    if _OUTPUT_INTRO.search(intro):
        return True
    if is_code_like(tree):
        return False
    names = used_names(code)
    return not names or not names <= earlier


def _intro(text: str, start: int, prev_end: int) -> str:
    """The last non-blank prose line before a block, without Markdown emphasis."""
    for line in reversed(text[prev_end:start].splitlines()):
        s = line.strip().strip("*_#> \t").strip()
        if s:
            return s
    return ""


def _top_level_runs(tree: ast.Module) -> bool:
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    return any(
        isinstance(node, ast.Call)
        for stmt in tree.body
        if not isinstance(stmt, defs)
        for node in ast.walk(stmt)
    )


def _salvage(code: str) -> tuple[str, int] | None:
    """The longest prefix ending before a top-level statement that parses and is usable,
    with the number of lines dropped."""
    lines = code.split("\n")
    cuts = [
        i
        for i, line in enumerate(lines)
        if i > 0 and line[:1] not in ("", " ", "\t", ")", "]", "}", "#")
    ]
    for i in reversed(cuts[-200:]):
        prefix = "\n".join(lines[:i]).rstrip()
        tree = parse_module(prefix)
        if tree is None:
            continue
        if is_code_like(tree) and _top_level_runs(tree) and prints_something(prefix):
            return prefix, len(lines) - i
        return None  # the longest prefix that parses does not run anything useful
    return None


# ------------------------------------------------------------------------- selection

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


def _drop_statements(code: str, drop: Callable[[ast.stmt], bool]) -> tuple[str, list[str]]:
    """Remove top-level statements (whole lines only) for which ``drop`` is true."""
    tree = parse_module(code)
    if tree is None:
        return code, []
    lines = code.split("\n")
    starts = [stmt.lineno for stmt in tree.body]
    ends = [stmt.end_lineno or stmt.lineno for stmt in tree.body]
    removed: list[str] = []
    for k in reversed(range(len(tree.body))):
        stmt = tree.body[k]
        if stmt.col_offset != 0 or not drop(stmt):
            continue
        first, last = starts[k], ends[k]
        if (k > 0 and ends[k - 1] >= first) or (k + 1 < len(starts) and starts[k + 1] <= last):
            continue  # shares a line with another statement (a; b)
        removed.insert(0, "\n".join(lines[first - 1 : last]).strip())
        del lines[first - 1 : last]
    return "\n".join(lines).strip("\n"), removed


def _drop_local_imports(cand: _Candidate, earlier: set[str], state: _State, label: str) -> None:
    """``from mymodule import f`` where an earlier block defines ``f``: the earlier block
    is that module; remove the import so the blocks can be joined."""
    if not earlier:
        return

    def local(stmt: ast.stmt) -> bool:
        if not isinstance(stmt, ast.ImportFrom) or not stmt.module:
            return False
        if stmt.level == 0 and stmt.module.split(".")[0] in _STDLIB:
            return False
        return all(a.name in earlier and a.asname in (None, a.name) for a in stmt.names)

    code, removed = _drop_statements(cand.code, local)
    if removed:
        cand.code = code
        state.notes.append(
            f"{label}: removed " + "; ".join(removed) + " (defined in an earlier block)"
        )


def _top_level_calls(code: str) -> set[str]:
    """``ast.dump`` of the bare expression statements a block runs at top level, also
    under ``if __name__ == "__main__":``."""
    tree = parse_module(code)
    if tree is None:
        return set()
    out: set[str] = set()
    stmts: list[ast.stmt] = list(tree.body)
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and "__main__" in ast.dump(stmt.test):
            stmts.extend(stmt.body)
    for stmt in stmts:
        if isinstance(stmt, ast.Expr):
            out.add(ast.dump(stmt))
    return out


def _repeats(seen: set[str]) -> Callable[[ast.stmt], bool]:
    def check(stmt: ast.stmt) -> bool:
        return isinstance(stmt, ast.Expr) and ast.dump(stmt) in seen

    return check


def _select(cands: list[_Candidate], state: _State) -> tuple[list[_Candidate], str]:
    target = cands[-1]
    chosen = [target]
    needed = set(target.free)
    for cand in reversed(cands[:-1]):
        if needed & cand.defined:
            chosen.insert(0, cand)
            needed = (needed - cand.defined) | cand.free
    if len(chosen) > 1:
        kept = [chosen[0]]
        for cand in chosen[1:]:
            seen: set[str] = set()
            for earlier in kept:
                seen |= _top_level_calls(earlier.code)
            code, removed = _drop_statements(cand.code, _repeats(seen))
            if removed:
                state.notes.append(
                    "dropped what an earlier block already runs: " + "; ".join(removed)
                )
            tree = parse_module(code)
            if tree is not None and not tree.body:
                continue
            kept.append(_Candidate(cand.block, code, cand.salvaged))
        chosen = kept
    if any(c.salvaged for c in chosen):
        how = "salvaged"
    elif len(chosen) > 1:
        how = "joined"
    elif chosen[0].block is target.block:
        how = "single" if len(cands) == 1 else "last"
    else:
        how = "earlier"
    if len(chosen) > 1:
        state.notes.append(f"joined {len(chosen)} python blocks")
    return chosen, how


# ------------------------------------------------------------------------------- main


def extract_program(text: str) -> Extraction:
    """The program to run from a model reply (see the module docstring for the rules)."""
    try:
        return _extract(text)
    except Exception as e:  # never raise on model output
        return Extraction(None, "none", notes=(f"extraction failed: {type(e).__name__}",))


def _extract(text: str) -> Extraction:
    if not isinstance(text, str):
        return Extraction(None, "none")
    blocks = _find_blocks(text)
    if not blocks:
        return _unfenced(text)
    state = _State()
    skipped: list[CodeBlock] = []
    prev_end = 0
    for number, block in enumerate(blocks, 1):
        intro = _intro(text, block.start, prev_end)
        prev_end = block.end
        if block.language != "python":
            skipped.append(block)
            continue
        label = f"block {number}"
        code = _prepare(block.code, state, label)
        if not code.strip():
            skipped.append(block)
            if block.complete:
                state.notes.append(f"{label}: nothing to run")
            else:
                state.truncated = True
                state.notes.append(f"{label}: cut off before any code")
            continue
        salvaged = False
        if not block.complete and parse_module(code) is None:
            state.truncated = True
            saved = _salvage(code)
            if saved is None:
                skipped.append(block)
                state.notes.append(f"{label}: cut off (no closing fence) and does not parse")
                continue
            code, dropped = saved
            salvaged = True
            state.notes.append(f"{label}: cut off; dropped its last {dropped} line(s)")
        earlier = state.earlier_defined()
        if not salvaged and _is_output(code, intro, earlier):
            skipped.append(block)
            state.notes.append(f"{label}: looks like output, not run")
            continue
        cand = _Candidate(block, code, salvaged)
        _drop_local_imports(cand, earlier, state, label)
        cand.analyse()
        state.cands.append(cand)
    if not state.cands:
        how = "unterminated" if state.truncated else "none"
        return Extraction(
            None,
            how,
            tuple(blocks),
            tuple(skipped),
            truncated=state.truncated,
            shell_lines=tuple(state.shell),
            notes=tuple(state.notes),
        )
    chosen, how = _select(state.cands, state)
    used_ids = {id(c.block) for c in chosen}
    code = "\n\n".join(c.code for c in chosen)
    return Extraction(
        code,
        how,
        tuple(blocks),
        tuple(b for b in blocks if id(b) not in used_ids),
        tuple(c.block for c in chosen),
        truncated=state.truncated,
        shell_lines=tuple(state.shell),
        notes=tuple(state.notes),
    )


def _unfenced(text: str) -> Extraction:
    src = text.replace("\r\n", "\n")
    whole = textwrap.dedent(src).strip()
    state = _State()
    if whole:
        code = _prepare(whole, state, "reply") if _has_session(whole) else whole
        tree = parse_module(code)
        if tree is not None and is_code_like(tree):
            block = CodeBlock("python", code, True, 0, len(text))
            return Extraction(code, "unfenced", used=(block,), notes=tuple(state.notes))
    cands: list[_Candidate] = []
    for start, end, body in _indented_chunks(text):
        tree = parse_module(body)
        if tree is None or not is_code_like(tree) or not _does_something(tree):
            continue
        cand = _Candidate(CodeBlock("python", body, True, start, end), body)
        cand.analyse()
        cands.append(cand)
    if not cands:
        return Extraction(None, "none")
    chosen, _ = _select(cands, state)
    return Extraction(
        "\n\n".join(c.code for c in chosen),
        "indented",
        used=tuple(c.block for c in chosen),
        notes=tuple(state.notes),
    )


def _indented_chunks(text: str) -> list[tuple[int, int, str]]:
    """Markdown indented code blocks: lines indented by 4 spaces or a tab, after a blank
    line (or at the start)."""
    lines = _lines(text)
    chunks: list[tuple[int, int, str]] = []
    i, n = 0, len(lines)

    def indented(s: str) -> bool:
        return s.startswith(("    ", "\t")) and bool(s.strip())

    while i < n:
        if indented(lines[i][2]) and (i == 0 or not lines[i - 1][2].strip()):
            j = i
            while j < n and (indented(lines[j][2]) or not lines[j][2].strip()):
                j += 1
            while j > i and not lines[j - 1][2].strip():
                j -= 1
            body = _body([line for _, _, line in lines[i:j]])
            chunks.append((lines[i][0], lines[j - 1][1], body))
            i = j
        else:
            i += 1
    return chunks
