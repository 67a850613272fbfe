"""Claims a reply makes that no run stands behind.

The check so far: a reply that speaks of an execution result ("the output shows ...", "the
execution result confirms ...") when no program ran -- the model made the result up.
:class:`ResultClaims` follows a loop's events (any client can: `oci chat` says so after
the turn, `oci run` could after its loop); :func:`cites_result` is the test on one reply.
Nothing here changes what the model reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from oci_interpreter.agent.events import Event, ExecutionStart, ModelReply

CITES_RESULT = re.compile(r"execution result|the output (shows|confirms|is)|"
                          r"the program (printed|output)|as (shown|seen) (in|from) the output",
                          re.IGNORECASE)
"""Words by which a reply says it read a program's result."""


def cites_result(text: str) -> bool:
    """Does ``text`` (a reply) speak of a program's result as if it had read one?"""
    return CITES_RESULT.search(text) is not None


@dataclass(frozen=True)
class UnfoundedResult:
    """A reply spoke of an execution result, but no program ran: yielded (by the chat's
    controller) just before the :class:`~oci_interpreter.agent.events.Stopped` event."""

    kind: Literal["unfounded_result"] = "unfounded_result"


class ResultClaims:
    """Follows one loop's events (:meth:`see` each); :attr:`unfounded` once a reply cited a
    result and no program has run."""

    def __init__(self) -> None:
        self.cited = False
        """A reply spoke of an execution result."""
        self.ran = False
        """A program started to run."""

    def see(self, event: Event) -> None:
        if isinstance(event, ModelReply) and cites_result(event.text):
            self.cited = True
        elif isinstance(event, ExecutionStart):
            self.ran = True

    @property
    def unfounded(self) -> bool:
        return self.cited and not self.ran
