"""The progress of a reply (ui/loop_view.py, issue 37): while the model reads a long
request, the line says so with the request's size, not "writing… 0 tokens · 0.0 tok/s";
the writing rate counts from the first token, so the reading does not lower it."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from oci_interpreter.agent.events import ModelStart, ModelText
from oci_interpreter.ui import loop_view
from oci_interpreter.ui.loop_view import LoopView


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("stream_text", [False, True])
def test_reading_then_writing_at_the_rate_of_the_writing(
        monkeypatch: pytest.MonkeyPatch, stream_text: bool) -> None:
    clock = Clock()
    monkeypatch.setattr(loop_view.time, "monotonic", clock)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    view = LoopView(console, stream_text=stream_text, rounds=3)
    view(ModelStart(1, "answer", prompt_tokens=3210))
    clock.now += 120  # two minutes reading a long file
    shown = view._progress().plain
    assert shown == "the model is reading the request… 3,210 tokens · 120 s"
    view(ModelText("def "))
    for _ in range(40):  # 40 more tokens in 10 s: 4.0 tok/s, whatever the reading took
        clock.now += 0.25
        view(ModelText("x"))
    assert view._progress().plain == "the model is writing… 41 tokens · 4.0 tok/s"
    view._stop_live()
