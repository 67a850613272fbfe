"""The words the terminal uses for the loop's events, shared by `oci run`/`oci fix`'s view
(loop_view.py) and `oci chat` (chat.py, chat_view.py), so the two say the same thing the
same way."""

from __future__ import annotations

from collections.abc import Sequence

from oci_interpreter.ui.console import one_line

PURPOSE: dict[str, str] = {
    "answer": "",
    "conclude": "the model reads the result",
    "resample": "the model repeated a program; sampling another",
    "candidate": "another candidate",
    "agreement": "another program for the same request, to compare answers",
    "explain": "the model traces the failure step by step",
}
"""Why the model is writing (``ModelStart.purpose``); empty for a plain answer."""


def other_languages(languages: Sequence[str]) -> str:
    """A reply held code in another language: shown, not run."""
    return f"({', '.join(languages)} block shown, not run: only Python runs)"


def stopped(message: str) -> str:
    """The loop's stop message (it may quote a program's exception) as one line."""
    return f"stopped: {one_line(message)}"


INTERRUPTED = "interrupted"
REPLY_STOPPED = "(reply stopped)"
UNFOUNDED_RESULT = ("(no program ran in this turn: the result the reply speaks of does not "
                    "exist)")
"""The chat, after a turn whose reply cited a result no program produced (agent/claims.py)."""

# `oci fix` and the chat's /fix: the same questions (loop_view.print_fix_outcome says how
# it ended, in the same words for both).
WRITING_CHECK = "writing a check from your description"
USE_CHECK = "Use this check?"


def write_fix(name: str, git: str | None) -> str:
    """The question before a fix is written; a file with uncommitted git changes says so."""
    note = f" ({name} has {git} changes in git)" if git else ""
    return f"Write the fix to {name}{note}?"
