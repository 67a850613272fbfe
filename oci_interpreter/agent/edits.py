"""Applying a model's edit to a file: what a reply replaces, and the file that results.

A file is a sequence of top-level *units* (a function, a class, an import, an assignment,
the ``if __name__ == "__main__":`` block, any other statement), each with its lines. A
reply is read as units too and merged into the original by unit (:func:`apply_edit`):

* a unit the reply holds unchanged in meaning (the same ``ast`` once parsed: a new quote
  style, a reflowed line, a comment) keeps the original's text, byte for byte;
* a changed function or statement replaces the original's lines; a changed class is
  merged member by member, so the methods the reply does not change (or leaves out) stay;
* a new import goes after the original's imports, another new unit before the first
  original unit the reply puts after it;
* a unit the reply leaves out stays -- unless the reply is the whole file and the unit is
  a statement between units it kept (the model removed a stray line).

So a reply of only the changed definitions (what ``oci fix`` asks for on a large file)
and a whole corrected file come out the same way, and everything outside the changed
units is the original's. Comments the model adds about its own change (``# Fixed the
attribute name``, ``# Add this line``) are removed from the lines it changed
(:func:`strip_change_notes`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)


@dataclass(frozen=True)
class Unit:
    """One statement of a module (or of a class body), and its lines."""

    key: tuple[str, ...]
    """What it is, to find the same unit in another version: ``("def", name)``,
    ``("import", dump)``, ``("assign", target...)``, ``("main",)``, ``("doc",)``,
    ``("stmt", dump)``."""
    node: ast.stmt
    start: int
    """First line (0-based, decorators included)."""
    end: int
    """One past the last line (0-based)."""

    @property
    def name(self) -> str:
        return self.key[1] if self.key[0] in ("def", "assign") else ""

    @property
    def is_def(self) -> bool:
        return isinstance(self.node, _DEFS)


def is_main_block(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":``"""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left, *test.comparators]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _targets(node: ast.stmt) -> list[str] | None:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return None
    names: list[str] = []
    for target in targets:
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        for element in elements:
            if not isinstance(element, ast.Name):
                return None
            names.append(element.id)
    return names if names and not isinstance(node, ast.AugAssign) else None


def _key(node: ast.stmt, first: bool) -> tuple[str, ...]:
    if isinstance(node, _DEFS):
        return ("def", node.name)
    if isinstance(node, _IMPORTS):
        return ("import", ast.dump(node))
    if first and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
            and isinstance(node.value.value, str):
        return ("doc",)
    if is_main_block(node):
        return ("main",)
    targets = _targets(node)
    if targets is not None:
        return ("assign", *targets)
    return ("stmt", ast.dump(node))


def units_of(body: Sequence[ast.stmt]) -> list[Unit]:
    """The units of a module's or a class's ``body``."""
    found = []
    for i, node in enumerate(body):
        decorators = getattr(node, "decorator_list", [])
        start = min([node.lineno, *(d.lineno for d in decorators)]) - 1
        found.append(Unit(_key(node, i == 0), node, start, node.end_lineno or node.lineno))
    return found


def same_meaning(a: ast.AST, b: ast.AST) -> bool:
    """The same code once parsed (quotes, spacing, comments and line breaks aside)."""
    return ast.dump(a) == ast.dump(b)


# ------------------------------------------------------------ change notes --

_NOTE = re.compile(
    r"#\s*(?:<-+\s*|-+>\s*|\^+\s*)?(?:fix(?:ed|es|ing)?\b|bug\s*fix|changed?\b|corrected\b|"
    r"correction\b|modified\b|updated?\b|added\b|add\s+(?:this|the|missing)\b|removed\b|"
    r"replaced\b|renamed\b|was\s*:|previously\b|this\s+line\b|here\s+is\s+the\s+fix|"
    r"the\s+(?:bug|error|fix)\b|note:\s*(?:fix|changed)|[^#]*\binstead\s+of\b|"
    r"(?:convert|cast|ensure|make\s+sure)\b[^#]*\b(?:before|so\s+that|to\s+avoid|"
    r"to\s+prevent)\b)",
    re.IGNORECASE)


