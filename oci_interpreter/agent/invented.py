"""A repair that makes up what was missing is not a repair (issue 36).

A failing name (``item.unit_price`` where ``Item`` has ``unit_cost``, ``totl`` where the
program has ``total``, ``row["qty"]`` where the rows have ``"quantity"``) is not fixed by
giving it a made-up value, reading it with a default, renaming it to another name nothing
defines, or catching its error: :func:`invented_state` refuses those, with a sentence
that names the near names that exist (:func:`near_names`). agent/fixrun.py asks it after
agent/verify.py's ``static_checks``; agent/hints.py names the near names in the hint.
Standard library only; pure functions of the texts and the traceback.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from oci_interpreter.agent.codeinfo import call_name, is_literal, is_stub, parse_module, real_body
from oci_interpreter.agent.verify import Rejection, line_map

# ------------------------------------------------------------- invented state --
#
# A failing name (``item.unit_price`` where ``Item`` has ``unit_cost``, ``totl`` where
# the program has ``total``, ``row["qty"]`` where the rows have ``"quantity"``) is not
# repaired by making it exist with a made-up value, by reading it with a default, or by
# catching its error: the error goes away and the program computes with the default
# (issue 36: a model gave a dataclass the field ``unit_price: float = 0.0`` and every
# order cost 0). Such a candidate is refused when a name that exists is near the failing
# one (difflib, like Python's own "Did you mean"), or when the value it makes up is an
# empty or zero default (0, 0.0, "", None, [], {}) that nothing in the program ever sets.
# Initialising state the program maintains (``self.items = []`` where ``add`` appends to
# it, ``total = 0`` before ``total += x``, ``counts.get(w, 0) + 1`` for a counter) stays a
# repair, and so does a value computed from real data when no near name exists.

_EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*(?P<type>[A-Za-z_]\w*(?:Error|Exception|Exit|"
                        r"Interrupt|Iteration))(?::\s*(?P<message>.*))?$")
_NO_ATTRIBUTE = re.compile(r"^(?:'(?P<owner>\w+)' object|type object '(?P<cls>\w+)') "
                           r"has no attribute '(?P<name>\w+)'")
_NOT_DEFINED = re.compile(r"^name '(?P<name>\w+)' is not defined")
_DID_YOU_MEAN = re.compile(r"Did you mean: '(?P<name>[^']+)'\?")
_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "appendleft",
             "extendleft", "put", "push", "__setitem__"}
_EMPTY_CALLS = {"list", "dict", "set", "tuple", "str", "int", "float", "frozenset"}
_PLAIN_BASES = {"object", "Generic", "Protocol", "ABC", "NamedTuple", "typing.NamedTuple",
               "typing.Generic", "typing.Protocol", "abc.ABC", "Exception"}
_CATCHES = {"AttributeError": {"AttributeError"}, "NameError": {"NameError"},
            "KeyError": {"KeyError", "LookupError"}}


@dataclass(frozen=True)
class Failure:
    """What the original run could not find, from the last line of its traceback."""

    exception: str
    """``AttributeError``, ``NameError``, ``KeyError`` or ``TypeError`` (no name)."""
    name: str
    """The attribute, the variable, or the key (a string key without its quotes)."""
    owner: str | None = None
    """The attribute's class as the traceback names it (``Item``), or None."""
    key: object = None
    """A ``KeyError``'s key, as a value."""
    suggested: str | None = None
    """Python's own "Did you mean: '...'?", when the traceback has it."""


def parse_failure(stderr: str) -> Failure | None:
    """The missing attribute, name or key that the traceback ends with, or None."""
    for line in reversed(stderr.rstrip().splitlines()):
        if not line.strip() or line[:1].isspace():
            continue
        match = _EXCEPTION.match(line)
        if match is None:
            continue
        kind, message = match.group("type"), match.group("message") or ""
        said = _DID_YOU_MEAN.search(message)
        suggested = said.group("name") if said else None
        if kind == "AttributeError":
            found = _NO_ATTRIBUTE.match(message)
            if found is None:
                return None
            return Failure(kind, found.group("name"), found.group("owner") or found.group("cls"),
                           suggested=suggested)
        if kind == "NameError":
            found = _NOT_DEFINED.match(message)
            return Failure(kind, found.group("name"), suggested=suggested) if found else None
        if kind == "TypeError":
            return Failure(kind, "")
        if kind == "KeyError":
            try:
                key = ast.literal_eval(message.strip())
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
            if isinstance(key, (str, int)) and not isinstance(key, bool):
                return Failure(kind, str(key), key=key)
        return None
    return None


