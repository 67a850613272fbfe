"""One sentence on what a common Python error means and how such errors are fixed.

Small models read ``NameError: name 'math' is not defined`` and hand back the same
program; told "``math`` is a standard-library module used without an import: add
``import math`` at the top" they fix it. The hints are about the *kind* of error (in the
spirit of Python's own "Did you mean ...?" messages), computed from the traceback and
the program's text; they never contain a program.
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
import sys

from oci_interpreter.agent import codeinfo, invented

_NAME_ERROR = re.compile(r"NameError: name '(?P<name>\w+)' is not defined")
_CONCAT = re.compile(r'TypeError: can only concatenate str \(not "(?P<t>\w+)"\) to str')
_OPERAND = re.compile(r"TypeError: unsupported operand type\(s\) for (?P<op>\S+): "
                      r"'(?P<a>\w+)' and '(?P<b>\w+)'")
_KEY_ERROR = re.compile(r"^KeyError: (?P<key>.+)$", re.MULTILINE)
_LINE = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)\n'
                   r"(?:    (?P<source>.*))?", re.MULTILINE)
_NOT_FOUND = re.compile(r"ModuleNotFoundError: No module named '(?P<name>[\w.]+)'")

# Names people use without their `from X import Y`.
FROM_IMPORTS = {
    "defaultdict": "collections", "Counter": "collections", "OrderedDict": "collections",
    "namedtuple": "collections", "deque": "collections", "Fraction": "fractions",
    "Decimal": "decimal", "date": "datetime", "datetime": "datetime",
    "timedelta": "datetime", "Path": "pathlib", "reduce": "functools",
    "lru_cache": "functools", "partial": "functools", "dataclass": "dataclasses",
    "sqrt": "math", "pi": "math", "floor": "math", "ceil": "math", "randint": "random",
    "choice": "random", "shuffle": "random", "pprint": "pprint", "sleep": "time",
    "permutations": "itertools", "combinations": "itertools", "product": "itertools",
    "chain": "itertools", "List": "typing", "Dict": "typing", "Optional": "typing",
    "Tuple": "typing", "Any": "typing", "StringIO": "io", "mean": "statistics",
    "median": "statistics", "sha256": "hashlib", "md5": "hashlib", "heappush": "heapq",
    "heappop": "heapq", "bisect_left": "bisect", "wraps": "functools",
}


STDLIB: frozenset[str] = frozenset(sys.stdlib_module_names)



def _last_frame(stderr: str) -> tuple[int, str, str] | None:
    """(line, function, source line) of the innermost frame shown."""
    frames = list(_LINE.finditer(stderr))
    if not frames:
        return None
    last = frames[-1]
    return int(last.group("line")), last.group("func"), (last.group("source") or "").strip()


THIRD_PARTY = ("numpy", "pandas", "matplotlib", "scipy", "PIL", "sklearn", "yaml", "openpyxl")
"""Third-party modules a program commonly wants; :func:`installed_modules` says which are
here. Network libraries are left out: programs run without a network by default."""


@functools.lru_cache(maxsize=4)
def installed_modules(python: str | None = None) -> tuple[str, ...]:
    """Those of :data:`THIRD_PARTY` that programs can import: with oci's own interpreter
    (``python`` None), asked in process; with another (``--python``), asked of it once
    (nothing when it cannot say in ten seconds)."""
    import importlib.util

    if python is not None:
        return _asked(python)
    found = []
    for name in THIRD_PARTY:
        try:
            if importlib.util.find_spec(name) is not None:
                found.append(name)
        except (ImportError, ValueError):
            continue
    return tuple(found)


def _asked(python: str) -> tuple[str, ...]:
    import json
    import subprocess

    probe = ("import importlib.util, json\nfound = []\nfor m in " + repr(THIRD_PARTY) + ":\n"
             "    try:\n        found += [m] if importlib.util.find_spec(m) else []\n"
             "    except Exception:\n        pass\nprint(json.dumps(found))")
    try:
        proc = subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True,
                              timeout=10, stdin=subprocess.DEVNULL, check=False)
        names = json.loads(proc.stdout or "[]")
    except (OSError, ValueError, subprocess.SubprocessError):
        return ()
    return tuple(n for n in THIRD_PARTY if n in names)


def installed_phrase() -> str:
    """``installed: the standard library, numpy, pandas, matplotlib``."""
    return "installed: the standard library" + "".join(f", {m}" for m in installed_modules())


_HOMES = ("heapq", "itertools", "functools", "collections", "math", "statistics", "bisect",
          "operator", "string", "textwrap", "datetime", "random", "copy", "shutil", "pathlib",
          "dataclasses", "fractions", "decimal", "json", "csv", "re", "os", "sys", "time",
          "typing", "pprint", "glob", "fnmatch", "difflib", "hashlib", "base64", "struct",
          "io", "tempfile", "subprocess", "contextlib", "enum", "uuid", "calendar")
"""Where a function used without its import is looked for (in this order)."""
_GENERIC = {"main", "run", "test", "open", "load", "dump", "parse", "copy", "compile",
            "search", "match", "split", "join", "time", "sleep", "choice", "sample"}
"""Names too common to be taken for one module's function."""


