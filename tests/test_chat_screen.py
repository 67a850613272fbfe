"""The chat's screen in a real terminal (tmux), with a scripted slow model: what Ctrl-C
leaves behind."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, last_line, terminal

pytestmark = pytest.mark.spawns

if shutil.which("tmux") is None:
    pytest.skip("tmux is not installed (the Quickstart's test mode installs it)",
                allow_module_level=True)

SLOW = ("Here is a program that adds the numbers below ten and prints the total for you "
        "to see, written slowly one word at a time so that there is time to stop it")


@pytest.fixture
def chat(tmp_path: Path, oci_home: Path, oci_bin: str) -> Iterator[Tmux]:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps({"replies": [SLOW, SLOW], "word_delay_s": 0.1}))
    work = tmp_path / "work"
    work.mkdir()
    with terminal(work, oci_home) as term:
        term.type(f"{shlex.quote(oci_bin)} chat --model fake:{shlex.quote(str(script))}")
        term.wait(lambda s: last_line(s).strip() == "›", 60, "the chat prompt")
        yield term


def prompts(screen: str) -> int:
    return sum(1 for line in screen.splitlines() if line.startswith("›"))


def test_ctrl_c_at_the_prompt_empties_it_in_place(chat: Tmux) -> None:
    chat.send("-l", "half a thought")
    time.sleep(0.5)
    chat.send("C-c")
    time.sleep(1)
    screen = chat.screen()
    assert "half a thought" not in screen
    assert prompts(screen) == 1 and last_line(screen).strip() == "›"


def test_a_stopped_reply_is_said_once(chat: Tmux) -> None:
    chat.type("add the numbers")
    chat.wait(lambda s: "Here is a program" in s, 30, "the reply to start")
    chat.send("C-c")
    screen = chat.wait(lambda s: "tok/s" in s and last_line(s).strip() == "›", 30,
                       "the prompt after the stop")
    said = [line for line in screen.splitlines()
            if line.strip() in ("(reply stopped)", "interrupted")]
    assert said == ["(reply stopped)"], screen
    assert "slowly one word at a time so that there is time to stop it" not in screen


def test_ctrl_c_during_a_run_leaves_no_running_border(tmp_path: Path, oci_home: Path,
                                                      oci_bin: str) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([
        "Sleeping:\n\n```python\nimport time\nprint('start', flush=True)\ntime.sleep(30)\n```",
        "Done."]))
    work = tmp_path / "work"
    work.mkdir()
    with terminal(work, oci_home) as term:
        term.type(f"{shlex.quote(oci_bin)} chat --model fake:{shlex.quote(str(script))}")
        term.wait(lambda s: last_line(s).strip() == "›", 60, "the chat prompt")
        term.type("sleep")
        term.wait(lambda s: last_line(s).startswith("Run it?"), 30, "the run question")
        term.type("y")
        term.wait(lambda s: "│ start" in s, 30, "the program's first line, live")
        term.send("C-c")
        screen = term.wait(lambda s: "interrupted" in s and last_line(s).strip() == "›", 30,
                           "the prompt after the interrupted run")
        assert "─ running ─" not in screen, screen  # the live panel is gone, border and all
        assert "─ output ─" in screen and "KeyboardInterrupt" in screen
        term.type("typed after")  # the terminal echoes again at the prompt
        term.wait(lambda s: "› typed after" in s, 30, "the typed line")


PLOT = ("Plotting:\n\n```python\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\n"
        "plt.show()\nprint('plotted')\n```")


@pytest.mark.parametrize("mode", ["blocks", "auto"])
def test_a_figure_is_drawn_below_its_output_where_the_terminal_can(
        tmp_path: Path, oci_home: Path, oci_bin: str, mode: str) -> None:
    """blocks: drawn in coloured character cells in any terminal. auto: tmux here says it
    draws no sixel or kitty images, so the figure is named, not drawn, and the chat goes
    on at once."""
    pytest.importorskip("matplotlib")
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([PLOT, "Done."]))
    work = tmp_path / "work"
    work.mkdir()
    with terminal(work, oci_home) as term:
        term.type(f"unset NO_COLOR; OCI_FIGURES={mode} {shlex.quote(oci_bin)} chat --yes "
                  f"--model fake:{shlex.quote(str(script))}")
        term.wait(lambda s: last_line(s).strip() == "›", 60, "the chat prompt")
        term.type("plot it")
        screen = term.wait(lambda s: "Done." in s and last_line(s).strip() == "›", 60,
                           "the reply after the plot")
    assert "plotted" in screen and "saved " in screen and ".png" in screen, screen
    blocks = sum(line.count("▀") for line in screen.splitlines())
    if mode == "blocks":
        assert blocks > 100, screen
    else:
        assert blocks == 0, screen
        assert "cannot draw" not in screen
