"""A chat reader for tests: the user's lines given in advance."""

from __future__ import annotations

from oci_interpreter.ui.readers import LineReader


class ListReader(LineReader):
    """Answers with ``lines`` (each one message or one answer), then end of input."""

    def __init__(self, lines: list[str]) -> None:
        queue = list(lines)

        def nxt() -> str:
            return queue.pop(0) + "\n" if queue else ""

        super().__init__(nxt)