def strip_change_notes(new_lines: list[str], old_lines: Sequence[str]) -> list[str]:
    """``new_lines`` without the comments the model wrote about its change: a comment line
    or a trailing comment that the original's lines do not have and that speaks of a fix
    (``# Fixed: ...``, ``# Add this line``, ``# changed from unit_price``,
    ``# Use attrs[2] instead of attrs[3]``, ``# Convert x to a string before using it``)."""
    old_comments = {line.strip() for line in old_lines}
    kept: list[str] = []
    for line in new_lines:
        if _VIEW_MARKERS.match(line) and line.strip() not in old_comments:
            continue  # the view's own "(not shown)" marks copied back
        stripped = line.strip()
        if stripped.startswith("#"):
            if stripped not in old_comments and _NOTE.match(stripped):
                continue
            kept.append(line)
            continue
        comment = _trailing_comment(line)
        if comment is not None and line not in old_lines:
            code, text = line[:comment], line[comment:]
            if _NOTE.match(text.strip()) and not any(text.strip() in o for o in old_lines):
                line = code.rstrip()
        kept.append(line)
    return kept


def keep_comments(old: list[str], new: list[str]) -> list[str]:
    """``new`` with the original's comment lines that the model left out put back where
    they were (a reply often drops them; losing them is not part of any fix)."""
    import difflib

    matcher = difflib.SequenceMatcher(None, [s.strip() for s in old], [s.strip() for s in new],
                                      autojunk=False)
    out: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += new[j1:j2]
            continue
        dropped = [line for line in old[i1:i2] if line.strip().startswith("#")]
        if op == "delete":
            out += dropped
            continue
        if op == "replace":
            leading = []
            for line in old[i1:i2]:
                if not line.strip().startswith("#"):
                    break
                leading.append(line)
            if not any(line.strip().startswith("#") for line in new[j1:j2]):
                out += leading
        out += new[j1:j2]
    return out


def _trailing_comment(line: str) -> int | None:
    """Where a comment starts on a line of code (outside strings), or None."""
    if "#" not in line:
        return None
    import io
    import tokenize

    try:
        for token in tokenize.generate_tokens(io.StringIO(line.lstrip() + "\n").readline):
            if token.type == tokenize.COMMENT:
                return len(line) - len(line.lstrip()) + token.start[1]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return None


# ------------------------------------------------------------------ merge --

@dataclass
class _Change:
    start: int
    end: int
    lines: list[str]


def _distance(unit: Unit, near: Sequence[int]) -> int:
    """Lines from ``unit`` to the nearest of ``near`` (1-based lines; 0 without any)."""
    if not near:
        return 0
    return min(0 if unit.start < line <= unit.end else
               min(abs(unit.start + 1 - line), abs(unit.end - line)) for line in near)


def _outline_stub(node: ast.stmt) -> bool:
    """A definition whose body is only ``...`` (what agent/focus.py's outline shows of a
    function or class it does not show in full); ``class C: pass`` and real stubs with a
    docstring are not."""
    if not isinstance(node, _DEFS):
        return False
    return len(node.body) == 1 and isinstance(node.body[0], ast.Expr) and isinstance(
        node.body[0].value, ast.Constant) and node.body[0].value.value is Ellipsis


_VIEW_MARKERS = re.compile(r"^\s*(?:\.\.\.\s*)?#\s*(?:\.\.\.\s*)?\((?:lines \d+-\d+ )?"
                           r"(?:the rest )?not shown\)\s*$|^\s*# Also defined, not shown")


def _match(old: list[Unit], new: list[Unit], whole: bool,
           near: Sequence[int] = ()) -> dict[int, int]:
    """new index -> old index: equal keys paired (in order; where the original has the
    same key more than once and a part reply is paired, the one nearest the failure).
    In a whole reply, also the other statements that stand between the same paired
    units, in order (a changed ``print(...)`` line replaces the original's); in a part
    reply, a changed top-level statement replaces the most similar one, nearest the
    failure first."""
    pending: dict[tuple[str, ...], list[int]] = {}
    for i, unit in enumerate(old):
        pending.setdefault(unit.key, []).append(i)
    pairs: dict[int, int] = {}
    for j, unit in enumerate(new):
        queue = pending.get(unit.key)
        if queue:
            chosen = queue[0] if whole or not near else \
                min(queue, key=lambda i: _distance(old[i], near))
            queue.remove(chosen)
            pairs[j] = chosen
    if not whole:
        return _pair_similar(old, new, pairs, near)
    taken = set(pairs.values())
    j = 0
    while j < len(new):
        if j in pairs or new[j].key[0] not in ("stmt", "assign"):
            j += 1
            continue
        # A run of unpaired statements, between paired units (or the ends).
        k = j
        while k < len(new) and k not in pairs and new[k].key[0] in ("stmt", "assign"):
            k += 1
        before = max((pairs[x] for x in range(j) if x in pairs), default=-1)
        after = min((pairs[x] for x in range(k, len(new)) if x in pairs), default=len(old))
        olds = [i for i in range(before + 1, after)
                if i not in taken and old[i].key[0] in ("stmt", "assign")]
        for new_index, old_index in zip(range(j, k), olds, strict=False):
            pairs[new_index] = old_index
            taken.add(old_index)
        j = k
    return pairs


