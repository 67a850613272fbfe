"""Consoles and text hygiene for everything oci prints.

Two rules, for any text that came from a program (its output, an exception message, a
file name it created) or from a model:

- it never reaches the terminal as escape sequences or control characters: every console
  oci makes (:func:`make_console`) passes what it prints through :func:`sanitize`, whatever
  the call site (a render hook, so oci's own colours and Rich's cursor moves stay);
- in one of oci's own one-line messages (a status line, "could not fix ...", a name in a
  list) it stays on that line: :func:`one_line` shows line breaks and other controls as
  escapes (``\\n``), so a file named ``"x\\n✓ exit code 0"`` cannot forge a line of oci's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from rich.console import (
    Console,
    ConsoleOptions,
    ConsoleRenderable,
    RenderableType,
    RenderHook,
    RenderResult,
)
from rich.segment import Segment
from rich.table import Table

# CSI, OSC, DCS/APC/PM/SOS strings and lone ESC sequences; then other C0/C1 controls
# except tab and newline. Model output and program output pass through this before
# reaching the terminal, so neither can move the cursor, retitle the window or
# smuggle hyperlinks.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    # Bidirectional overrides and isolates ("Trojan Source"): they reorder what is shown.
    r"|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def sanitize(text: str) -> str:
    """Remove terminal escape sequences, control characters (keeps \\n and \\t) and
    bidirectional overrides."""
    return _ESCAPES.sub("", text.replace("\r\n", "\n"))


# Within one line: every C0/C1 control (line breaks and tabs included), the other line
# separators Python and terminals know, bidirectional overrides, and lone surrogates (bytes
# of a file name that are not UTF-8, as os.fsdecode gives them).
_NOT_IN_A_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as surrogateescape keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` for one line of oci's own output: line breaks, tabs, escape sequences and
    other control characters, bidirectional overrides and undecodable bytes become visible
    escapes (``\\n``, ``\\x1b``, ``\\u202e``, ``\\xff``), so the text can neither start a
    line of its own nor act on the terminal."""
    return _NOT_IN_A_LINE.sub(_escape, text)


def printable(text: str) -> str:
    """:func:`sanitize`, and lone surrogates (undecodable bytes of a file name) shown as
    ``\\xff``: what every console of oci's writes."""
    return _SURROGATES.sub(_escape, sanitize(text))


class _Sanitized:
    """Renders ``renderable`` with every piece of text through :func:`printable`; Rich's
    own control segments (cursor moves of a live display, an image's data) pass as they
    are, and styles are applied afterwards by the console."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            if segment.control or not segment.text:
                yield segment
                continue
            clean = printable(segment.text)
            yield segment if clean == segment.text else Segment(clean, segment.style)


class _SanitizeHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]
                            ) -> list[ConsoleRenderable]:
        return [_Sanitized(r) for r in renderables]


def sanitized(console: Console) -> Console:
    """``console``, made to sanitize everything it prints (:func:`printable`)."""
    if not any(isinstance(h, _SanitizeHook) for h in _hooks(console)):
        console.push_render_hook(_SanitizeHook())
    return console


def _hooks(console: Console) -> Iterable[RenderHook]:
    return getattr(console, "_render_hooks", ())


def make_console(file: TextIO, *, terminal: bool = False) -> Console:
    """A Rich console writing to ``file``; honours NO_COLOR, TERM=dumb and narrow
    terminals by itself. Not on a ``terminal`` (a pipe, a file, a log: what the caller
    knows, cli/environment.py), lines are not wrapped: a one-line message stays one line
    for whoever reads it (panels and tables keep their width). Whatever it prints is
    sanitized (:func:`sanitized`)."""
    return sanitized(Console(file=file, highlight=False, soft_wrap=not terminal,
                             emoji=False))


def print_table(console: Console, table: Table, *, terminal: bool) -> None:
    """``table`` on ``console``; not on a terminal (``| cat``, ``| grep``), each row is one
    whole line: no cell wraps or folds at 80 columns (a path stays greppable)."""
    if terminal:
        console.print(table)
        return
    for column in table.columns:
        column.no_wrap = True
        column.overflow = "ignore"
    width = console.width
    console.width = 10_000  # print(width=) is capped at the console's own width
    try:
        console.print(table, crop=False)
    finally:
        console.width = width
