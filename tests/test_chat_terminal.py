"""`oci chat` end to end in a real terminal (tmux), on the real small model.

A new user's first session: type a task, see the program, confirm, see the result in a
panel, ask a follow-up that uses a variable from the first turn, leave with /exit.
"""

from __future__ import annotations

import shlex
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, last_line, terminal

pytestmark = [pytest.mark.model, pytest.mark.spawns]

if shutil.which("tmux") is None:
    pytest.skip("tmux is not installed (the Quickstart's test mode installs it)",
                allow_module_level=True)


@pytest.fixture
def tmux(tmp_path: Path, oci_home: Path) -> Iterator[Tmux]:
    with terminal(tmp_path, oci_home) as term:
        yield term


def answer_until_prompt(term: Tmux, mark: str, after: str, timeout: float = 240) -> str:
    """Confirm each program until the chat prompt is back and ``mark`` is on screen below
    the line that holds ``after`` (the request typed last: the screen above it also holds
    the shell's command line, whose temporary paths can contain any number)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        screen = term.screen()
        bottom = last_line(screen)
        if bottom.startswith("Run it?"):
            term.type("y")
            time.sleep(0.5)
            continue
        answer = screen.rsplit(after, 1)[-1] if after in screen else ""
        if bottom.strip() == "›" and mark in answer:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"no {mark!r} and prompt; the screen:\n{term.screen()}")


def test_a_first_session_in_a_real_terminal(tmux: Tmux, oci_bin: str,
                                            small_model_path: Path) -> None:
    tmux.type(f"{shlex.quote(oci_bin)} chat --model {shlex.quote(str(small_model_path))} "
              "--max-tokens 300; echo EXIT=$?")
    tmux.wait(lambda s: last_line(s).strip() == "›", 120, "the chat prompt")

    tmux.type("Set x = 12 and print x squared.")
    screen = tmux.wait(lambda s: last_line(s).startswith("Run it?"), 240, "the run question")
    assert "```" not in screen  # the reply is rendered, not shown as raw Markdown
    assert "x = 12" in screen or "x=12" in screen
    screen = answer_until_prompt(tmux, "144", after="Set x = 12 and print x squared.")
    assert "output" in screen and "exit code 0" in screen
    assert "tok/s" in screen and "KV cache reused" in screen

    tmux.type("Now print x + 1, using the x from before.")
    screen = answer_until_prompt(tmux, "13", after="Now print x + 1, using the x from before.")

    tmux.type("/exit")
    screen = tmux.wait(lambda s: any(line.startswith("EXIT=") for line in s.splitlines()),
                       60, "oci to exit")
    assert "EXIT=0" in screen.splitlines()
    assert "Traceback" not in screen
