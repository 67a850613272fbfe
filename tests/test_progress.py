"""The byte progress bar: shown for work that has bytes to count, not before."""

from __future__ import annotations

import io

from rich.console import Console

from oci_interpreter.ui.progress import byte_progress


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_no_empty_bar_when_nothing_is_counted() -> None:
    console, out = terminal()
    with byte_progress(console, "preparing model", waiting="loading the model"):
        pass  # an assembled, verified model: the loader never reports bytes
    text = out.getvalue()
    assert "bytes" not in text and "/?" not in text
    assert "loading the model" in text


def test_the_bar_appears_with_the_first_bytes() -> None:
    console, out = terminal()
    with byte_progress(console, "preparing model", waiting="loading the model") as bar:
        bar(1_000_000, 4_000_000)
        bar(4_000_000, 4_000_000)
    assert "preparing model" in out.getvalue()