def near_names(name: str, candidates: set[str] | list[str], *,
               abbreviations: bool = False) -> list[str]:
    """Up to three of ``candidates`` close to ``name`` (not dunders, not ``name``);
    with ``abbreviations``, also the longer names it abbreviates (``qty``: ``quantity``)."""
    pool = sorted({c for c in candidates
                   if c != name and not (c.startswith("__") and c.endswith("__"))})
    ratios = {c: difflib.SequenceMatcher(a=name, b=c).ratio()
              for c in difflib.get_close_matches(name, pool, n=3, cutoff=0.6)}
    best = max(ratios.values(), default=0.0)
    found = [c for c, ratio in ratios.items()
             if ratio >= best - 0.15  # `align` for `aligns`, not `link` as well
             and (min(len(c), len(name)) > 3 or ratio >= 0.8)]  # `pi` is not `p`
    if abbreviations:
        found += [c for c in pool if c not in found and _abbreviates(name, c)]
    return found[:3]


def _abbreviates(short: str, long: str) -> bool:
    short, long = short.lower(), long.lower()
    if len(short) < 3 or len(short) >= len(long) or short[0] != long[0]:
        return False
    rest = iter(long)
    return all(char in rest for char in short)


def _made_up(node: ast.expr | None) -> bool:
    """An empty or zero value written out: 0, 0.0, "", None, [], {}, (), list(), ..."""
    if node is None:
        return False
    if isinstance(node, ast.Call):
        return not node.args and not node.keywords and call_name(node) in _EMPTY_CALLS
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return not value and not isinstance(value, bool)


def _shown(node: ast.expr | None) -> str:
    text = ast.unparse(node) if node is not None else "None"
    return text if len(text) <= 40 else text[:37] + "..."


def _listing(names: list[str] | set[str], limit: int = 8) -> str:
    names = sorted(names) if isinstance(names, set) else names
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")


@dataclass(frozen=True)
class _Member:
    name: str
    value: ast.expr | None
    """What it is set to (a property: what it returns); None for a method or a field
    without a default."""
    node: ast.AST
    method: bool = False


def _field_value(value: ast.expr | None) -> ast.expr | None:
    """A dataclass field's default: ``field(default=x)`` is x, ``field(default_factory=f)``
    is ``f()``."""
    if isinstance(value, ast.Call) and call_name(value) in ("field", "dataclasses.field"):
        for keyword in value.keywords:
            if keyword.arg == "default":
                return keyword.value
            if keyword.arg == "default_factory":
                return ast.Call(func=keyword.value, args=[], keywords=[])
        return None
    return value


def _returned(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    body = real_body(fn.body)
    if len(body) == 1 and isinstance(body[0], ast.Return):
        return body[0].value if body[0].value is not None else ast.Constant(None)
    return None


def _self_targets(node: ast.AST, me: str) -> list[tuple[str, ast.expr | None]]:
    targets: list[ast.expr]
    value: ast.expr | None
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign):
        targets, value = [node.target], node.value
    else:
        return []
    return [(t.attr, value if len(targets) == 1 else None) for t in targets
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            and t.value.id == me]


