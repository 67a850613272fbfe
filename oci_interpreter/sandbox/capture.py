"""A program's output as oci keeps it: the head and the tail of each stream within a
budget, the middle elided with a line that says how much, and the total counted."""

from __future__ import annotations

ELIDED = "\n[... "
"""Starts the marker :class:`OutputCapture` puts where it elided the middle of a stream."""


class OutputCapture:
    """Keeps the head and the tail of a stream within ``keep`` bytes; counts the rest."""

    def __init__(self, keep: int) -> None:
        self.head_limit = keep // 2
        self.tail_limit = keep - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> bytes:
        """Store ``data``; return the part that fell within the head (for live display)."""
        self.total += len(data)
        room = self.head_limit - len(self.head)
        shown = b""
        if room > 0:
            shown = data[:room]
            self.head += shown
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]
        return shown

    def text(self) -> str:
        head = self.head.decode("utf-8", "replace")
        elided = self.total - len(self.head) - len(self.tail)
        if elided <= 0:
            return (bytes(self.head) + bytes(self.tail)).decode("utf-8", "replace")
        tail = self.tail.decode("utf-8", "replace")
        return (f"{head}{ELIDED}{elided:,} bytes of output elided: kept the first "
                f"{len(self.head):,} and the last {len(self.tail):,} ...]\n{tail}")
