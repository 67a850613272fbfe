"""A real terminal for chat tests: a tmux session, its screen, keys sent to it."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


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


@contextmanager
def terminal(cwd: Path, oci_home: Path) -> Iterator[Tmux]:
    """A 110x45 tmux session running bash in ``cwd``, with OCI_HOME set; killed after."""
    name = f"oci-test-{uuid.uuid4().hex[:8]}"
    command = ["tmux", "new-session", "-d", "-s", name, "-x", "110", "-y", "45",
               "-c", str(cwd), "bash --norc --noprofile"]
    # The server exits when the previous test's last session is killed; a new session
    # started in that moment fails ("server exited unexpectedly"): try again.
    for attempt in range(5):
        started = subprocess.run(command, capture_output=True, text=True, check=False)
        if started.returncode == 0:
            break
        time.sleep(0.3 * (attempt + 1))
    else:
        raise RuntimeError(f"tmux new-session failed: {started.stderr.strip()}")
    term = Tmux(name)
    term.send("-l", f"export OCI_HOME={shlex.quote(str(oci_home))} PS1='$ ' TERM=xterm-256color")
    term.send("Enter")
    try:
        yield term
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False)
