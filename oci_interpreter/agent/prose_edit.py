"""An edit a repair reply states in words: "the line `a.get_domain()` is wrong, it should
be `a.GetDomain()`".

Pure (parsing through agent/codeinfo.py's parse_module). The repair request asks the
model to say first, in one sentence, which line is wrong and how to change it
(agent/prompts.py). A small model often does exactly that and then writes no code, or
writes code that changes nothing (it copies the view it was shown). :func:`prose_edit`
turns such a sentence into the edit it states, so the round is not lost; what comes out
is a candidate like any other: run, and kept only on the same evidence.

What counts as a stated edit (inline code spans, single or double backticks):

1. **A pair**: a span ``old`` that occurs in the file and a span ``new`` that is a variant of
   it (difflib ratio at least :data:`PAIR_RATIO`) and does not occur in that line: ``old``
   is replaced by ``new`` in the one line that holds it. With several such lines, only the
   lines of the failure (``near``) count; still several, or ``old`` twice in the line: no
   edit. The order of the two spans does not matter ("`b` instead of `a`"); when each of
   them could be the old one, the one on a line of the failure is, and with none or both
   there, the pair states no edit. A pair is used once, one way; an old span with two
   different replacements states none.
2. **A whole line**: a span that parses as a Python statement, is not a line of the file,
   and is close (ratio at least :data:`LINE_RATIO`) to exactly one line (of the failure's
   lines, when several are close): that line becomes the span, with the line's indentation.

3. **A missing import**: a span that is one ``import`` statement whose names the file uses
   and never binds at module level ("add `import codecs` at the top") goes after the
   file's top-level imports.

Pairs are tried first, the longest ``old`` first; each line is edited once. The result
must parse, and must differ from the file; otherwise None.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Sequence

from oci_interpreter.agent.codeinfo import parse_module
from oci_interpreter.agent.extract import outside_blocks

PAIR_RATIO = 0.5
"""How alike an old span and its replacement must be (difflib's ratio)."""
LINE_RATIO = 0.75
"""How alike a stated line and the file's line it replaces must be."""
_SPAN = re.compile(r"``([^`\n]+?)``|`([^`\n]+)`")


def spans(reply: str) -> list[str]:
    """The inline code spans of ``reply`` outside fenced blocks (and before a fence that
    is never closed), in order, without repeats and without the ones that are blank."""
    text = outside_blocks(reply)
    out: list[str] = []
    for match in _SPAN.finditer(text):
        span = (match.group(1) or match.group(2)).strip()
        if span and span not in out:
            out.append(span)
    return out


def _statement(text: str) -> bool:
    return parse_module(text + (" pass" if text.endswith(":") else "")) is not None


def _parses(text: str) -> bool:
    return parse_module(text) is not None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _one(candidates: list[int], near: Sequence[int]) -> int | None:
    """The one line of ``candidates`` (0-based), or the one of them on the failure."""
    if len(candidates) == 1:
        return candidates[0]
    on_failure = [i for i in candidates if i + 1 in near]
    return on_failure[0] if len(on_failure) == 1 else None


def _body_and_end(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body):]


def prose_edit(original: str, reply: str, near: Sequence[int] = ()) -> str | None:
    """``original`` with the edits ``reply`` states in words (see the module's docstring),
    or None when it states none that applies. ``near``: the failure's lines (1-based)."""
    found = spans(reply)
    if not found:
        return None
    lines = original.splitlines(keepends=True)
    bodies = [_body_and_end(line)[0] for line in lines]
    edited: dict[int, str] = {}

    def holder(old: str, new: str) -> int | None:
        if len(old) < 2 or old not in original:
            return None
        at = _one([i for i, body in enumerate(bodies)
                   if old in body and new not in body and body.count(old) == 1], near)
        return None if at is None or at in edited else at

    pairs = [(a, b) for k, a in enumerate(found) for b in found[k + 1:]
             if _ratio(a, b) >= PAIR_RATIO]
    pairs.sort(key=lambda p: -max(len(p[0]), len(p[1])))
    # An old text with two different replacements ("`path[2]` ... `path[0]` and
    # `path[1]`") states no edit.
    news: dict[str, set[str]] = {}
    for a, b in pairs:
        for old, new in ((a, b), (b, a)):
            if holder(old, new) is not None:
                news.setdefault(old, set()).add(new)
    pairs = [(a, b) for a, b in pairs if len(news.get(a, ())) <= 1 and len(news.get(b, ())) <= 1]
    for a, b in pairs:
        if any((a in bodies[at] and b in line) or (b in bodies[at] and a in line)
               for at, line in edited.items()):
            continue  # a longer pair made this change already
        ways = [(at, old, new) for old, new in ((a, b), (b, a))
                if (at := holder(old, new)) is not None]
        if len(ways) == 2:  # both ways apply: the one on the failure, if only one is
            ways = [w for w in ways if w[0] + 1 in near]
        if len(ways) != 1:
            continue
        at, old, new = ways[0]
        _keep_if_parses(lines, edited, at, bodies[at].replace(old, new, 1))

    imports: list[str] = []
    for span in found:
        if not _statement(span) or any(body.strip() == span for body in bodies):
            continue
        if re.match(r"(import|from)\s", span):
            if _missing_import(original, span):
                imports.append(span)
            continue  # an import is added, never put in place of another line
        at = _closest_line(bodies, span, near)
        if at is not None and at not in edited:
            _keep_if_parses(lines, edited, at, _indent(bodies[at]) + span)
    if imports:
        after = _imports_end(original)
        if after is None:
            return None
        newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
        if after and not lines[after - 1].endswith(("\n", "\r")):
            lines[after - 1] += newline  # the last line of the file had no line end
        lines[after:after] = [line + newline for line in imports]
        edited = {(at + len(imports) if at >= after else at): text
                  for at, text in edited.items()}
        return _edited(original, lines, edited, force=True)
    return _edited(original, lines, edited)


