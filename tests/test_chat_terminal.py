"""`oci chat` end to end in a real terminal (tmux), on the real small model.

A new user's first session: type a task, see the program, confirm, see the result in a
panel, ask a follow-up that uses a variable from the first turn, leave with /exit.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.spawns]

if shutil.which("tmux") is None:
    pytest.skip("tmux is not installed (the Quickstart's test mode installs it)",
                allow_module_level=True)


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def screen(self) -> str:
        done = subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-200", "-t",
                               self.name], capture_output=True, text=True, check=False)
        return done.stdout

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        self.send("-l", text)
        self.send("Enter")

    def wait(self, ready: Callable[[str], bool], timeout: float, what: str) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if ready(screen):
                return screen
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")


def last_line(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.fixture
def tmux(tmp_path: Path, oci_home: Path) -> Iterator[Tmux]:
    name = f"oci-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "110", "-y", "45",
                    "-c", str(tmp_path), "bash --norc --noprofile"], check=True)
    term = Tmux(name)
    term.send("-l", f"export OCI_HOME={shlex.quote(str(oci_home))} PS1='$ ' TERM=xterm-256color")
    term.send("Enter")
    yield term
    subprocess.run(["tmux", "kill-session", "-t", name], check=False)


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