class _Program:
    """The classes of a program and what each defines."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.classes: dict[str, ast.ClassDef] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
        self.tuples: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
                    and call_name(node.value) in ("namedtuple", "collections.namedtuple")
                    and len(node.value.args) >= 2):
                fields = node.value.args[1]
                names: list[str] = []
                if isinstance(fields, ast.Constant) and isinstance(fields.value, str):
                    names = fields.value.replace(",", " ").split()
                elif isinstance(fields, (ast.List, ast.Tuple)):
                    names = [e.value for e in fields.elts
                             if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                self.tuples[node.targets[0].id] = set(names)

    def own(self, name: str) -> dict[str, _Member]:
        cls = self.classes.get(name)
        out: dict[str, _Member] = {}
        if cls is None:
            return out
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                out.setdefault(stmt.target.id,
                               _Member(stmt.target.id, _field_value(stmt.value), stmt))
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        out.setdefault(target.id, _Member(target.id, stmt.value, stmt))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                prop = any(call_name(d).split(".")[-1] in ("property", "cached_property")
                           for d in stmt.decorator_list)
                out.setdefault(stmt.name, _Member(stmt.name, _returned(stmt) if prop else None,
                                                  stmt, method=not prop))
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.args.args:
                me = stmt.args.args[0].arg
                for node in ast.walk(stmt):
                    for attr, value in _self_targets(node, me):
                        out.setdefault(attr, _Member(attr, value, node))
        return out

    def members(self, name: str, _seen: frozenset[str] = frozenset()) -> tuple[set[str], bool]:
        """What an instance of class ``name`` has (its bases' too), and whether that is
        all: False for a base the program does not define, ``__getattr__``, ``setattr``,
        ``__dict__`` or a metaclass."""
        if name in self.tuples:
            return set(self.tuples[name]), True
        cls = self.classes.get(name)
        if cls is None or name in _seen:
            return set(), False
        names = set(self.own(name))
        closed = not cls.keywords and not ({"__getattr__", "__getattribute__", "__slots__"}
                                           & names)
        for node in ast.walk(cls):
            if (isinstance(node, ast.Call) and call_name(node) == "setattr") or (
                    isinstance(node, ast.Attribute) and node.attr == "__dict__"):
                closed = False
        for base in cls.bases:
            base_name = call_name(base.value if isinstance(base, ast.Subscript) else base)
            if base_name in self.classes or base_name in self.tuples:
                more, base_closed = self.members(base_name, _seen | {name})
                names |= more
                closed = closed and base_closed
            elif base_name not in _PLAIN_BASES:
                closed = False
        return names, closed

    def ancestors(self, name: str) -> set[str]:
        out: set[str] = set()
        todo = [name]
        while todo:
            cls = self.classes.get(todo.pop())
            for base in cls.bases if cls else []:
                base_name = call_name(base)
                if base_name in self.classes and base_name not in out:
                    out.add(base_name)
                    todo.append(base_name)
        return out

    def every_member(self) -> set[str]:
        names: set[str] = set()
        for name in self.classes:
            names |= set(self.own(name))
        for fields in self.tuples.values():
            names |= fields
        return names

    def imported(self) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    names.add(alias.asname or alias.name.split(".")[0])
        return names


def attributes_of(tree: ast.Module, cls: str) -> tuple[set[str], bool] | None:
    """What an instance of ``cls`` has, when the program defines ``cls`` (a class or a
    namedtuple): its fields, class attributes, methods, properties and the ``self.x`` its
    methods set, its bases' too; and whether that is all there is (no base the program
    does not define, no ``__getattr__`` or ``setattr``). None for a class defined
    elsewhere."""
    program = _Program(tree)
    if cls not in program.classes and cls not in program.tuples:
        return None
    return program.members(cls)


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        out: list[ast.expr] = []
        for target in node.targets:
            out += _flat(target)
        return out
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target] if not isinstance(node, ast.AnnAssign) or node.value else []
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return _flat(node.target)
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return _flat(node.optional_vars)
    if isinstance(node, ast.NamedExpr):
        return [node.target]
    return []


def _flat(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [t for elt in target.elts for t in _flat(elt)]
    if isinstance(target, ast.Starred):
        return _flat(target.value)
    return [target]


def _writes(tree: ast.Module, holds: Callable[[ast.expr], bool], skip: ast.AST | None,
            attribute: str | None = None, classes: set[str] | frozenset[str] = frozenset()
            ) -> bool:
    """Whether the program sets what ``holds`` recognises (an assignment, an augmented
    one, a loop target, a mutating call such as ``.append``, an item stored into it),
    other than in the statement ``skip``; for an ``attribute``, also ``setattr`` and a
    keyword of that name given to one of ``classes``."""
    inside = {id(n) for n in ast.walk(skip)} if skip is not None else set()
    for node in ast.walk(tree):
        if id(node) in inside:
            continue
        for target in _targets(node):
            if holds(target) or (isinstance(target, ast.Subscript) and holds(target.value)):
                return True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS and holds(func.value):
                return True
            if attribute is not None and call_name(node) == "setattr" and len(node.args) >= 2:
                name = node.args[1]
                if not (isinstance(name, ast.Constant) and name.value != attribute):
                    return True
            if attribute is not None and call_name(node) in classes and any(
                    k.arg == attribute for k in node.keywords):
                return True
    return False


def _is_attr(name: str) -> Callable[[ast.expr], bool]:
    return lambda node: isinstance(node, ast.Attribute) and node.attr == name


def _is_name(name: str) -> Callable[[ast.expr], bool]:
    return lambda node: isinstance(node, ast.Name) and node.id == name


def _scope_names(tree: ast.Module, line: int | None) -> set[str]:
    """The names visible at ``line``: the module's, and those of the functions around it
    (every function's, when the line is not known)."""

    def bound(nodes: list[ast.stmt], into_functions: bool) -> set[str]:
        names: set[str] = set()
        stack: list[ast.AST] = list(nodes)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
                if not into_functions:
                    continue
            if isinstance(node, ast.Lambda) and not into_functions:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(a.asname or a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
            stack.extend(ast.iter_child_nodes(node))
        return names

    names = bound(tree.body, line is None)
    if line is not None:
        for node in ast.walk(tree):
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and
                    node.lineno <= line <= (node.end_lineno or node.lineno)):
                names |= bound(node.body, False) | {a.arg for a in ast.walk(node.args)
                                                    if isinstance(a, ast.arg)}
    return names


def known_keys(tree: ast.Module) -> set[str]:
    """The string keys the program writes: dict literals, ``dict(k=...)``, ``d["k"] = ``."""
    keys: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys.update(k.value for k in node.keys
                        if isinstance(k, ast.Constant) and isinstance(k.value, str))
        elif isinstance(node, ast.Call) and call_name(node) == "dict":
            keys.update(k.arg for k in node.keywords if k.arg)
        for target in _targets(node):
            if (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)):
                keys.add(target.slice.value)
    return keys