def _means_module(name: str, code: str) -> bool:
    """``name`` is both a module and a name in it (``datetime``, ``pprint``): the code
    means the module when it reads a class of the module, or a name the module has and
    its namesake lacks, from it (``datetime.date(2024, 5, 10)``, ``pprint.pprint(x)``);
    ``datetime.now()`` means the class."""
    import importlib

    tree = codeinfo.parse_module(code)
    if tree is None:
        return False
    read = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == name}
    try:
        module = importlib.import_module(name)
    except ImportError:
        return False
    inner = getattr(module, name, None)
    return any(isinstance(getattr(module, attr, None), type)
               or (hasattr(module, attr) and not hasattr(inner, attr)) for attr in read)


@functools.lru_cache(maxsize=256)
def _stdlib_home(name: str) -> tuple[str, str] | None:
    """``(module, attribute)`` of a public standard-library name ``name`` stands for: the
    name itself (``nlargest``) or without the leading underscores of a private alias
    (``_nlargest``, as ``from heapq import nlargest as _nlargest``); None otherwise."""
    import importlib

    attr = name.lstrip("_")
    if not attr or not attr.isidentifier() or len(attr) < 4:
        return None
    for module in _HOMES:
        try:
            found = importlib.import_module(module)
        except ImportError:
            continue
        public = getattr(found, "__all__", None)
        if public is not None:
            if attr in public:
                return module, attr
            continue
        value = getattr(found, attr, None)
        if callable(value) and getattr(value, "__module__", "").lstrip("_") in (
                module, f"{module}module"):  # math.sqrt's __module__ is "math"
            return module, attr
    return None


