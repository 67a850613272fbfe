"""The minimal chat loop with the scripted fake backend (no model, no terminal)."""

from __future__ import annotations

import io

from oci_cli.backend.base import GenerationOptions
from oci_cli.backend.fake import FakeBackend
from oci_cli.ui.chat import run_chat
from oci_cli.ui.console import make_console, sanitize


def reader(lines: list[str]):  # type: ignore[no-untyped-def]
    it = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return read


def test_conversation_transcript_and_history() -> None:
    backend = FakeBackend(["Hello there!", "Second \x1b[31mreply\x1b[0m."])
    out = io.StringIO()
    code = run_chat(backend, make_console(file=out), reader(["hi", "", "again", "/exit"]),
                    GenerationOptions())
    text = out.getvalue()
    assert code == 0
    assert "Hello there!" in text
    assert "Second reply." in text and "\x1b[31m" not in text
    assert len(backend.calls) == 2
    second = backend.calls[1]
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    assert second[2].content == "Hello there!"
    assert "tok/s" in text and "cached" in text


def test_eof_exits_cleanly() -> None:
    backend = FakeBackend()
    out = io.StringIO()
    assert run_chat(backend, make_console(file=out), reader([]), GenerationOptions()) == 0
    assert backend.calls == []


def test_sanitize_strips_escapes_but_keeps_text() -> None:
    evil = "ok\x1b]0;title\x07 \x1b[2J\x1b[Hdone\r\n\ttab\x00\x9b"
    assert sanitize(evil) == "ok done\n\ttab"