def _literal_dict_keys(tree: ast.Module, name: str) -> set[object] | None:
    """The keys of ``name`` when the program binds it only to dict literals with written
    keys and never stores into it; else None."""
    keys: set[object] = set()
    seen = False
    for node in ast.walk(tree):
        for target in _targets(node):
            if isinstance(target, ast.Name) and target.id == name:
                value = getattr(node, "value", None)
                if not isinstance(value, ast.Dict) or not all(
                        isinstance(k, ast.Constant) for k in value.keys):
                    return None
                keys.update(k.value for k in value.keys if isinstance(k, ast.Constant))
                seen = True
            elif isinstance(target, ast.Subscript) and _is_name(name)(target.value):
                return None
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _MUTATORS and _is_name(name)(node.func.value)):
            return None
    return keys if seen else None


def _count(tree: ast.Module, text_of: Callable[[ast.AST], str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        text = text_of(node)
        if text is not None:
            counts[text] = counts.get(text, 0) + 1
    return counts


def _new_nodes(old: ast.Module, new: ast.Module,
               text_of: Callable[[ast.AST], str | None]) -> list[ast.AST]:
    """The nodes of ``new`` that ``text_of`` recognises and ``old`` has fewer of."""
    before = _count(old, text_of)
    out = []
    for node in ast.walk(new):
        text = text_of(node)
        if text is None:
            continue
        if before.get(text, 0) > 0:
            before[text] -= 1
        else:
            out.append(node)
    return out


def _substitutes(handler: ast.ExceptHandler) -> bool:
    """A handler that passes, continues, or puts a written-out value in place (and may
    print or log), without raising again."""
    if any(isinstance(n, ast.Raise) for n in ast.walk(ast.Module(body=handler.body,
                                                                   type_ignores=[]))):
        return False
    for stmt in handler.body:
        if isinstance(stmt, (ast.Pass, ast.Continue, ast.Break)):
            continue
        if isinstance(stmt, ast.Expr) and (isinstance(stmt.value, ast.Constant) or (
                isinstance(stmt.value, ast.Call) and call_name(stmt.value).split(".")[-1] in
                ("print", "warn", "warning", "info", "debug", "error", "exception", "log"))):
            continue
        if isinstance(stmt, ast.Return) and (stmt.value is None or is_literal(stmt.value)):
            continue
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and (
                stmt.value is not None and (is_literal(stmt.value) or _made_up(stmt.value))):
            continue
        return False
    return True


def _catches(handler: ast.ExceptHandler, exception: str) -> bool:
    kind = handler.type
    kinds = kind.elts if isinstance(kind, ast.Tuple) else [kind] if kind is not None else []
    wanted = _CATCHES.get(exception, {exception})
    return any(call_name(k).split(".")[-1] in wanted for k in kinds)


class _Change:
    """The original, the candidate and where the original failed."""

    def __init__(self, old: ast.Module, new: ast.Module, old_text: str, new_text: str,
                 failing: list[int]) -> None:
        self.old, self.new = old, new
        self.old_program, self.new_program = _Program(old), _Program(new)
        mapping = line_map(old_text, new_text)
        self.inner = failing[-1] if failing else None
        self.inner_new = mapping.get(self.inner, set()) if self.inner else set()
        self.targets = {n for line in failing for n in mapping.get(line, set())}

    def on_failing_line(self, tree: ast.Module, lines: set[int]) -> list[ast.AST]:
        return [n for n in ast.walk(tree) if getattr(n, "lineno", None) in lines]

    def renamed(self, name: str) -> set[str]:
        """What the candidate reads at the failing line instead of ``x.name``: the new
        attributes of the same ``x``."""
        if self.inner is None:
            return set()

        def pairs(tree: ast.Module, lines: set[int]) -> set[tuple[str, str]]:
            return {(ast.unparse(n.value), n.attr) for n in self.on_failing_line(tree, lines)
                    if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)}

        before, after = pairs(self.old, {self.inner}), pairs(self.new, self.inner_new)
        bases = {base for base, attr in before if attr == name and (base, attr) not in after}
        return {attr for base, attr in after if base in bases and (base, attr) not in before}

    def subscripts(self) -> set[tuple[str, str]]:
        """(dict, key) as written, for each item the original read at the failing line."""
        if self.inner is None:
            return set()
        return {(ast.unparse(n.value), ast.unparse(n.slice))
                for n in self.on_failing_line(self.old, {self.inner})
                if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)}

    def updates_item(self) -> bool:
        """The failing line updates a dict item (``d[k] += 1``, ``d[k] = d[k] + 1``,
        ``d[k].append(x)``): starting it from a default is the repair of a counter."""
        for node in self.on_failing_line(self.old, {self.inner} if self.inner else set()):
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
                return True
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Subscript) and ast.unparse(t) in
                    {ast.unparse(s) for s in ast.walk(node.value) if isinstance(s, ast.Subscript)}
                    for t in node.targets):
                return True
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _MUTATORS
                    and isinstance(node.func.value, ast.Subscript)):
                return True
        return False

    def new_handlers(self, exception: str) -> list[ast.ExceptHandler]:
        """Handlers of ``exception`` around the failing code that hide it."""
        out = []
        for node in ast.walk(self.new):
            if isinstance(node, ast.Try) and node.body:
                first = node.body[0].lineno
                last = max(getattr(n, "end_lineno", n.lineno) or n.lineno for n in node.body)
                if any(first <= t <= last for t in self.targets):
                    out += [h for h in node.handlers
                            if _catches(h, exception) and _substitutes(h)]
        return out

    def guesses(self) -> list[Failure]:
        """Without a traceback's last line: what the failing line reads that the original
        never defines (attributes no class has, names never bound, keys never written)."""
        if self.inner is None:
            return []
        program = self.old_program
        members, imported = program.every_member(), program.imported()
        bound = _scope_names(self.old, None)
        keys = known_keys(self.old)
        out: list[Failure] = []
        for node in self.on_failing_line(self.old, {self.inner}):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                base = node.value
                if (node.attr not in members and not (isinstance(base, ast.Name)
                                                      and base.id in imported)
                        and not _writes(self.old, _is_attr(node.attr), None, node.attr)):
                    out.append(Failure("AttributeError", node.attr))
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id not in bound and not hasattr(builtins, node.id):
                    out.append(Failure("NameError", node.id))
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                  and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
                  and node.slice.value not in keys):
                out.append(Failure("KeyError", node.slice.value, key=node.slice.value))
        return list(dict.fromkeys(out))