def hint(stderr: str, code: str) -> str | None:
    """A one-sentence hint for the error at the end of ``stderr``, or None."""
    if not stderr:
        return None
    frame = _last_frame(stderr)
    where = f" (line {frame[0]}: `{frame[2]}`)" if frame and frame[2] else ""

    match = _NAME_ERROR.search(stderr)
    if match:
        name = match.group("name")
        if name in STDLIB and (name not in FROM_IMPORTS or _means_module(name, code)):
            return (f"`{name}` is a standard-library module that the program uses without "
                    f"importing it: add `import {name}` at the top of the program.")
        if name in FROM_IMPORTS:
            module = FROM_IMPORTS[name]
            return (f"`{name}` is used without being imported: add `from {module} import "
                    f"{name}` at the top of the program.")
        known = sorted((codeinfo.bound_names(code) | codeinfo.defined_names(code)
                        | _identifiers(code)) - {name})
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
        found = _stdlib_home(name) if name not in _GENERIC else None
        if close and (found is None or close[0] in codeinfo.defined_names(code)):
            # A standard-library function of exactly this name beats a look-alike local
            # (difflib's `_nlargest` is heapq's nlargest, not its variable `large`),
            # unless the look-alike is one of the file's own top-level names.
            return (f"`{name}` is not defined anywhere{where}; it looks like a typo for "
                    f"`{close[0]}`: use `{close[0]}`.")
        if found is not None:
            module, attr = found
            alias = f" as {name}" if attr != name else ""
            return (f"`{name}` is used{where} but never imported: it is `{attr}` from the "
                    f"standard library's `{module}`; add `from {module} import {attr}{alias}` "
                    "with the imports at the top.")
        return (f"`{name}` is used{where} but never defined: define it before this line, "
                "or use the name that was meant.")

    match = _CONCAT.search(stderr)
    if match:
        t = match.group("t")
        article = "an" if t[0] in "aeiou" else "a"
        suspects = concat_suspects(code, frame[0]) if frame else []
        if len(suspects) == 1:
            return (f"A string and {article} {t} are joined with +{where}: `{suspects[0]}` "
                    f"is {article} {t}, not a string: write `str({suspects[0]})` there.")
        if suspects:
            names = ", ".join(f"`{s}`" for s in suspects)
            return (f"A string and {article} {t} are joined with +{where}: one of {names} "
                    f"is {article} {t}, not a string: wrap it in str(...) there.")
        return (f"A string and {article} {t} are joined with +{where}: convert the "
                f"number with str(...) or use an f-string.")
    match = _OPERAND.search(stderr)
    if match and "str" in (match.group("a"), match.group("b")):
        other = match.group("b") if match.group("a") == "str" else match.group("a")
        article = "an" if other[0] in "aeiou" else "a"
        suspects = (concat_suspects(code, frame[0])
                    if frame and match.group("op") == "+" else [])
        if len(suspects) == 1:
            return (f"{article.capitalize()} {other} and a string are combined with +{where}: "
                    f"`{suspects[0]}` is {article} {other}, not a string: write "
                    f"`str({suspects[0]})` there.")
        return (f"{article.capitalize()} {other} and a string are combined with "
                f"{match.group('op')}{where}: convert one of them (str(...) or int(...)) so "
                "both have the same type.")

    advice = _attribute_hint(stderr, code, where)
    if advice:
        return advice

    if "RecursionError" in stderr:
        func = frame[1] if frame else "the function"
        return (f"`{func}` calls itself without end: it needs a base case that returns "
                "without recursing (for example `if n <= 1: return ...`) before the "
                "recursive call.")

    match = _KEY_ERROR.search(stderr)
    if match:
        key = match.group("key")
        if frame and re.search(r"\]\s*[-+*/]?=", frame[2]):
            return (f"The key {key} is not in the dict yet when it is updated{where}: start "
                    "from a default, e.g. `d[k] = d.get(k, 0) + 1`, or use "
                    "collections.defaultdict / Counter.")
        near = _near_keys(stderr, code)
        if near:
            return (f"The key {key} is not in the dict{where}; the program's dicts have "
                    f"{near}: use the key that exists (a `.get({key}, 0)` would only hide "
                    "the mistake).")
        return (f"The key {key} is not in the dict{where}: check the key, or use "
                "`d.get(key, default)`.")

    match = _NOT_FOUND.search(stderr)
    if match:
        return (f"The module `{match.group('name')}` is not installed where programs run; "
                f"{installed_phrase()}. Write the program with those: printing that a "
                "module is missing does not do the task.")
    if "ZeroDivisionError" in stderr:
        return f"A division by zero{where}: check the divisor before dividing."
    if "IndexError" in stderr:
        return f"An index past the end of a list{where}: check the length or the range."
    if "'NoneType' object" in stderr:
        return (f"A value is None{where}: a function probably returns nothing (no `return`) "
                "or a lookup found nothing.")
    return None


# ------------------------------------------------------------- str + number suspects

_STR_FUNCS = {"str", "repr", "format", "chr", "input", "hex", "oct", "bin", "ascii"}
_STR_METHODS = {"join", "upper", "lower", "title", "strip", "lstrip", "rstrip", "format",
                "replace", "capitalize", "zfill", "rjust", "ljust", "center", "casefold",
                "swapcase", "removeprefix", "removesuffix", "decode"}
_NUM_FUNCS = {"len", "sum", "int", "float", "round", "abs", "ord", "min", "max", "pow",
              "divmod", "hash", "id"}
