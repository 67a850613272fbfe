"""`oci chat`'s /save to Markdown in a real terminal (tmux), with the scripted model (issue
37): a declined program's note, which the model reads with the next message, is in the
export, and a turn's end is said in words, not as an internal code."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, last_line, terminal

pytestmark = [pytest.mark.spawns]

if shutil.which("tmux") is None:
    pytest.skip("tmux is not installed (the Quickstart's test mode installs it)",
                allow_module_level=True)


@pytest.fixture
def tmux(tmp_path: Path, oci_home: Path) -> Iterator[Tmux]:
    with terminal(tmp_path, oci_home) as term:
        yield term


def test_save_keeps_the_note_after_a_declined_program(tmux: Tmux, oci_bin: str,
                                                      tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["Plan.\n```python\nprint(6 * 7)\n```",
                                   "I will not run anything, then."]))
    tmux.type(f"{shlex.quote(oci_bin)} chat --model fake:{shlex.quote(str(replies))}; "
              "echo EXIT=$?")
    tmux.wait(lambda s: last_line(s).strip() == "›", 60, "the chat prompt")
    tmux.type("multiply 6 by 7")
    tmux.wait(lambda s: last_line(s).startswith("Run it?"), 60, "the run question")
    tmux.type("n")
    tmux.wait(lambda s: last_line(s).strip() == "›", 60, "the prompt after declining")
    tmux.type("/save talk.md")
    tmux.wait(lambda s: (tmp_path / "talk.md").exists() and last_line(s).strip() == "›",
              30, "the saved file")
    tmux.type("/exit")
    tmux.wait(lambda s: any(line.startswith("EXIT=") for line in s.splitlines()), 30,
              "the chat to end")
    text = (tmp_path / "talk.md").read_text()
    assert "## You" in text and "multiply 6 by 7" in text
    assert "The user did not run the program" in text  # what the model reads next
    assert "refused" not in text and "no_code" not in text  # no internal codes