_BUILTIN_TYPES = {"tuple": tuple, "list": list, "dict": dict, "str": str, "int": int,
                  "float": float, "set": set, "bool": bool, "bytes": bytes,
                  "frozenset": frozenset, "complex": complex, "range": range}


def _passed_positionally(tree: ast.Module, program: _Program, cls: str, field: str) -> bool:
    """Whether a call of the dataclass ``cls`` gives ``field`` a value by position."""
    fields = [s.target.id for s in program.classes[cls].body
              if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
    if field not in fields:
        return False
    index = fields.index(field)
    return any(isinstance(n, ast.Call) and call_name(n) == cls and len(n.args) > index
               for n in ast.walk(tree))


def _added_member(change: _Change, failure: Failure, cls: str, added: str, member: _Member,
                  near: list[str], has: str, before: set[str]) -> Rejection | None:
    """A member the candidate gives ``cls`` for the missing attribute (or its new name)."""
    name, new = failure.name, change.new_program
    if member.method:  # a method: only a placeholder is made up
        fn = member.node
        assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        if not is_stub(fn.body):
            return None
        value: ast.expr | None = _returned(fn) or ast.Constant(None)
        if not _made_up(value):
            return None
    else:
        value = member.value
    made_up = _made_up(value)
    shown = f" with a made-up value (`{_shown(value)}`)" if made_up else ""
    if member.method:
        shown = f" as a method that only returns a made-up value (`{_shown(value)}`)"
    what = (f"`{name}` does not exist and the change adds it{shown}" if added == name
            else f"`{name}` does not exist and the change replaces it with `{added}`, which "
                 f"it adds{shown}")
    if near:
        return Rejection("invented_name",
                         f"{what}; {has}: use the name that exists instead of adding one")
    members = _listing(sorted(n for n in before if not n.startswith("__")))
    if member.method:
        return Rejection("invented_name",
                         f"{what}; `{cls}` has {members}: use the method that was meant, or "
                         f"make `{added}` compute its result")
    if made_up and not (
            _writes(change.new, _is_attr(added), member.node, added, set(new.classes))
            or _passed_positionally(change.new, new, cls, added)):
        return Rejection("invented_name",
                         f"{what}, and nothing ever sets it, so the code that reads it now "
                         f"computes with that value; `{cls}` has {members}: use the "
                         f"attribute that was meant, or set `{added}` from real data")
    return None


def _attribute_checks(change: _Change, failure: Failure) -> Rejection | None:
    old, new = change.old_program, change.new_program
    name = failure.name
    builtin = _BUILTIN_TYPES.get(failure.owner or "")
    owner = failure.owner if failure.owner in old.classes or failure.owner in old.tuples \
        else None
    if owner is not None:
        pool, closed = old.members(owner)
    elif builtin is not None:
        pool, closed = {n for n in dir(builtin) if not n.startswith("_")}, True
    else:
        pool, closed = old.every_member(), False
    near = near_names(name, pool)
    of = f"`{owner or failure.owner}`" if owner or builtin else "the program"
    has = f"{of} has {_listing(near)}"
    renamed = change.renamed(name)
    writes_anywhere = _writes(change.new, _is_attr(name), None, name, set(new.classes))
    # the attribute is never there on the object that failed, whatever the candidate does
    never = (owner is not None and closed and name not in new.members(owner)[0]
             and name not in new.every_member() and not writes_anywhere) or (
        builtin is not None and not hasattr(builtin, name))

    for cls in new.classes:
        if cls not in old.classes or (owner is not None and cls != owner
                                      and cls not in old.ancestors(owner)):
            continue
        before, _ = old.members(cls)
        cls_near = near if owner else near_names(name, before)
        cls_has = has if owner else f"`{cls}` has {_listing(cls_near)}"
        for added, member in new.own(cls).items():
            if added in before:
                continue
            if added in ("__getattr__", "__getattribute__"):
                if cls_near or any(isinstance(r, ast.Return) and r.value is not None
                                   and (is_literal(r.value) or _made_up(r.value))
                                   for r in ast.walk(member.node)):
                    tail = (f"; {cls_has}: use the name that exists" if cls_near else
                            f": use an attribute that `{cls}` has, or set `{name}` from real "
                            "data")
                    return Rejection("invented_name",
                                     f"`{name}` does not exist, and the `{added}` the change "
                                     f"adds to `{cls}` hands back a made-up value for it{tail}")
                continue
            if added == name or added in renamed:
                rejection = _added_member(change, failure, cls, added, member, cls_near,
                                          cls_has, before)
                if rejection is not None:
                    return rejection
    if owner is not None and closed:
        after, still_closed = new.members(owner)
        for other in sorted(renamed):
            if (still_closed and other not in after and other not in new.every_member()
                    and not _writes(change.new, _is_attr(other), None, other,
                                    set(new.classes))):
                tail = (f"; {has}: use the name that exists" if near else
                        f"; `{owner}` has {_listing(sorted(n for n in pool if n[:2] != '__'))}")
                return Rejection("renamed_to_undefined",
                                 f"the change replaces `{name}` with `{other}`, which "
                                 f"`{owner}` does not define either{tail}")
    for call in _new_nodes(change.old, change.new, lambda n: _attr_lookup(n, name)):
        assert isinstance(call, ast.Call)
        if call_name(call) == "getattr":
            default = call.args[2]
            if near or (never and _made_up(default)):
                tail = f"; {has}: use the name that exists" if near else (
                    ": use an attribute that exists, or set it from real data")
                return Rejection("default_lookup",
                                 f"`{name}` does not exist, and `getattr(..., \"{name}\", "
                                 f"{_shown(default)})` hides that behind a made-up "
                                 f"default{tail}")
        elif near or (never and owner is not None):
            tail = f"; {has}: use the name that exists" if near else ""
            return Rejection("guarded_failure",
                             f"`{name}` does not exist, and the `hasattr(..., \"{name}\")` "
                             f"check only skips the code that needs it{tail}")
    if owner is not None or near or never:
        for handler in change.new_handlers("AttributeError"):
            tail = f"; {has}: use the name that exists" if near else (
                f"; {of} has {_listing(sorted(n for n in pool if n[:2] != '__'))}: use the "
                "right name" if pool and (owner or builtin) else ": use the right name")
            return Rejection("caught_failure",
                             f"the `except AttributeError` at line {handler.lineno} hides "
                             f"that `{name}` does not exist{tail} instead of catching the "
                             "error")
    return None


def _attr_lookup(node: ast.AST, name: str) -> str | None:
    """``getattr(x, "name", default)`` and ``hasattr(x, "name")``, as text."""
    if (isinstance(node, ast.Call) and call_name(node) in ("getattr", "hasattr")
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == name
            and (call_name(node) == "hasattr" or len(node.args) == 3)):
        return ast.unparse(node)
    return None


def _name_checks(change: _Change, failure: Failure) -> Rejection | None:
    name = failure.name
    near = near_names(name, _scope_names(change.old, change.inner))
    has = f"the program has {_listing(near)}"

    def binds(node: ast.AST) -> str | None:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and any(
                isinstance(t, ast.Name) and t.id == name for t in _targets(node)):
            return ast.unparse(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.unparse(node)
        return None

    for added in _new_nodes(change.old, change.new, binds):
        function = isinstance(added, (ast.FunctionDef, ast.AsyncFunctionDef))
        if function:  # a function: only a placeholder is made up
            assert isinstance(added, (ast.FunctionDef, ast.AsyncFunctionDef))
            value: ast.expr | None = _returned(added) or ast.Constant(None)
            if not is_stub(added.body) or not _made_up(value):
                continue
        else:
            value = getattr(added, "value", None)
        made_up = _made_up(value)
        what = (f"`{name}` is not defined and the change defines it"
                + (f" with a made-up value (`{_shown(value)}`)" if made_up else ""))
        if near:
            return Rejection("invented_name",
                             f"{what}; {has}: use the name that exists instead of adding one")
        if made_up and (function or not _writes(change.new, _is_name(name), added)):
            return Rejection("invented_name",
                             f"{what}, and nothing ever changes it, so the code that reads it "
                             "now computes with that value: compute it from the program's "
                             "data, or use the name that was meant")
    for handler in change.new_handlers("NameError"):
        tail = f"; {has}: use the name that exists" if near else (
            ": define it, import it or use the right name")
        return Rejection("caught_failure",
                         f"the `except NameError` at line {handler.lineno} hides that `{name}` "
                         f"is not defined{tail} instead of catching the error")
    return None


def _key_checks(change: _Change, failure: Failure) -> Rejection | None:
    if change.updates_item():
        return None  # a counter: `d[k] = d.get(k, 0) + 1` is the repair
    key = failure.key
    near = near_names(key, known_keys(change.old), abbreviations=True) if isinstance(
        key, str) else []
    shown = repr(key)
    has = "the program's dicts have " + ", ".join(repr(k) for k in near)

    def dict_key(node: ast.AST) -> str | None:
        if isinstance(node, ast.Dict):
            for k in node.keys:
                if isinstance(k, ast.Constant) and k.value == key:
                    return f"{key!r}"
        return None

    for literal in _new_nodes(change.old, change.new, dict_key):
        assert isinstance(literal, ast.Dict)
        value = next(v for k, v in zip(literal.keys, literal.values, strict=True)
                     if isinstance(k, ast.Constant) and k.value == key)
        made_up = _made_up(value)
        what = f"the key {shown} is not there and the change adds it" + (
            f" with a made-up value (`{_shown(value)}`)" if made_up else "")
        if near:
            return Rejection("invented_name",
                             f"{what}; {has}: use the key that exists instead of adding one")
        if made_up and not _writes(change.new, lambda t: isinstance(t, ast.Subscript) and
                                   isinstance(t.slice, ast.Constant) and t.slice.value == key,
                                   None):
            return Rejection("invented_name",
                             f"{what}, and nothing ever sets it, so the code that reads it "
                             "now computes with that value: use a key the data has")
    read = change.subscripts()

    def lookup(node: ast.AST) -> str | None:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get" and node.args
                and (ast.unparse(node.func.value), ast.unparse(node.args[0])) in read):
            return ast.unparse(node)
        if (isinstance(node, ast.Compare) and len(node.ops) == 1
                and isinstance(node.ops[0], (ast.In, ast.NotIn))
                and (ast.unparse(node.comparators[0]), ast.unparse(node.left)) in read):
            return ast.unparse(node)
        return None

    for node in _new_nodes(change.old, change.new, lookup):
        if isinstance(node, ast.Compare):
            if near:
                return Rejection("guarded_failure",
                                 f"the key {shown} is not there, and the check "
                                 f"`{_shown(node)}` only skips the code that needs it; {has}: "
                                 "use the key that exists")
            continue
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        asked = node.args[0]
        constant = isinstance(asked, ast.Constant)
        if constant and asked.value != key:  # type: ignore[attr-defined]
            continue  # another item read on the same line
        default = node.args[1] if len(node.args) > 1 else ast.Constant(None)
        holder = node.func.value
        keys = _literal_dict_keys(change.old, holder.id) if isinstance(holder, ast.Name) \
            else None
        if not constant and not near:
            # A key the code builds (`values[c + r]`): a default makes every wrongly built
            # key look present, so the failure is silenced, not repaired.
            return Rejection("default_lookup",
                             f"the key {shown} is not there, and `{_shown(node)}` hides that "
                             "behind a default; the key is built wrong or never stored: "
                             f"find which, and build `{ast.unparse(asked)}` the way the keys "
                             "were stored")
        if near or (constant and _made_up(default) and keys is not None and key not in keys):
            tail = f"; {has}: use the key that exists" if near else (
                f"; `{ast.unparse(holder)}` has the keys "
                f"{', '.join(repr(k) for k in sorted(keys or (), key=str))}: "
                "use the key that exists")
            return Rejection("default_lookup",
                             f"the key {shown} is not there, and `{_shown(node)}` hides that "
                             f"behind a made-up default{tail}")
    if near:
        for handler in change.new_handlers("KeyError"):
            return Rejection("caught_failure",
                             f"the `except {ast.unparse(handler.type or ast.Name('KeyError'))}`"
                             f" at line {handler.lineno} hides that the key {shown} is not "
                             f"there; {has}: use the key that exists instead of catching "
                             "the error")
    return None


def _type_checks(change: _Change) -> Rejection | None:
    """A TypeError (``str.replace(tag, default_value)`` with an int) is not repaired by
    dropping the value from the failing line and writing an empty one in its place
    (``replace(tag, "")``: optparse's help then lost every default): the error goes away
    because the value is gone."""
    if change.inner is None or not change.inner_new:
        return None

    def names(tree: ast.Module, lines: set[int]) -> set[str]:
        return {n.id for n in change.on_failing_line(tree, lines)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                and not hasattr(builtins, n.id)}

    def empties(tree: ast.Module, lines: set[int]) -> set[str]:
        return {ast.unparse(n) for n in change.on_failing_line(tree, lines)
                if isinstance(n, (ast.Constant, ast.List, ast.Dict, ast.Tuple, ast.Call))
                and _made_up(n)}

    dropped = sorted(names(change.old, {change.inner}) - names(change.new, change.inner_new))
    written = sorted(empties(change.new, change.inner_new)
                     - empties(change.old, {change.inner}))
    if not dropped or not written:
        return None
    value = dropped[0]
    return Rejection("dropped_value",
                     f"the change drops `{value}` from the failing line and writes "
                     f"`{written[0]}` in its place: the TypeError goes away because the "
                     f"value is gone, not because it has the right type; keep `{value}` and "
                     f"convert it (e.g. `str({value})`), or fix where it gets its value")


def invented_state(old_text: str, new_text: str, failing: list[int],
                   stderr: str | None = None) -> Rejection | None:
    """A candidate that makes the failing attribute, name or key exist with a made-up
    value, reads it with a default, renames it to another name nothing defines, or
    catches its error, where a near name exists or the value is an empty default.

    ``stderr``: the original run's traceback, which names what was missing; without it
    (None) the attributes, names and string keys that the failing line reads and the
    original never defines are taken for it."""
    old, new = parse_module(old_text), parse_module(new_text)
    if old is None or new is None:
        return None
    try:
        return _invented_state(old, new, old_text, new_text, failing, stderr)
    except RecursionError:  # a program nested too deep to unparse: no verdict
        return None


def _invented_state(old: ast.Module, new: ast.Module, old_text: str, new_text: str,
                    failing: list[int], stderr: str | None) -> Rejection | None:
    change = _Change(old, new, old_text, new_text, failing)
    if stderr is None:
        failures = change.guesses()
    else:
        parsed = parse_failure(stderr)
        failures = [parsed] if parsed is not None else []
    for failure in failures:
        if failure.exception == "AttributeError":
            rejection = _attribute_checks(change, failure)
        elif failure.exception == "NameError":
            rejection = _name_checks(change, failure)
        elif failure.exception == "TypeError":
            rejection = _type_checks(change)
        else:
            rejection = _key_checks(change, failure)
        if rejection is not None:
            return rejection
    return None
