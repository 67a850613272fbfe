"""What of a large file the model reads for a repair: the parts the failure involves.

`oci fix` on a file of hundreds of lines does not send the whole file (and does not ask for
it back). The request holds, in the file's order:

* the definitions on the traceback's frames in the file, in full -- a method with its
  class's fields and ``__init__`` (the class's other methods as signatures);
* with a check or a test, the definitions it imports or calls from the script;
* the definitions those use (a function called, a class whose attribute failed): in full
  when short, else their signature;
* every import, the module's constants (long ones cut), the ``__main__`` block when a
  frame is in it;
* the rest as an outline: each function's and class's signature with ``...``.

The model replies with the definitions it changes; agent/edits.py splices them in by name.
So the request, the reply and the time grow with the code the failure involves, not with
the file. Standard library only; never raises (a file that does not parse is whole).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from oci_interpreter.agent.edits import Unit, units_of

SHORT_LINES = 40
"""A definition the involved code uses is shown in full up to this many lines."""
LONG_CONSTANT_LINES = 4
"""A module-level assignment longer than this is shown as its first line and ``...``."""
BUDGET_CHARS = 6000
"""About this much code (some 1,700 tokens) is shown in full: the function that raised
always, then the frames outward, the check's names, what they use and the ``__main__``
block while they fit. So a request costs about the same for a file of 150 lines and one
of 2,000; the frames that do not fit are in the outline."""
OUTLINE_DEFS = 60
"""With more top-level definitions than this, only those the shown code uses get a
signature line; the others are named in one comment."""
WINDOW_LINES = 25
"""Top-level statements this near a failing top-level line are shown in full (a script
written without functions); farther ones only when they set a name the shown code uses."""


@dataclass(frozen=True)
class Focus:
    """The part of a file a repair request shows."""

    text: str
    """What the model reads (the whole file when ``whole``)."""
    involved: tuple[str, ...]
    """The definitions shown in full because the failure runs through them (``cost``,
    ``Item.total``); the others shown in full are what they use."""
    whole: bool
    """Nothing was left out."""
    lines: tuple[int, ...] = ()
    """The failure's lines in the file (1-based): where a changed top-level statement of a
    reply most likely belongs (agent/edits.py)."""
    editable: str = ""
    """The definitions and statements shown in full (or, for a class, in part): what a
    reply may rewrite, so what its room is measured on."""

    def names(self) -> str:
        """``cost`` and ``Item.total``, for a message."""
        return ", ".join(f"`{n}`" for n in self.involved)


_ATTRIBUTE = re.compile(r"AttributeError: '(\w+)' object has no attribute '(\w+)'")
_TYPE_ATTRIBUTE = re.compile(r"AttributeError: type object '(\w+)' has no attribute")
_NAME = re.compile(r"NameError: name '(\w+)' is not defined")


def _containing(units: Sequence[Unit], line0: int) -> Unit | None:
    for unit in units:
        if unit.start <= line0 < unit.end:
            return unit
    return None


def _used(node: ast.AST) -> set[str]:
    """Names and attribute names ``node`` uses."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def _check_names(check: str, module: str) -> set[str]:
    """What a check or test takes from the script: ``from module import a``, ``module.a``."""
    try:
        tree = ast.parse(check)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == module:
            names.add(node.attr)
    return names


