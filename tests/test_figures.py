"""Figures in the chat (ui/figures.py): which files are drawn, how, and that a hostile or
broken file never breaks the chat. Drawing goes through textual-image into a recorded
Rich console; the chat in a real terminal is in tests/test_chat_screen.py."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console

from oci_interpreter.sandbox.limits import ExecResult
from oci_interpreter.ui import figures


def png(path: Path, size: tuple[int, int] = (40, 20), colour: str = "red") -> Path:
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


def result(*files: str, plots: tuple[str, ...] = ()) -> ExecResult:
    return ExecResult(exit_code=0, stdout="", stderr="", duration_s=0.1, files=tuple(files),
                      plots=plots)


def terminal(width: int = 80) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=width, color_system="truecolor",
                   no_color=False), out


def test_only_regular_images_inside_the_working_directory_are_drawn(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    png(work / "plot.png")
    png(tmp_path / "outside.png")
    (work / "notes.txt").write_text("x")
    os.symlink(tmp_path / "outside.png", work / "link.png")
    (work / "sub").symlink_to(tmp_path)
    big = work / "big.png"
    big.write_bytes(b"\0" * (figures.MAX_BYTES + 1))
    run = result("plot.png", "notes.txt", "link.png", "sub/outside.png", "big.png",
                 str(tmp_path / "outside.png"), plots=("plot.png",))
    assert figures.figure_paths(run, work) == [work / "plot.png"]


# sixel: a DCS sequence; kitty: the image's cells are placeholders (U+10EEEE) that the
# terminal fills with the image it was sent; blocks: upper-half blocks in two colours
@pytest.mark.parametrize(("how", "marker"), [("sixel", "\x1bP"), ("kitty", "\U0010eeee"),
                                            ("blocks", "▀")])
def test_each_way_of_drawing_writes_its_own_kind_of_output(tmp_path: Path, how: str,
                                                           marker: str) -> None:
    png(tmp_path / "plot.png")
    console, out = terminal()
    assert figures.show_figures(console, result("plot.png"), tmp_path, how) == 1
    assert marker in out.getvalue()


def test_nothing_is_drawn_when_off_or_not_on_a_terminal(tmp_path: Path) -> None:
    png(tmp_path / "plot.png")
    console, out = terminal()
    assert figures.show_figures(console, result("plot.png"), tmp_path, "off") == 0
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert figures.show_figures(piped, result("plot.png"), tmp_path, "blocks") == 0
    assert out.getvalue() == ""


def test_auto_draws_only_where_the_terminal_said_it_can(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    png(tmp_path / "plot.png")
    console, out = terminal()
    monkeypatch.setattr(figures, "detected", lambda: None)
    assert figures.show_figures(console, result("plot.png"), tmp_path, "auto") == 0
    monkeypatch.setattr(figures, "detected", lambda: "sixel")
    assert figures.show_figures(console, result("plot.png"), tmp_path, "auto") == 1
    assert "\x1bP" in out.getvalue()


def test_a_file_that_is_not_what_its_name_says_is_named_not_drawn(tmp_path: Path) -> None:
    (tmp_path / "fake.png").write_text("#!/bin/sh\necho not an image\n")
    Image.new("RGB", (8, 8)).save(tmp_path / "gif-named.png", format="GIF")
    console, out = terminal()
    assert figures.show_figures(console, result("fake.png", "gif-named.png"), tmp_path,
                                "blocks") == 0
    text = out.getvalue()
    assert "cannot draw fake.png: not a readable PNG image" in text
    assert "cannot draw gif-named.png" in text


def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    # 1-bit, 10,000 x 10,000: a small file that would decode to 100 megapixels
    Image.new("1", (10_000, 10_000)).save(tmp_path / "bomb.png", format="PNG")
    assert (tmp_path / "bomb.png").stat().st_size < 1_000_000
    console, out = terminal()
    assert figures.show_figures(console, result("bomb.png"), tmp_path, "blocks") == 0
    assert "too large to draw" in out.getvalue()


def test_a_figure_is_never_wider_than_the_terminal(tmp_path: Path) -> None:
    png(tmp_path / "wide.png", size=(2000, 100))
    console, out = terminal(width=30)
    figures.show_figures(console, result("wide.png"), tmp_path, "blocks")
    lines = [line for line in out.getvalue().splitlines() if "▀" in line]
    assert lines and all(line.count("▀") <= 30 for line in lines)


def test_blocks_need_colours(tmp_path: Path) -> None:
    png(tmp_path / "plot.png")
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, no_color=True)
    assert figures.show_figures(console, result("plot.png"), tmp_path, "blocks") == 0