def _pair_similar(old: list[Unit], new: list[Unit], pairs: dict[int, int],
                  near: Sequence[int]) -> dict[int, int]:
    import difflib

    taken = set(pairs.values())
    for j, unit in enumerate(new):
        if j in pairs or unit.key[0] not in ("stmt", "assign"):
            continue
        text = ast.unparse(unit.node)
        best: tuple[float, int, int] | None = None
        for i, candidate in enumerate(old):
            if i in taken or candidate.key[0] not in ("stmt", "assign"):
                continue
            if type(candidate.node) is not type(unit.node):
                continue
            ratio = difflib.SequenceMatcher(None, ast.unparse(candidate.node), text,
                                            autojunk=False).ratio()
            if ratio < 0.6:
                continue
            score = (round(ratio, 1), -_distance(candidate, near), -i)
            if best is None or score > best:
                best = score
        if best is not None:
            pairs[j] = -best[2]
            taken.add(-best[2])
    return pairs


def import_line(old: list[Unit]) -> int:
    """Where new imports go: after the docstring and the leading imports."""
    line = 0
    for unit in old:
        if unit.key[0] in ("doc", "import") or (unit.key[0] == "stmt" and line == 0
                                                and _is_future(unit.node)):
            line = unit.end
            continue
        if isinstance(unit.node, _IMPORTS):
            line = unit.end
            continue
        break
    return line


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _reindent(lines: list[str], old_indent: str, new_indent: str) -> list[str]:
    if old_indent == new_indent:
        return lines
    out = []
    for line in lines:
        if line.startswith(new_indent):
            out.append(old_indent + line[len(new_indent):])
        else:
            out.append(line)
    return out