class _View:
    """Chooses, per unit, how it is shown; renders the view."""

    def __init__(self, source: str, tree: ast.Module) -> None:
        self.lines = source.split("\n")
        self.units = units_of(tree.body)
        self.defs = {u.name: u for u in self.units if u.is_def}
        self.full: set[int] = set()
        """Indexes of top-level units shown in full."""
        self.members: dict[int, set[str]] = {}
        """A class shown in part: its members shown in full (the rest as signatures)."""
        self.involved: list[str] = []
        self.used: set[str] = set()
        """Names the code shown in full uses."""
        self.budget = BUDGET_CHARS

    def shown_chars(self) -> int:
        """Characters of the code shown in full."""
        total = 0
        for index in self.full:
            unit = self.units[index]
            total += sum(len(line) + 1 for line in self.lines[unit.start:unit.end])
        for index, members in self.members.items():
            node = self.units[index].node
            if index in self.full or not isinstance(node, ast.ClassDef):
                continue
            for member in units_of(node.body):
                if member.name in members:
                    total += sum(len(line) + 1 for line in self.lines[member.start:member.end])
        return total

    def attempt(self, action: Callable[[], None], *, always: bool = False) -> bool:
        """Do ``action`` (add something to show in full); undone when the code shown then
        exceeds the budget, unless ``always``."""
        saved = (set(self.full), {k: set(v) for k, v in self.members.items()},
                 list(self.involved))
        action()
        if always or self.shown_chars() <= self.budget:
            return True
        self.full, self.members, self.involved = saved
        return False

    def involve_line(self, line: int) -> None:
        unit = _containing(self.units, line - 1)
        if unit is None:
            return
        index = self.units.index(unit)
        if isinstance(unit.node, ast.ClassDef):
            member = _containing(units_of(unit.node.body), line - 1)
            if member is not None and member.is_def:
                chosen = self.members.setdefault(index, set())
                chosen.add(member.name)
                init = [m for m in units_of(unit.node.body) if m.name == "__init__"]
                if init and init[0].end - init[0].start <= SHORT_LINES:
                    chosen.add("__init__")  # where the instance's attributes are set
                self._mark(f"{unit.name}.{member.name}")
                return
        self.full.add(index)
        self._mark(unit.name or _describe(unit))
        if not unit.is_def:  # top-level code: the statements around it too
            for other, near in enumerate(self.units):
                if not near.is_def and near.end >= line - WINDOW_LINES \
                        and near.start <= line + WINDOW_LINES:
                    self.full.add(other)

    def involve_name(self, name: str) -> None:
        """``cost``, ``Item.total``, or a description (``the __main__ block``)."""
        if name == "the __main__ block":
            main = [i for i, u in enumerate(self.units) if u.key == ("main",)]
            if main:
                self.full.add(main[0])
                self._mark(name)
            return
        owner, _, member = name.partition(".")
        unit = self.defs.get(owner)
        if unit is not None and member and isinstance(unit.node, ast.ClassDef):
            found = [m for m in units_of(unit.node.body) if m.name == member]
            if found:
                self.involve_line(found[0].start + 1)
            return
        if unit is not None:
            self.full.add(self.units.index(unit))
            self._mark(name)

    def _mark(self, name: str) -> None:
        if name not in self.involved:
            self.involved.append(name)

    def add_used(self, extra: Iterable[str] = (), *, only_extra: bool = False) -> None:
        """The definitions the involved code uses: short ones in full, a class with the
        members used (and its fields); long ones as signatures (the outline).
        ``only_extra``: just ``extra`` (the class of a failed attribute), now."""
        used = set(extra)
        for index in () if only_extra else self.full | set(self.members):
            unit = self.units[index]
            if index in self.members and isinstance(unit.node, ast.ClassDef):
                for member in units_of(unit.node.body):
                    if member.name in self.members[index]:
                        used |= _used(member.node)
            else:
                used |= _used(unit.node)
        attributes = used
        self.used |= used
        for name in sorted(used):
            found = self.defs.get(name)
            if found is None or self.units.index(found) in self.full:
                continue
            self.attempt(functools.partial(self._add_used, found, attributes))

    def _add_used(self, unit: Unit, attributes: set[str]) -> None:
        index = self.units.index(unit)
        size = unit.end - unit.start
        if isinstance(unit.node, ast.ClassDef):
            if size <= SHORT_LINES:
                self.full.add(index)
                return
            chosen = self.members.setdefault(index, set())
            chosen.add("__init__")
            chosen |= {m.name for m in units_of(unit.node.body)
                       if m.is_def and m.name in attributes and m.end - m.start <= SHORT_LINES}
        elif size <= SHORT_LINES:
            self.full.add(index)

    def render(self) -> tuple[str, str]:
        """The view, and the code of it a reply may rewrite (:attr:`Focus.editable`)."""
        out: list[str] = []
        editable: list[str] = []
        first = self.lines[: self.units[0].start] if self.units else []
        # The file's opening comments (shebang, license header) are context, not code.
        out += [line for line in first if line.strip()][:3]
        elided_from: int | None = None
        crowded = sum(1 for u in self.units if u.is_def) > OUTLINE_DEFS
        unnamed: list[str] = []
        for index, unit in enumerate(self.units):
            shown: list[str]
            if index in self.full:
                shown = self.lines[unit.start:unit.end]
                editable += shown
            elif unit.key[0] == "import":
                shown = self.lines[unit.start:unit.end]
            elif index in self.members and isinstance(unit.node, ast.ClassDef):
                shown = self._class(unit, self.members[index])
                editable += shown
            elif unit.key[0] == "doc" or (unit.key[0] == "assign" and (
                    set(unit.key[1:]) & self.used or all(n.isupper() for n in unit.key[1:]))):
                shown = self.lines[unit.start:unit.end]
                if len(shown) > LONG_CONSTANT_LINES:
                    shown = [shown[0], _indent(shown[1]) + "...  # (the rest not shown)"]
            elif unit.is_def and crowded and unit.name not in self.used:
                unnamed.append(unit.name)
                continue
            elif unit.is_def:
                shown = self._signature(unit)
            elif unit.key[0] == "main":
                shown = [self.lines[unit.start], "    ...  # (not shown)"]
            else:  # other top-level code: one marker for a run of it
                marker = f"# ... (lines {unit.start + 1}-{unit.end} not shown)"
                if out and out[-1].startswith("# ... (lines ") and elided_from is not None:
                    out[-1] = f"# ... (lines {elided_from}-{unit.end} not shown)"
                    continue
                elided_from = unit.start + 1
                shown = [marker]
            full = index in self.full or index in self.members
            if out and out[-1] and (full or _indent(out[-1]) or (unit.is_def and not
                                                                  out[-1].endswith("..."))):
                out.append("")
            out += shown
        if unnamed:
            out += ["", f"# Also defined, not shown ({len(unnamed)}): " + ", ".join(unnamed)]
        return "\n".join(out).strip("\n") + "\n", "\n".join(editable)

    def _signature(self, unit: Unit) -> list[str]:
        """A definition in the outline: its decorators and ``def`` line(s) then ``...``
        (``def total(self): ...``); a class, its line and its methods' names."""
        node = unit.node
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        header = self.lines[unit.start:node.body[0].lineno - 1]
        while header and not header[-1].split("#", 1)[0].rstrip().endswith(":"):
            header.pop()
        if not header:  # the body is on the def line itself: short, shown as it is
            return self.lines[unit.start:unit.end]
        last = header[-1].split("#", 1)[0].rstrip()
        if isinstance(node, ast.ClassDef):
            methods = [m.name for m in units_of(node.body) if m.is_def]
            listed = ", ".join(methods[:12]) + (", ..." if len(methods) > 12 else "")
            return [*header[:-1], f"{last} ...  # methods: {listed}" if methods
                    else f"{last} ..."]
        return [*header[:-1], f"{last} ..."]

    def _member_summary(self, member: Unit) -> list[str]:
        """A class member in an outline: a field or short assignment as it is, a method
        as its signature."""
        if member.is_def:
            return self._signature(member)
        shown = self.lines[member.start:member.end]
        if len(shown) <= 2:
            return shown
        return [shown[0], _indent(shown[0]) + "...  # (the rest not shown)"]

    def _class(self, unit: Unit, members: set[str]) -> list[str]:
        """A class with ``members`` in full, its fields and the other methods' signatures."""
        node = unit.node
        assert isinstance(node, ast.ClassDef)
        header = self.lines[unit.start:node.body[0].lineno - 1]
        out = list(header)
        for member in units_of(node.body):
            if member.is_def and member.name in members:
                shown = self.lines[member.start:member.end]
            elif member.is_def:
                shown = self._signature(member)
            else:
                shown = self._member_summary(member)
            if member.is_def and member.name in members and out and out[-1].strip():
                out.append("")
            out += shown
        return out


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _describe(unit: Unit) -> str:
    return "the __main__ block" if unit.key == ("main",) else "top-level code"


