"""Consoles and text hygiene for everything oci prints."""

from __future__ import annotations

import re
import sys
from typing import TextIO

from rich.console import Console

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


def make_console(file: TextIO | None = None, stderr: bool = False) -> Console:
    """A Rich console; honours NO_COLOR, TERM=dumb and narrow terminals by itself. Not on
    a terminal (a pipe, a file, a log), lines are not wrapped: a one-line message stays
    one line for whoever reads it (panels and tables keep their width)."""
    target = file if file is not None else (sys.stderr if stderr else sys.stdout)
    try:
        terminal = target.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return Console(file=file, stderr=stderr and file is None, highlight=False,
                   soft_wrap=not terminal, emoji=False)


def err_console() -> Console:
    return make_console(file=sys.stderr)