def _keep_if_parses(lines: list[str], edited: dict[int, str], at: int, text: str) -> None:
    """Adds the edit of line ``at`` to ``edited`` when the file still parses with it (a
    mention such as "`codecs`" next to "`import codecs`" is not an edit)."""
    trial = dict(edited)
    trial[at] = text
    out = list(lines)
    for k, body in trial.items():
        out[k] = body + _body_and_end(lines[k])[1]
    if _parses("".join(out)):
        edited[at] = text


def _missing_import(original: str, span: str) -> bool:
    """``span`` is one ``import``/``from ... import`` statement whose names the file uses
    and never binds at module level ("add `import codecs` at the top")."""
    tree, module = parse_module(span), parse_module(original)
    if tree is None or module is None:
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Import, ast.ImportFrom)):
        return False
    bound = {(a.asname or a.name).split(".")[0] for a in tree.body[0].names}
    if "*" in bound:
        return False
    defined: set[str] = set()
    for node in module.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    used = {n.id for n in ast.walk(module) if isinstance(n, ast.Name)}
    return bool(bound) and not bound & defined and bound <= used


def _imports_end(original: str) -> int | None:
    """The line (1-based) after which a new import goes (agent/edits.py's rule: after the
    docstring and the leading imports), or 0 (the top). None when the file does not
    parse."""
    from oci_interpreter.agent.edits import import_line, units_of

    module = parse_module(original)
    return None if module is None else import_line(units_of(module.body))


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _closest_line(bodies: list[str], text: str, near: Sequence[int]) -> int | None:
    """The one line (0-based) ``text`` is a changed copy of, or None."""
    close = [i for i, body in enumerate(bodies)
             if body.strip() and _ratio(body.strip(), text) >= LINE_RATIO]
    return _one(close, near)


MAX_FRAGMENT_LINES = 5
"""A code block of at most this many lines, with no definition or import, may be lines
of a function rather than top-level code (see :func:`fragment_edit`)."""


def fragment_edit(original: str, code: str, near: Sequence[int] = ()) -> str | None:
    """``original`` with the lines of a short code block (``parsed.append(Argument(None,
    tokens.move()))``) put where their changed copies are: each line of the block is a line
    of the file (left as it is) or close (ratio at least :data:`LINE_RATIO`) to exactly one
    line (of the failure's lines, when several are), which it replaces with that line's
    indentation. None in a file of at most 10 different lines (a reply there is the whole
    file), or when the block has more than :data:`MAX_FRAGMENT_LINES` lines, a
    ``def``, ``class``, decorator or import, a line that is neither, or changes nothing:
    then it is top-level code for agent/edits.py."""
    written = [line.strip() for line in code.splitlines() if line.strip()]
    if not written or len(written) > MAX_FRAGMENT_LINES:
        return None
    if any(re.match(r"(async\s+def|def|class|import|from)\b|@", line) for line in written):
        return None
    lines = original.splitlines(keepends=True)
    bodies = [_body_and_end(line)[0] for line in lines]
    stripped = {body.strip() for body in bodies}
    if len(stripped - {""}) <= 2 * MAX_FRAGMENT_LINES:
        return None  # a file this short is written whole: agent/edits.py reads the reply
    edited: dict[int, str] = {}
    for line in written:
        if line in stripped:
            continue
        if line.startswith("#"):
            continue  # a comment about the change
        if not _statement(line):
            return None
        at = _closest_line(bodies, line, near)
        if at is None or at in edited:
            return None
        edited[at] = _indent(bodies[at]) + line
    return _edited(original, lines, edited)


def _edited(original: str, lines: list[str], edited: dict[int, str], *,
            force: bool = False) -> str | None:
    """``lines`` (the lines of ``original``, or with lines inserted: ``force``) with the
    lines ``edited`` (0-based index to text without its line end), when that changes
    ``original`` and still parses."""
    if not edited and not force:
        return None
    out = list(lines)
    for at, body in edited.items():
        out[at] = body + _body_and_end(lines[at])[1]
    text = "".join(out)
    if text == original or not _parses(text):
        return None
    return text
