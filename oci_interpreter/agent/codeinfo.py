"""Static facts about a Python program, for the refine loop. Standard library only.

Nothing here runs the program. Every function takes source text and never raises: code
that does not parse gets a text (regular expression) answer where one makes sense.

- :func:`normalize` gives a canonical form, to notice the model repeating a program it has
  already run: the ``ast.dump`` of the module with docstrings removed, so comments, blank
  lines, docstrings, quote style and spacing do not count, while any changed constant or
  name does. Code that does not parse is compared as text with comments removed and
  whitespace collapsed.
- :func:`input_call` / :func:`reads_input`: whether the program waits for a user who is not
  there: ``input()``, ``sys.stdin.read()/readline()/readlines()`` (also through
  ``sys.stdin.buffer``), ``sys.stdin`` used as an object (``for line in sys.stdin``,
  ``list(sys.stdin)``), ``fileinput.input()``, ``getpass.getpass()``, ``open(0)`` and
  ``open('/dev/stdin')``, import aliases included (``from sys import stdin``). A module that
  defines its own ``input`` is not counted for ``input()``; one that assigns ``sys.stdin``
  feeds itself and is not counted at all. Words in strings and comments do not count.
- :func:`call_name`, :func:`real_body`, :func:`is_stub`, :func:`is_literal`: the small
  readings of a parsed program that the repair checks (``verify``, ``invented``,
  ``answers``) share: a call's dotted name, a body without its docstring, a body that
  does nothing, a value written out rather than computed.
- :func:`syntax_error`: ``compile()`` the program (which also catches ``return`` outside a
  function and the like) and describe the error in one line.
- :func:`defined_names`, :func:`used_names`, :func:`bound_names`, :func:`free_names`: name
  facts used to join several code blocks of one reply (see ``extract``).
- :func:`prints_something`: whether the program can produce output at all, for the "you
  printed nothing" hint. Yes when it mentions ``print`` or ``pprint``, writes to
  ``sys.stdout``/``sys.stderr``, calls ``display()``, ``os.system()`` or
  ``subprocess.run/call/check_call`` (a child writes to the same output), or its last
  top-level statement is a bare expression other than a string (the kernel shows the value
  of a cell's last expression, as Jupyter does). Static and generous: a ``print`` in a
  function that is never called counts.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import re
import textwrap
import tokenize
import warnings
from collections.abc import Iterator

__all__ = [
    "bound_names",
    "defined_names",
    "free_names",
    "input_call",
    "is_code_like",
    "looks_like_python",
    "normalize",
    "parse_module",
    "prints_something",
    "procedures",
    "reads_input",
    "syntax_error",
    "used_names",
]

BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins)) | {
    "__file__",
    "__builtins__",
    "__annotations__",
    "__cached__",
}
"""Names a script can use without defining them."""

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def parse_module(code: str) -> ast.Module | None:
    """``ast.parse(code)``, or None when it does not parse (never raises, no warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(code)
        except Exception:  # SyntaxError, ValueError (NUL), RecursionError, MemoryError
            return None


def call_name(node: ast.AST) -> str:
    """The dotted name a call (or an attribute chain) uses: ``os.path.join``; '' for others."""
    if isinstance(node, ast.Call):
        node = node.func
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def real_body(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a body without its docstring."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def is_stub(body: list[ast.stmt]) -> bool:
    """``pass``, ``...``, ``return None`` or ``return <constant>`` (and nothing else)."""
    real = real_body(body)
    if len(real) != 1:
        return not real
    node = real[0]
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    return isinstance(node, ast.Return) and (node.value is None or is_literal(node.value))


def is_literal(node: ast.expr) -> bool:
    """A value written out (``0``, ``""``, ``[]``, ``{}``, ``None``), not computed."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


# ---------------------------------------------------------------------------- syntax


def syntax_error(code: str) -> str | None:
    """A one-line description of the program's syntax error, or None when it compiles.

    ``"SyntaxError: invalid syntax (line 3)"``, ``"IndentationError: unexpected indent
    (line 2)"``, ``"SyntaxError: 'return' outside function (line 1)"``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code, "<program>", "exec", dont_inherit=True)
        except SyntaxError as e:
            msg = (e.msg or "invalid syntax").strip()
            where = f" (line {e.lineno})" if e.lineno else ""
            return f"{type(e).__name__}: {msg}{where}"
        except (ValueError, RecursionError, MemoryError, OverflowError) as e:
            detail = str(e).strip() or type(e).__name__
            return f"SyntaxError: {detail}"
        except Exception as e:  # anything else compile() might raise: still an answer
            return f"SyntaxError: {type(e).__name__}: {e}"
    return None


# ------------------------------------------------------------------------- normalize


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                del body[0]
        elif isinstance(node, ast.Constant):
            node.kind = None  # u"x" and "x" are the same program


def _strip_comments(code: str) -> str:
    """Comments removed with the tokenizer, or a line-based guess when it gives up."""
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                continue
            out.append(tok.string if tok.type != tokenize.NL else "\n")
            if tok.type == tokenize.NEWLINE:
                continue
            out.append(" ")
        return "".join(out)
    except Exception:  # TokenError, IndentationError: unfinished code
        return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in code.splitlines())


def normalize(code: str) -> str:
    """Canonical form of a program, equal for programs that differ only in layout.

    Comments, blank lines, docstrings, quote style, spacing and a common indentation do
    not count; a changed constant, name or statement does.
    """
    src = textwrap.dedent(code.replace("\r\n", "\n")).strip()
    tree = parse_module(src)
    if tree is not None:
        try:
            _strip_docstrings(tree)
            return ast.dump(tree)
        except Exception:  # RecursionError on absurdly deep code
            pass
    text = _strip_comments(src)
    return "text:" + " ".join(text.split())


# ----------------------------------------------------------------------------- names


def _import_names(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    for alias in node.names:
        if alias.name == "*":
            continue
        if alias.asname:
            yield alias.asname
        elif isinstance(node, ast.Import):
            yield alias.name.split(".")[0]
        else:
            yield alias.name


def _other_binding(node: ast.AST) -> str | None:
    """The name an ``except ... as``, a ``match`` capture or a ``**rest`` pattern binds."""
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return node.name
    if isinstance(node, ast.MatchMapping):
        return node.rest
    return None


def _scope_walk(nodes: list[ast.stmt]) -> Iterator[ast.AST]:
    """Nodes that run in module scope: no descent into function, class or lambda bodies."""
    stack: list[ast.AST] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


_DEF_RE = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)
_ASSIGN_RE = re.compile(r"^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=\n]*)?=(?!=)", re.M)
_IMPORT_RE = re.compile(r"^(?:from\s+[\w.]+\s+)?import\s+([^\n#]+)", re.M)
_WORD_RE = re.compile(r"[A-Za-z_]\w*")


def _strip_strings_and_comments(code: str) -> str:
    code = re.sub(r"(?s)(\"\"\"|''').*?(\1|$)", '""', code)
    code = re.sub(r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", '""', code)
    return re.sub(r"#[^\n]*", "", code)


def _regex_defined(code: str) -> set[str]:
    code = _strip_strings_and_comments(code)
    names = set(_DEF_RE.findall(code))
    for group in _ASSIGN_RE.findall(code):
        names.update(n.strip() for n in group.split(","))
    for group in _IMPORT_RE.findall(code):
        for part in group.strip("() ").split(","):
            words = part.split()
            if len(words) == 3 and words[1] == "as":
                names.add(words[2])
            elif words:
                names.add(words[0].split(".")[0])
    return {n for n in names if n.isidentifier() and not keyword.iskeyword(n)}


def defined_names(code: str) -> set[str]:
    """Names the program binds at module level.

    Functions, classes, assignment and ``for``/``with``/``except`` targets, walrus targets
    and imports, including those inside top-level ``if``/``for``/``try``/``with`` blocks,
    but not a function's locals. Regular-expression guess when the code does not parse.
    """
    tree = parse_module(code)
    if tree is None:
        return _regex_defined(code)
    names: set[str] = set()
    loop_vars: set[int] = set()  # [k for k in ...]: k is local to the comprehension
    for node in _scope_walk(tree.body):
        if isinstance(node, ast.comprehension):
            loop_vars.update(id(n) for n in ast.walk(node.target))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(_import_names(node))
        elif (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Store)
            and id(node) not in loop_vars
        ):
            names.add(node.id)
        elif (other := _other_binding(node)) is not None:
            names.add(other)
    return names


def used_names(code: str) -> set[str]:
    """Names the program reads anywhere (``ast.Name`` loads), function bodies included.

    For ``a.b.c`` that is ``a``. Identifiers outside strings and comments, less keywords,
    when the code does not parse.
    """
    tree = parse_module(code)
    if tree is None:
        text = _strip_strings_and_comments(code)
        return {
            w
            for w in _WORD_RE.findall(text)
            if not keyword.iskeyword(w) and not re.match(r"\d", w)
        }
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def bound_names(code: str) -> set[str]:
    """Every name the program binds anywhere: module level, locals, parameters, loops."""
    tree = parse_module(code)
    if tree is None:
        text = _strip_strings_and_comments(code)
        names = _regex_defined(code)
        names.update(re.findall(r"\bfor\s+([A-Za-z_]\w*)", text))
        for params in re.findall(r"\bdef\s+\w+\s*\(([^)]*)", text):
            names.update(_WORD_RE.findall(re.sub(r"=[^,]*", "", params)))
        names.update(re.findall(r"\b([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)", text))
        return names
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(_import_names(node))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif (other := _other_binding(node)) is not None:
            names.add(other)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def free_names(code: str) -> set[str]:
    """Names the program reads but never binds and that are not builtins.

    A block of a reply with free names needs an earlier block that defines them.
    """
    return used_names(code) - bound_names(code) - BUILTIN_NAMES


def procedures(code: str) -> set[str]:
    """Top-level functions that never return a value (``return`` without one, no ``yield``).

    ``print(f())`` of such a function would print ``None``.
    """
    tree = parse_module(code)
    if tree is None:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        gives_value = any(
            (isinstance(sub, ast.Return) and sub.value is not None)
            or isinstance(sub, (ast.Yield, ast.YieldFrom))
            for sub in _scope_walk(node.body)
        )
        if not gives_value:
            names.add(node.name)
    return names


# ------------------------------------------------------------------------ code or text

_PY_LINE = re.compile(
    r"""^[ \t]*(?:
        (?:async[ \t]+)?def[ \t]+\w+[ \t]*\(
      | class[ \t]+\w+[ \t]*[(:]
      | import[ \t]+\w
      | from[ \t]+[\w.]+[ \t]+import[ \t]
      | print[ \t]*\(
      | print[ \t]+["']
      | (?:for|while|if|elif|with)[ \t].*:[ \t]*(?:\#.*)?$
      | (?:else|try|finally)[ \t]*:
      | except\b.*:
      | return\b
      | @\w[\w.]*
      | >>>[ \t]
      | [A-Za-z_][\w.]*(?:\[[^\]\n]*\])?[ \t]*(?:[-+*/%|&^]|//|\*\*)?=(?!=)[ \t]*\S
    )""",
    re.M | re.X,
)


def looks_like_python(text: str) -> bool:
    """Whether text that may not parse reads as Python rather than prose or output.

    At least one line starts like Python: ``def``/``class``/``import``/``from .. import``,
    ``print(`` or ``print "``, a compound statement header ending in ``:``, ``return``, a
    decorator, an assignment, or a ``>>>`` prompt.
    """
    return bool(_PY_LINE.search(text))


def is_code_like(code: str | ast.Module) -> bool:
    """Whether parsed code is clearly a program rather than prose, a value or output.

    It must have a statement that is not a bare expression, or a bare expression that
    calls something (``print(x)``). ``Hello``, ``not sure``, ``42``, ``[1, 2, 3]`` and
    ``"text"`` all parse, and are not code.
    """
    tree = code if isinstance(code, ast.Module) else parse_module(code)
    if tree is None:
        return False
    for stmt in tree.body:
        if not isinstance(stmt, ast.Expr):
            return True
        for node in ast.walk(stmt.value):
            if isinstance(node, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
                return True
    return False


# ---------------------------------------------------------------------------- aliases


class _Aliases:
    """Resolves local names to dotted module paths (``np`` -> ``numpy``, ``stdin`` ->
    ``sys.stdin``) from the program's imports, wherever they are."""

    def __init__(self, tree: ast.Module) -> None:
        self.map: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.map[a.asname] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        self.map[a.asname or a.name] = f"{node.module}.{a.name}"

    def dotted(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.map.get(node.id, node.id))
        return ".".join(reversed(parts))


# ------------------------------------------------------------------------------ input

_INPUT_CALLS = {
    "input": "input()",
    "builtins.input": "input()",
    "fileinput.input": "fileinput.input()",
    "getpass.getpass": "getpass.getpass()",
}
_STDIN = ("sys.stdin", "sys.__stdin__", "sys.stdin.buffer", "sys.__stdin__.buffer")
_READS = ("read", "readline", "readlines", "read1", "readinto")
_INPUT_RE = [
    (re.compile(r"(?<![\w.])input\s*\("), "input()"),
    (re.compile(r"\bsys\.(?:__)?stdin\b(?!\s*\.\s*(?:isatty|fileno|encoding)\b)"), "sys.stdin"),
    (re.compile(r"\bfileinput\.input\s*\("), "fileinput.input()"),
    (re.compile(r"\bgetpass\s*\("), "getpass.getpass()"),
]


def _regex_input_call(code: str) -> str | None:
    text = _strip_strings_and_comments(code)
    for pattern, call in _INPUT_RE:
        if pattern.search(text):
            return call
    return None


def input_call(code: str) -> str | None:
    """How the program reads its standard input (``"input()"``, ``"sys.stdin.read()"``,
    ``"sys.stdin"`` for iteration, ...), or None when it does not."""
    tree = parse_module(code)
    if tree is None:
        return _regex_input_call(code)
    aliases = _Aliases(tree)
    defined = defined_names(code)
    attr_bases: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            attr_bases.add(id(node.value))
            if isinstance(node.ctx, ast.Store) and aliases.dotted(node) in _STDIN[:2]:
                return None  # sys.stdin = io.StringIO(...): the program feeds itself
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        where = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        if isinstance(node, ast.Call):
            name = aliases.dotted(node.func)
            if name is None:
                continue
            if name in _INPUT_CALLS and not (name == "input" and "input" in defined):
                found.append((*where, _INPUT_CALLS[name]))
            elif name.rpartition(".")[0] in _STDIN and name.rpartition(".")[2] in _READS:
                found.append((*where, f"{name}()"))
            elif name in ("open", "io.open", "builtins.open") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and first.value in (0, "/dev/stdin"):
                    found.append((*where, f"open({first.value!r})"))
            elif name == "os.read" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and first.value == 0:
                    found.append((*where, "os.read(0)"))
        elif (
            isinstance(node, (ast.Name, ast.Attribute))
            and isinstance(node.ctx, ast.Load)
            and id(node) not in attr_bases
            and aliases.dotted(node) in _STDIN
        ):
            found.append((*where, str(aliases.dotted(node))))  # for line in sys.stdin
    if not found:
        return None
    return min(found)[2]


def reads_input(code: str) -> bool:
    """Whether the program reads standard input (see :func:`input_call`)."""
    return input_call(code) is not None


# ----------------------------------------------------------------------------- output

_OUTPUT_CALLS = {
    "print",
    "pprint",
    "pprint.pprint",
    "pprint.pp",
    "display",
    "IPython.display.display",
    "os.system",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
}
_STREAMS = ("sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__")


def prints_something(code: str) -> bool:
    """Whether the program can produce output (see the module docstring for the rules)."""
    tree = parse_module(code)
    if tree is None:
        text = _strip_strings_and_comments(code)
        return bool(re.search(r"\b(?:print|pprint|display)\b|\bsys\.std(?:out|err)\b", text))
    aliases = _Aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if aliases.dotted(node) in ("print", "pprint.pprint", "pprint.pp"):
                return True  # print(...), map(print, xs)
        elif isinstance(node, ast.Call):
            name = aliases.dotted(node.func)
            if name in _OUTPUT_CALLS:
                return True
            if name and name.rpartition(".")[0] in _STREAMS:
                return True  # sys.stdout.write(...)
    if tree.body:
        last = tree.body[-1]
        if isinstance(last, ast.Expr) and not (
            isinstance(last.value, ast.Constant) and isinstance(last.value.value, str)
        ):
            return True  # the kernel shows the value of a last bare expression
    return False