def _indent_of(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _merge_body(old_units: list[Unit], new_units: list[Unit], old_lines: list[str],
                new_lines: list[str], *, whole: bool, container_end: int,
                top: bool, near: Sequence[int] = ()) -> list[_Change]:
    """The changes that turn the original's units into the reply's (see the module)."""
    pairs = _match(old_units, new_units, whole, near)
    changes: list[_Change] = []
    old_indent = _indent_of(old_lines[old_units[0].start]) if old_units else ""

    def text_of(unit: Unit) -> list[str]:
        lines = new_lines[unit.start:unit.end]
        return _reindent(lines, old_indent, _indent_of(lines[0]) if lines else "")

    for j, unit in enumerate(new_units):
        if _outline_stub(unit.node):
            continue  # the view's `def f(x): ...` copied back: not a change of f
        if j in pairs:
            old = old_units[pairs[j]]
            if same_meaning(old.node, unit.node):
                continue
            if isinstance(old.node, ast.ClassDef) and isinstance(unit.node, ast.ClassDef):
                changes += _merge_class(old, unit, old_lines, new_lines, whole=whole)
                continue
            replacement = keep_comments(old_lines[old.start:old.end],
                                        strip_change_notes(text_of(unit),
                                                           old_lines[old.start:old.end]))
            changes.append(_Change(old.start, old.end, replacement))
            continue
        # A new unit: in a part reply, an import after the imports; else before the next
        # unit it precedes in the reply (a whole file places its own imports).
        lines = strip_change_notes(text_of(unit), ())
        if whole and not unit.is_def and j + 1 < len(new_units):
            gap = new_lines[unit.end:new_units[j + 1].start]  # the reply's blank lines after it
            lines += [""] * min(2, next((i for i, g in enumerate(gap) if g.strip()), len(gap)))
        if top and isinstance(unit.node, _IMPORTS) and not whole:
            at = import_line(old_units)
        else:
            later = [pairs[k] for k in range(j + 1, len(new_units)) if k in pairs]
            if later:
                at = old_units[min(later)].start
                # Keep comments right above that unit with it.
                while at > 0 and old_lines[at - 1].strip().startswith("#"):
                    at -= 1
            else:
                main = [u for u in old_units if u.key == ("main",)]
                at = main[0].start if main and top else container_end
        if unit.is_def and top:
            lines = [*lines, "", ""] if at < container_end else ["", "", *lines]
        elif unit.is_def:
            lines = [*lines, ""] if at < container_end else ["", *lines]
        changes.append(_Change(at, at, lines))
    if whole:
        kept = sorted(pairs.values())
        if kept:
            first, last = kept[0], kept[-1]
            for i, unit in enumerate(old_units):
                if first < i < last and i not in pairs.values() and not unit.is_def \
                        and unit.key[0] != "main":
                    changes.append(_Change(unit.start, unit.end, []))
    return changes


def _merge_class(old: Unit, new: Unit, old_lines: list[str], new_lines: list[str], *,
                 whole: bool) -> list[_Change]:
    assert isinstance(old.node, ast.ClassDef) and isinstance(new.node, ast.ClassDef)
    changes: list[_Change] = []
    old_head = old_lines[old.start:old.node.body[0].lineno - 1]
    new_head_end = new.node.body[0].lineno - 1
    new_head = new_lines[new.start:new_head_end]
    # The class line (bases, decorators) changed: its header lines are replaced.
    # A class line without decorators or bases is a shell around changed members (the
    # model rarely repeats them); a different one with them is a change of its own.
    shell = not new.node.decorator_list and not new.node.bases and not new.node.keywords
    if not shell and _class_line(old.node) != _class_line(new.node):
        head_start, head_end = old.start, old.node.body[0].lineno - 1
        # Only the header statement itself (decorators to the colon), not comments below.
        changes.append(_Change(head_start, head_end,
                               strip_change_notes(new_head, old_head)))
    old_members = units_of(old.node.body)
    new_members = units_of(new.node.body)
    # Whole only if the reply's class holds every method of the original.
    old_defs = {u.name for u in old_members if u.is_def}
    new_defs = {u.name for u in new_members if u.is_def}
    changes += _merge_body(old_members, new_members, old_lines, new_lines,
                           whole=whole and old_defs <= new_defs, container_end=old.end,
                           top=False)
    return changes


def _class_line(node: ast.ClassDef) -> list[str]:
    return [node.name, *(ast.dump(n) for n in (*node.decorator_list, *node.bases,
                                               *node.keywords))]


def _is_partial(old_units: list[Unit], new_units: list[Unit]) -> bool:
    """The reply holds only some of the file (the definitions and statements it changes):
    nothing it leaves out is removed. A whole file holds every definition, most of the
    units, and code that runs if the original has some."""
    new_keys = {u.key for u in new_units}
    old_defs = {u.key for u in old_units if u.is_def}
    if not old_defs <= new_keys or 2 * len(new_units) < len(old_units):
        return True
    has_code = any(u.key[0] in ("stmt", "main") for u in new_units)
    old_code = any(u.key[0] in ("stmt", "main") for u in old_units)
    return old_code and not has_code


def apply_edit(original: str, reply: str, near: Sequence[int] = ()) -> str:
    """The file that results from ``reply`` (a whole file, or only the definitions and
    imports it changes) applied to ``original``, unit by unit (see the module); ``near``:
    the failure's lines in the original (1-based), where a changed top-level statement of
    a part reply most likely belongs. A reply or an original that does not parse is
    taken as it is (the run will say why)."""
    try:
        old_tree = ast.parse(original)
    except (SyntaxError, ValueError):
        return reply
    try:
        new_tree = ast.parse(reply)
    except (SyntaxError, ValueError):
        opened = _open_outline_headers(reply)
        try:
            new_tree = ast.parse(opened)
        except (SyntaxError, ValueError):
            return reply
        reply = opened
    old_units, new_units = units_of(old_tree.body), units_of(new_tree.body)
    if not old_units or not new_units:
        return reply
    homed = _methods_home(old_units, new_units, reply, near)
    if homed != reply:
        reply = homed
        new_tree = ast.parse(reply)
        new_units = units_of(new_tree.body)
    old_lines = original.split("\n")
    new_lines = reply.split("\n")
    whole = not _is_partial(old_units, new_units)
    changes = _merge_body(old_units, new_units, old_lines, new_lines, whole=whole,
                          container_end=len(old_lines) - (1 if original.endswith("\n") else 0),
                          top=True, near=near)
    return _apply(old_lines, changes)


_OUTLINE_HEADER = re.compile(
    r"^(?P<head>\s*(?:async\s+def|def|class)\s+\w+[^#]*?:)\s*\.\.\.\s*(?:#.*)?$")


def _open_outline_headers(reply: str) -> str:
    """``reply`` with the view's outline lines that the model wrote above the members it
    changed (``class Option: ...  # methods: __init__, ...`` followed by an indented
    ``def``) opened into plain headers (``class Option:``), so the members parse."""
    lines = reply.split("\n")
    for i, line in enumerate(lines):
        found = _OUTLINE_HEADER.match(line)
        if found and _opens_block(lines, i):
            lines[i] = found.group("head")
    return "\n".join(lines)


def _opens_block(lines: list[str], i: int) -> bool:
    """The next non-blank line after ``lines[i]`` is indented deeper than it."""
    following = next((x for x in lines[i + 1:] if x.strip()), "")
    return len(_indent_of(following)) > len(_indent_of(lines[i]))


def _methods_home(old_units: list[Unit], new_units: list[Unit], reply: str,
                  near: Sequence[int] = ()) -> str:
    """``reply`` with each method put in the class that has it: a method written without
    its class (``def tok_table(self):`` at the top level, where the original has no such
    function but one class has such a method) put back inside a ``class`` line, and a
    method written in a bare ``class B:`` line that B does not have, where another class
    does (the one nearest the failure, when several do: a small model copies the wrong
    outline line above it), moved into that class, so it replaces that method."""
    top = {u.name for u in old_units if u.is_def}
    owners: dict[str, list[Unit]] = {}
    methods: dict[str, set[str]] = {}
    for unit in old_units:
        if isinstance(unit.node, ast.ClassDef):
            for member in units_of(unit.node.body):
                if member.is_def:
                    owners.setdefault(member.name, []).append(unit)
                    methods.setdefault(unit.name, set()).add(member.name)
    lines = reply.split("\n")
    moves: list[tuple[int, int, str, bool]] = []  # (start, end, owner, indent it)
    for unit in new_units:
        node = unit.node
        if isinstance(node, ast.ClassDef) and node.name in methods and not (
                node.decorator_list or node.bases or node.keywords):
            for member in units_of(node.body):
                if not member.is_def or member.name in methods[node.name]:
                    continue
                homes = [o for o in owners.get(member.name, []) if o.name != node.name]
                if len(homes) > 1 and near:
                    ranked = sorted(homes, key=lambda o: _distance(o, near))
                    homes = ranked[:1] if _distance(ranked[0], near) < _distance(
                        ranked[1], near) else []
                if len(homes) == 1:
                    moves.append((member.start, member.end, homes[0].name, False))
            continue
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name in top:
            continue
        args = node.args.posonlyargs + node.args.args
        if not args or args[0].arg not in ("self", "cls") or len(owners.get(node.name, [])) != 1:
            continue
        moves.append((unit.start, unit.end, owners[node.name][0].name, True))
    if not moves:
        return reply
    moved: list[str] = []
    for start, end, owner, indent in sorted(moves, reverse=True):
        body = lines[start:end]
        if indent:
            body = ["    " + line if line.strip() else line for line in body]
            lines[start:end] = [f"class {owner}:", *body]
        else:  # out of the wrong class, to the end of the reply in a class line of its own
            del lines[start:end]
            moved[:0] = ["", f"class {owner}:", *body]
    text = "\n".join([*lines, *moved])
    try:
        tree = ast.parse(text)
    except SyntaxError:  # the wrong class lost its only member: drop its empty line
        text = _drop_empty_classes("\n".join(lines)) + "\n" + "\n".join(moved)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return reply
    return text if tree.body else reply


def _drop_empty_classes(text: str) -> str:
    """``text`` without ``class X:`` lines that have no indented line after them."""
    lines = text.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        if re.match(r"\s*class\s+\w+\s*:\s*(#.*)?$", line) and not _opens_block(lines, i):
            continue
        out.append(line)
    return "\n".join(out)


def _apply(lines: list[str], changes: list[_Change]) -> str:
    # Bottom-up, so earlier positions stay valid; an insertion at a replaced unit's start
    # goes before it (sorted after the replacement, which is applied first).
    ordered = sorted(enumerate(changes),
                     key=lambda item: (item[1].start, item[1].end > item[1].start, item[0]),
                     reverse=True)
    out = list(lines)
    for _, change in ordered:
        out[change.start:change.end] = change.lines
    return "\n".join(out)


def merge_partial(original: str, candidate: str) -> str:
    """The file ``oci fix`` runs for a reply's program ``candidate`` (:func:`apply_edit`)."""
    return apply_edit(original, candidate)