def focus(source: str, failing_lines: Sequence[int], *, error: str = "",
          check: str | None = None, module: str = "", names: Sequence[str] = (),
          budget: int | None = None) -> Focus:
    """The view of ``source`` for a repair of the failure whose traceback runs through
    ``failing_lines`` (1-based, outermost first) and ends with ``error``; ``check``: the
    check's or test's code, which imports from ``module`` (the script's name); ``names``:
    definitions to show in full as well (an earlier view's ``involved``); ``budget``:
    characters of code shown in full (default :data:`BUDGET_CHARS`)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return Focus(source, (), True, tuple(failing_lines), source)
    view = _View(source, tree)
    if budget is not None:
        view.budget = budget
    if not view.units:
        return Focus(source, (), True, tuple(failing_lines), source)
    extra: set[str] = set()  # the class of a failed attribute: where the right name is
    for pattern in (_ATTRIBUTE, _TYPE_ATTRIBUTE):
        for match in pattern.finditer(error):
            extra.add(match.group(1))
    # The function that raised always; the class whose attribute failed next; then the
    # frames outward while the code shown fits the budget.
    for k, line in enumerate(reversed(failing_lines)):
        view.attempt(functools.partial(view.involve_line, line), always=k == 0)
        if k == 0 and extra:
            view.add_used(extra, only_extra=True)
    for name in names:
        view.involve_name(name)
    if check is not None:
        for name in sorted(_check_names(check, module)):
            view.attempt(functools.partial(view.involve_name, name),
                         always=not view.full and not view.members)
    main = [i for i, u in enumerate(view.units) if u.key == ("main",)]
    if not view.full and not view.members:
        # Nothing on the traceback is in the file (a wrong result, a test of behaviour):
        # the __main__ block and what it calls, else the whole file.
        if not main:
            return Focus(source, (), True, tuple(failing_lines), source)
        view.involve_name("the __main__ block")
    view.add_used(extra)
    text, editable = view.render()
    return Focus(text, tuple(view.involved), False, tuple(failing_lines), editable)


def failing_name(error: str) -> str | None:
    """The name a NameError or AttributeError is about (``unit_price``)."""
    match = _ATTRIBUTE.search(error) or _NAME.search(error)
    return match.group(2 if match.re is _ATTRIBUTE else 1) if match else None
