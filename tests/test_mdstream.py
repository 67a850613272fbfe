"""Markdown streaming: stable lines printed once, nothing repeated, code highlighted."""

from __future__ import annotations

import io
import re

from rich.console import Console

from oci_interpreter.ui.mdstream import MarkdownStream

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal(width: int = 60) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=width, color_system="truecolor",
                   height=20), out


REPLY = ("Plan: count the words.\n\n```python\n" + "".join(
    f"line_{i} = {i}  # step {i}\n" for i in range(30)) + "print(line_29)\n```\n\nDone.")


def test_a_long_reply_streams_without_repeating_lines() -> None:
    console, out = terminal()
    stream = MarkdownStream(console, live_lines=4, interval=0)
    updates = 0
    for i in range(0, len(REPLY), 7):  # small chunks, like tokens
        stream.append(REPLY[i:i + 7])
        updates += 1
    stream.close()
    shown = ANSI.sub("", out.getvalue())
    for i in range(30):
        assert f"line_{i} = {i}  # step {i}" in shown
    # Each update redraws only the live tail (4 lines), never the whole reply: a plain
    # Live(Markdown(reply)) would write about updates x 35 lines here.
    assert len(shown.splitlines()) <= updates * (4 + 2) + 40
    assert "Done." in shown
    assert "```" not in shown  # rendered, not raw Markdown
    assert "\x1b[" in out.getvalue()  # highlighted while streaming


def test_stable_lines_are_printed_before_the_reply_ends() -> None:
    console, out = terminal()
    stream = MarkdownStream(console, live_lines=3, interval=0)
    stream.append(REPLY[: len(REPLY) // 2])
    partial = ANSI.sub("", out.getvalue())
    assert "line_0 = 0" in partial  # printed for good while the rest still streams
    stream.append(REPLY[len(REPLY) // 2:])
    stream.close()


def test_not_a_terminal_prints_the_whole_reply_once_at_the_end() -> None:
    out = io.StringIO()
    console = Console(file=out, width=60)
    stream = MarkdownStream(console)
    stream.append(REPLY[:40])
    assert out.getvalue() == ""
    stream.append(REPLY[40:])
    stream.close()
    text = out.getvalue()
    assert text.count("line_5 = 5") == 1 and "\x1b" not in text
