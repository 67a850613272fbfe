"""Search/replace blocks: edits a model writes for lines outside any definition.

Standard library only; raises nothing but :class:`EditError`. The format is aider's::

    script.py                  <- optional file name line
    <<<<<<< SEARCH
    old lines
    =======
    new lines
    >>>>>>> REPLACE

inside or outside a ```python fence. :func:`find_replace_blocks` reads the blocks of a
reply; :func:`apply_replace_blocks` applies them in order, each to the result of the
previous one, and raises :class:`EditError` with a one-line message the model can act on
when a block matches no place or several.

Reading (lenient, for small models): 5 to 9 marker characters, spaces between the marker
and the word and after it, ``SEARCH``/``REPLACE`` in any case, marker lines indented (a
block in a list item), CRLF replies. A block that is not complete (no divider, no
``>>>>>>> REPLACE`` before the next ``<<<<<<< SEARCH`` or the end of the reply) is left
out. A second divider line also ends the REPLACE part (as in aider). A section wrapped
whole in a fence (`` ```python `` ... `` ``` ``) loses the fence. A divider line is a
divider even inside a docstring (an RST underline of exactly 5 to 9 ``=``): the format
cannot tell them apart.

Matching (lines, never parts of lines), level by level; a block must match exactly one
place at the first level that matches anywhere, else :class:`EditError`:

1. the SEARCH lines as they are (line ends aside: a CRLF file matches LF lines);
2. ignoring trailing whitespace;
3. ignoring indentation shifted as a whole (aider's
   ``replace_part_with_missing_leading_whitespace``): the SEARCH lines match once the
   indentation they share is replaced by one the file has; the REPLACE lines are then
   re-indented by the same shift (a method quoted without its class indentation);
4. levels 1-3 again without the blank lines SEARCH starts or ends with (a blank line the
   model added after ``<<<<<<< SEARCH``); as many blank lines are dropped from the same
   end of REPLACE when it has them.

An empty SEARCH is allowed only on an empty (or blank) file: the file becomes REPLACE.
New lines get the file's line end (CRLF when most of its lines end so); the file keeps
its final newline or its lack of one; lines outside the replaced ones are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["EditError", "ReplaceBlock", "apply_replace_blocks", "find_replace_blocks"]


class EditError(Exception):
    """A block cannot be applied. ``str(error)`` is one line, written for the model."""

    def __init__(self, message: str, block: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.block = block
        """0-based index of the block that failed, when one did."""


@dataclass(frozen=True)
class ReplaceBlock:
    """One search/replace edit. Each section is its lines, each ending with ``"\\n"``
    (``""`` is no line; a missing final ``"\\n"`` is tolerated)."""

    search: str
    replace: str
    filename: str = ""
    """The file name written on the line before the block, or ``""``."""


# ----------------------------------------------------------------------------- reading

_HEAD = re.compile(r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*>?[ \t]*$", re.I)
_DIVIDER = re.compile(r"^[ \t]*={5,9}[ \t]*$")
_TAIL = re.compile(r"^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$", re.I)
_FENCE_OPEN = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[^`]*$")
_FENCE_CLOSE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[ \t]*$")
_FILENAME = re.compile(r"^[\w.\-/\\]*[\w\-]\.\w+$")


def find_replace_blocks(reply: str) -> list[ReplaceBlock]:
    """The complete search/replace blocks of a reply, in order (see the module
    docstring). Never raises: ``[]`` when there are none."""
    try:
        return _find(reply)
    except Exception:  # never raise on model output
        return []


def _reply_lines(reply: str) -> list[str]:
    return [line[:-1] if line.endswith("\r") else line for line in reply.split("\n")]


def _find(reply: str) -> list[ReplaceBlock]:
    if not isinstance(reply, str):
        return []
    lines = _reply_lines(reply)
    blocks: list[ReplaceBlock] = []
    i, n = 0, len(lines)
    after_previous = 0  # the file name is looked for after the previous block only
    while i < n:
        if not _HEAD.match(lines[i]):
            i += 1
            continue
        head = i
        j = i + 1
        while j < n and not (_DIVIDER.match(lines[j]) or _HEAD.match(lines[j])):
            j += 1
        if j >= n or not _DIVIDER.match(lines[j]):
            i = j  # no divider: incomplete; a new head starts over
            continue
        divider = j
        j += 1
        while j < n and not (
            _TAIL.match(lines[j]) or _DIVIDER.match(lines[j]) or _HEAD.match(lines[j])
        ):
            j += 1
        if j >= n or _HEAD.match(lines[j]):
            i = j  # cut off, or the model forgot the REPLACE line: left out
            continue
        search = _section(lines[head + 1 : divider])
        replace = _section(lines[divider + 1 : j])
        name = _filename(lines[after_previous:head])
        blocks.append(ReplaceBlock(search, replace, name))
        i = after_previous = j + 1
    return blocks


def without_blocks(reply: str) -> str:
    """``reply`` with the lines of its complete blocks (head to tail) removed, so what
    else it holds (a ```python block of whole definitions) can be read on its own."""
    lines = _reply_lines(reply)
    keep = [True] * len(lines)
    i, n = 0, len(lines)
    while i < n:
        if not _HEAD.match(lines[i]):
            i += 1
            continue
        j = i + 1
        while j < n and not (_TAIL.match(lines[j]) or _HEAD.match(lines[j])):
            j += 1
        if j < n and _TAIL.match(lines[j]):
            for k in range(i, j + 1):
                keep[k] = False
        i = j if j < n and _HEAD.match(lines[j]) else j + 1
    return "\n".join(line for line, kept in zip(lines, keep, strict=True) if kept)


def _section(lines: list[str]) -> str:
    if len(lines) >= 2 and _FENCE_OPEN.match(lines[0]) and _FENCE_CLOSE.match(lines[-1]):
        lines = lines[1:-1]
    return "".join(line + "\n" for line in lines)


def _filename(before: list[str]) -> str:
    """The file name on the last non-blank line before a block (a fence opener aside)."""
    for line in reversed(before[-4:]):
        s = line.strip()
        if not s:
            continue
        if _FENCE_OPEN.match(s):
            words = s.lstrip("`~").split()
            if len(words) >= 2 and _FILENAME.match(words[-1]):
                return words[-1]  # ```python script.py
            continue
        s = s.lstrip("#").strip().strip("*`").rstrip(":").strip().strip("*`")
        return s if _FILENAME.match(s) else ""
    return ""


# ---------------------------------------------------------------------------- applying


def apply_replace_blocks(text: str, blocks: Sequence[ReplaceBlock]) -> str:
    """``text`` with the blocks applied in order; :class:`EditError` when one cannot be
    (see the module docstring for the matching rules)."""
    try:
        return _apply(text, blocks)
    except EditError:
        raise
    except Exception as e:  # a bug here must not look like any other failure
        raise EditError(f"the edits could not be applied ({type(e).__name__})") from e


def _apply(text: str, blocks: Sequence[ReplaceBlock]) -> str:
    for number, block in enumerate(blocks):
        text = _apply_one(text, block, number)
    return text


def _split_section(section: str) -> list[str]:
    if not section:
        return []
    lines = _reply_lines(section)
    if section.endswith("\n"):
        lines.pop()
    return lines


@dataclass
class _File:
    lines: list[str]
    """Contents, without line ends."""
    ends: list[str]
    """``"\\n"``, ``"\\r\\n"`` or ``""`` (the last line, without a final newline)."""
    eol: str

    @classmethod
    def read(cls, text: str) -> _File:
        lines: list[str] = []
        ends: list[str] = []
        parts = text.split("\n")
        for k, raw in enumerate(parts):
            if k == len(parts) - 1:
                if raw:
                    lines.append(raw)
                    ends.append("")
            elif raw.endswith("\r"):
                lines.append(raw[:-1])
                ends.append("\r\n")
            else:
                lines.append(raw)
                ends.append("\n")
        crlf = ends.count("\r\n")
        eol = "\r\n" if crlf > len(ends) - crlf - ends.count("") else "\n"
        return cls(lines, ends, eol)

    def text(self) -> str:
        return "".join(line + end for line, end in zip(self.lines, self.ends, strict=True))


_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else _ORDINAL_SUFFIX.get(k % 10, "th")
    return f"{k}{suffix}"


def _quote(line: str, limit: int = 120) -> str:
    line = "".join(c if c.isprintable() or c == "\t" else "?" for c in line.replace("`", "'"))
    return f"`{line}`" if len(line) <= limit else f"`{line[:limit]}...`"


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _common_indent(lines: list[str]) -> str:
    indents = [_indent(line) for line in lines if line.strip()]
    if not indents:
        return ""
    common = indents[0]
    for ind in indents[1:]:
        k = 0
        while k < len(common) and k < len(ind) and common[k] == ind[k]:
            k += 1
        common = common[:k]
    return common


# A matcher: (file lines, start, search lines) -> None (no match) or the replacement
# transform for that place (how to turn REPLACE lines into the lines to insert).
_Reindent = Callable[[list[str]], list[str]]


def _same(replace: list[str]) -> list[str]:
    return replace


def _exact(file: list[str], at: int, search: list[str]) -> _Reindent | None:
    for k, s in enumerate(search):
        if file[at + k] != s:
            return None
    return _same


def _rstripped(file: list[str], at: int, search: list[str]) -> _Reindent | None:
    for k, s in enumerate(search):
        if file[at + k].rstrip() != s.rstrip():
            return None
    return _same


def _shifted(file: list[str], at: int, search: list[str]) -> _Reindent | None:
    common = _common_indent(search)
    found: str | None = None
    for k, s in enumerate(search):
        f = file[at + k]
        if not s.strip():
            if f.strip():
                return None
            continue
        if not f.strip():
            return None
        rest = s[len(common) :].rstrip()
        f = f.rstrip()
        if not f.endswith(rest):
            return None
        prefix = f[: len(f) - len(rest)]
        if prefix.strip():
            return None  # the file line has more than whitespace before the text
        if found is None:
            found = prefix
        elif prefix != found:
            return None
    if found is None:
        return None  # only blank lines
    return _reindenter(common, found)


def _reindenter(old: str, new: str) -> _Reindent:
    delta = len(new) - len(old)

    def reindent(replace: list[str]) -> list[str]:
        out = []
        for line in replace:
            if not line.strip():
                out.append(line)
            elif line.startswith(old):
                out.append(new + line[len(old) :])
            elif delta >= 0:
                out.append(new[:delta] + line)  # less indented than SEARCH
            else:
                ind = _indent(line)
                out.append(ind[: max(0, len(ind) + delta)] + line[len(ind) :])
        return out

    return reindent


_LEVELS: tuple[Callable[[list[str], int, list[str]], _Reindent | None], ...] = (
    _exact,
    _rstripped,
    _shifted,
)


def _matches(file: list[str], search: list[str]) -> list[tuple[int, _Reindent]]:
    """Places (first line, re-indenter) of the first level that matches anywhere."""
    first = next(k for k, s in enumerate(search) if s.strip())
    key = search[first].strip()
    # Cheap filter: the text of SEARCH's first non-blank line is on that line of the file.
    starts = [at for at in range(len(file) - len(search) + 1) if key in file[at + first]]
    for level in _LEVELS:
        found = []
        for at in starts:
            how = level(file, at, search)
            if how is not None:
                found.append((at, how))
        if found:
            return found
    return []


def _trimmed(search: list[str], replace: list[str]) -> tuple[list[str], list[str]] | None:
    """SEARCH and REPLACE without the blank lines SEARCH starts or ends with."""
    lead = 0
    while lead < len(search) and not search[lead].strip():
        lead += 1
    if lead == len(search):
        return None
    trail = 0
    while not search[len(search) - 1 - trail].strip():
        trail += 1
    if not lead and not trail:
        return None
    new_search = search[lead : len(search) - trail]
    r_lead = 0
    while r_lead < min(lead, len(replace)) and not replace[r_lead].strip():
        r_lead += 1
    rest = replace[r_lead:]
    r_trail = 0
    while r_trail < min(trail, len(rest)) and not rest[len(rest) - 1 - r_trail].strip():
        r_trail += 1
    return new_search, rest[: len(rest) - r_trail]


def _apply_one(text: str, block: ReplaceBlock, number: int) -> str:
    name = f"the {_ordinal(number + 1)} SEARCH block"
    file = _File.read(text)
    search = _split_section(block.search)
    replace = _split_section(block.replace)
    if not any(s.strip() for s in search):
        if any(line.strip() for line in file.lines):
            raise EditError(
                f"{name} is empty, which is only allowed for an empty file: copy into "
                "SEARCH the lines of the file to replace",
                number,
            )
        return "".join(line + "\n" for line in replace)
    matches = _matches(file.lines, search)
    if not matches:
        trimmed = _trimmed(search, replace)
        if trimmed is not None:
            search, replace = trimmed
            matches = _matches(file.lines, search)
    if not matches:
        raise EditError(
            f"{name} matches no place in the file: " + _miss(file.lines, search), number
        )
    if len(matches) > 1:
        where = ", ".join(str(at + 1) for at, _ in matches[:5])
        more = ", ..." if len(matches) > 5 else ""
        raise EditError(
            f"{name} matches {len(matches)} places (lines {where}{more}); include more "
            "lines so it matches one",
            number,
        )
    at, reindent = matches[0]
    new = reindent(replace)
    stop = at + len(search)
    ends_at_eof = stop == len(file.lines)
    final_newline = not file.ends or file.ends[-1] != ""
    file.lines[at:stop] = new
    file.ends[at:stop] = [file.eol] * len(new)
    if ends_at_eof and file.ends and not final_newline:
        file.ends[-1] = ""  # the file had no final newline: it still has none
    return file.text()


def _miss(file: list[str], search: list[str]) -> str:
    """Why SEARCH matches nothing: the first of its lines that differs from the file at
    the place that matches most of its lines, or that no line of the file is its first."""
    first = next(k for k, s in enumerate(search) if s.strip())
    key = search[first].strip()
    best: tuple[int, int] | None = None  # (lines matched, file line of SEARCH's first)
    for at in range(len(file)):
        if file[at].strip() != key:
            continue
        k = first + 1
        f = at + 1
        while k < len(search) and f < len(file) and file[f].strip() == search[k].strip():
            k += 1
            f += 1
        if best is None or k > best[0]:
            best = (k, at)
    if best is None:
        return f"its first line {_quote(search[first])} is not in the file"
    k, at = best
    f = at + (k - first)
    if k >= len(search):
        return (
            f"its lines match lines {at - first + 1}-{f} of the file only when indentation "
            "is ignored; copy the lines with the indentation they have in the file"
        )
    if f >= len(file):
        return f"its line {k + 1} {_quote(search[k])} is past the end of the file"
    return (
        f"its line {k + 1} {_quote(search[k])} differs from line {f + 1} of the file "
        f"{_quote(file[f])}; copy the lines exactly"
    )
