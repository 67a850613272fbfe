"""One sentence on what a common Python error means and how such errors are fixed.

Small models read ``NameError: name 'math' is not defined`` and hand back the same
program; told "``math`` is a standard-library module used without an import: add
``import math`` at the top" they fix it. The hints are about the *kind* of error (in the
spirit of Python's own "Did you mean ...?" messages), computed from the traceback and
the program's text; they never contain a program.
"""

from __future__ import annotations

import difflib
import re
import sys

from oci_cli.agent import codeinfo

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


def hint(stderr: str, code: str) -> str | None:
    """A one-sentence hint for the error at the end of ``stderr``, or None."""
    if not stderr:
        return None
    frame = _last_frame(stderr)
    where = f" (line {frame[0]}: `{frame[2]}`)" if frame and frame[2] else ""

    match = _NAME_ERROR.search(stderr)
    if match:
        name = match.group("name")
        if name in STDLIB and name not in FROM_IMPORTS:
            return (f"`{name}` is a standard-library module that the program uses without "
                    f"importing it: add `import {name}` at the top of the program.")
        if name in FROM_IMPORTS:
            module = FROM_IMPORTS[name]
            return (f"`{name}` is used without being imported: add `from {module} import "
                    f"{name}` at the top of the program.")
        known = sorted((codeinfo.bound_names(code) | codeinfo.defined_names(code)
                        | _identifiers(code)) - {name})
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
        if close:
            return (f"`{name}` is not defined anywhere{where}; it looks like a typo for "
                    f"`{close[0]}`: use `{close[0]}`.")
        return (f"`{name}` is used{where} but never defined: define it before this line, "
                "or use the name that was meant.")

    match = _CONCAT.search(stderr)
    if match:
        t = match.group("t")
        article = "an" if t[0] in "aeiou" else "a"
        return (f"A string and {article} {t} are joined with +{where}: convert the "
                f"number with str(...) or use an f-string.")
    match = _OPERAND.search(stderr)
    if match and "str" in (match.group("a"), match.group("b")):
        other = match.group("b") if match.group("a") == "str" else match.group("a")
        return (f"A {other} and a string are combined with {match.group('op')}{where}: "
                "convert one of them (str(...) or int(...)) so both have the same type.")

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
        return (f"The key {key} is not in the dict{where}: check the key, or use "
                "`d.get(key, default)`.")

    match = _NOT_FOUND.search(stderr)
    if match:
        return (f"The module `{match.group('name')}` is not installed here: use the standard "
                "library instead, or tell the user which package to install.")
    if "ZeroDivisionError" in stderr:
        return f"A division by zero{where}: check the divisor before dividing."
    if "IndexError" in stderr:
        return f"An index past the end of a list{where}: check the length or the range."
    if "'NoneType' object" in stderr:
        return (f"A value is None{where}: a function probably returns nothing (no `return`) "
                "or a lookup found nothing.")
    return None


def _identifiers(code: str) -> set[str]:
    return set(re.findall(r"\b[A-Za-z_]\w*\b", code))