_NUM_METHODS = {"count", "index", "find", "rfind", "bit_length"}
_ARITH = (ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def _operands(node: ast.expr) -> list[ast.expr]:
    """The operands of a chain ``a + b + c``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _operands(node.left) + _operands(node.right)
    return [node]


def _is_str(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name):
            return f.id in _STR_FUNCS
        return isinstance(f, ast.Attribute) and f.attr in _STR_METHODS
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_str(node.left)  # "%d" % n
    return False


class _Numbers:
    """Which names and functions of a program hold numbers, from their assignments."""

    def __init__(self, tree: ast.Module) -> None:
        self.values: dict[str, list[ast.expr]] = {}
        self.returns: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.values.setdefault(target.id, []).append(node.value)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                if isinstance(node.target, ast.Name):
                    self.values.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                it = node.iter
                if (isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                        and it.func.id == "range"):
                    self.values.setdefault(node.target.id, []).append(ast.Constant(0))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and sub.value is not None:
                        self.returns.setdefault(node.name, []).append(sub.value)

    def is_number(self, node: ast.expr, depth: int = 0) -> bool:
        if depth > 6:
            return False
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self.is_number(node.operand, depth + 1)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, _ARITH) and not _is_str(node.left):
                return True
            return isinstance(node.op, ast.Add) and any(
                self.is_number(side, depth + 1) for side in (node.left, node.right))
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                if f.id in _NUM_FUNCS:
                    return True
                returns = self.returns.get(f.id, [])
                return bool(returns) and all(self.is_number(r, depth + 1) for r in returns)
            return isinstance(f, ast.Attribute) and f.attr in _NUM_METHODS
        if isinstance(node, ast.Name):
            values = self.values.get(node.id, [])
            return (any(self.is_number(v, depth + 1) for v in values)
                    and not any(_is_str(v) for v in values))
        return False


def concat_suspects(code: str, line: int) -> list[str]:
    """The operands of a ``str + ...`` chain on ``line`` that are not strings.

    The ones the program's own assignments show to be numbers when there are any
    (``percent = done * 100 // total`` → ``percent``), else every operand that is not
    plainly a string, as written in the source.
    """
    tree = codeinfo.parse_module(code)
    if tree is None:
        return []
    chains = [node for node in ast.walk(tree)
              if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
              and node.lineno <= line <= (node.end_lineno or node.lineno)]
    if not chains:
        return []
    top = [c for c in chains if not any(c is not o and _inside(c, o) for o in chains)]
    numbers = _Numbers(tree)
    unknown: list[ast.expr] = []
    for chain in top:
        operands = _operands(chain)
        others = [o for o in operands if not _is_str(o)]
        if len(others) < len(operands):
            unknown += others
        else:  # `row + seat`: no plain string in sight, only the numbers are suspects
            unknown += [o for o in others if numbers.is_number(o)]
    sure = [o for o in unknown if numbers.is_number(o)]
    picked = sure or unknown
    texts = [ast.get_source_segment(code, o) or ast.unparse(o) for o in picked]
    return list(dict.fromkeys(t for t in texts if "\n" not in t))


def _inside(inner: ast.AST, outer: ast.AST) -> bool:
    return any(inner is node for node in ast.walk(outer))


def _identifiers(code: str) -> set[str]:
    return set(re.findall(r"\b[A-Za-z_]\w*\b", code))


# ------------------------------------------------------------- missing attribute or key


def _attribute_hint(stderr: str, code: str, where: str) -> str | None:
    """For ``'Item' object has no attribute 'unit_price'`` where the program defines
    ``Item``: the attributes it has that are near (Python names one only when its edit
    distance is small: it says nothing for ``unit_cost``), or all of them when few (those
    the program gives it, when it also inherits from a class defined elsewhere)."""
    failure = invented.parse_failure(stderr)
    if failure is None or failure.exception != "AttributeError" or failure.owner is None \
            or failure.suggested is not None:
        return None
    tree = codeinfo.parse_module(code)
    found = invented.attributes_of(tree, failure.owner) if tree is not None else None
    if not found:
        return None
    names, _ = found
    name, owner = failure.name, failure.owner
    near = invented.near_names(name, names)
    public = sorted(n for n in names if not n.startswith("_"))
    if near:
        listed = ", ".join(f"`{n}`" for n in near)
        return (f"`{owner}` has no attribute `{name}`{where}, but it has {listed}: use the "
                f"name that exists; do not add `{name}` with a made-up value.")
    if 0 < len(public) <= 12:
        listed = ", ".join(f"`{n}`" for n in public)
        return (f"`{owner}` has no attribute `{name}`{where}; the program gives it {listed}: "
                f"use the one that was meant, or give `{owner}` a `{name}` computed from "
                "real data.")
    return None


def _near_keys(stderr: str, code: str) -> str | None:
    """The string keys the program writes that are near the missing one (``'qty'``:
    ``'quantity'``); Python never suggests a key."""
    failure = invented.parse_failure(stderr)
    tree = codeinfo.parse_module(code)
    if failure is None or failure.exception != "KeyError" or tree is None \
            or not isinstance(failure.key, str):
        return None
    near = invented.near_names(failure.key, invented.known_keys(tree), abbreviations=True)
    return ", ".join(repr(k) for k in near) or None
