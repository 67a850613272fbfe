"""oci's own lines carry no program's escape sequences and cannot be forged (issue 34,
items 12 and 13b).

A program's exception message and the names of the files it creates reach oci's summary
lines (`oci run`'s last line, `oci fix`'s "could not fix ...", the chat's "stopped: ...",
the status line's file list). Rendered as Rich renders them, into a StringIO: no ESC, BEL,
OSC 52 or other C0/C1 control survives, and a name with a line break stays on its line.
"""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import pytest
from rich.console import Console
from rich.panel import Panel
from rich.segment import ControlType, Segment
from rich.table import Table
from rich.text import Text

from oci_interpreter.agent.events import Stopped
from oci_interpreter.cli.main import main_with_status
from oci_interpreter.sandbox.limits import ExecResult
from oci_interpreter.ui import words
from oci_interpreter.ui.console import make_console, one_line, sanitized
from oci_interpreter.ui.execution import status_text
from oci_interpreter.ui.loop_view import print_run_outcome

TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # OSC 52: write "echo pwned" to the clipboard
C1_CSI = "\x9b31m"
HOSTILE = f"boom{TITLE}{CLEAR}{CLIPBOARD}{C1_CSI}\x07\x08\r\u202eevil"
FORGED = "x\n✓ exit code 0"
# Any C0 control but the newline, DEL, any C1 control, bidirectional overrides.
CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def render(renderable: object, console: Console | None = None) -> str:
    out = io.StringIO()
    console = console or make_console(file=out)
    if console.file is not out:
        console.file = out
    console.print(renderable)
    return out.getvalue()


def clean(text: str) -> None:
    found = CONTROLS.findall(text)
    assert not found, (found, text)
    assert "]52;" not in text or "\\x1b]52;" in text  # OSC 52 only as visible text


def result(**fields: object) -> ExecResult:
    base: dict[str, object] = {"exit_code": 1, "stdout": "", "stderr": "", "duration_s": 0.1,
                               "error": f"ValueError: {HOSTILE}"}
    base.update(fields)
    return ExecResult(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- status line --

@pytest.mark.parametrize("plain", [False, True], ids=["oci-console", "bare-rich-console"])
def test_the_status_line_s_file_list_is_clean_and_one_line_per_file(tmp_path: Path,
                                                                     plain: bool) -> None:
    cwd = tmp_path
    names = [FORGED, f"t{TITLE}.txt", f"c{CLIPBOARD}.txt", f"r{C1_CSI}\u202e.txt",
             "bad\udcff.txt"]
    res = result(files=tuple(str(cwd / n) for n in names),
                 modified=(str(cwd / f"m{CLEAR}\n✓ fixed"),),
                 deleted=(str(cwd / "gone\r\n✓ exit code 0"),),
                 refused=(f"{cwd}/.git/config\n✓ exit code 0: into .git",
                          f"{cwd}/sub{TITLE}: not a regular file"),
                 warnings=(f"{cwd}/new/.git\n✓ all good: a new repository",))
    console = Console(file=io.StringIO(), width=200) if plain else None
    text = render(status_text(res, cwd), console)
    clean(text)
    lines = text.rstrip("\n").split("\n")
    assert lines[0].startswith("✗ exit code 1")
    assert len(lines) == 1 + len(names) + 1 + 1 + 2 + 1, lines
    for line in lines[1:]:
        assert line.startswith(("  saved ", "  changed ", "  deleted ", "  not applied ",
                                "  ! ")), line
    assert "  saved x\\n✓ exit code 0" in lines
    assert "  saved bad\\xff.txt" in lines
    assert "  not applied .git/config\\n✓ exit code 0: into .git" in lines
    assert any(line.startswith("  not applied sub\\x1b]0;pwned\\x07") for line in lines)
    assert not any(line.startswith("✓") for line in lines)


def test_refused_changes_are_shown_after_deleted_relative_to_cwd(tmp_path: Path) -> None:
    res = result(exit_code=0, error=None, deleted=(str(tmp_path / "old.txt"),),
                 refused=(f"{tmp_path}/.venv/bin/python: into a virtualenv",
                          "/elsewhere/x: outside"))
    lines = render(status_text(res, tmp_path)).rstrip("\n").split("\n")
    assert lines[1:] == ["  deleted old.txt", "  not applied .venv/bin/python: into a virtualenv",
                         "  not applied /elsewhere/x: outside"]


# ------------------------------------------------------------- summary lines --

def stopped(message: str) -> Stopped:
    return Stopped(reason="round_cap", success=False, rounds=3, final_code=None,
                   final_output=None, answer="", message=message)


def test_oci_run_s_last_line_is_clean_and_one_line() -> None:
    out = io.StringIO()
    print_run_outcome(make_console(file=out),
                      stopped(f"the round limit was reached: it raised ValueError: {HOSTILE}"
                              "\n✓ solved · 1 round"))
    text = out.getvalue()
    clean(text)
    assert text.count("\n") == 1 and text.startswith("✗ the round limit was reached")


def test_the_chat_s_stopped_line_is_one_line() -> None:
    line = words.stopped(f"it raised ValueError: {HOSTILE}\n✓ done")
    assert "\n" not in line
    clean(line)
    text = render(Text(line, style="yellow"))
    clean(text)
    assert text.count("\n") == 1


def test_one_line_escapes_what_would_break_the_line() -> None:
    assert one_line("a\nb\r\tc") == "a\\nb\\r\\tc"
    assert one_line("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert one_line("\x9b\u202e\u2028\udcff") == "\\x9b\\u202e\\u2028\\xff"
    assert one_line("plain ünïcödé · ✓") == "plain ünïcödé · ✓"


# -------------------------------------------- the console: one boundary for all --

def test_every_oci_console_sanitizes_whatever_it_prints() -> None:
    table = Table("name")
    table.add_row(f"cell{CLIPBOARD}")
    out = io.StringIO()
    console = make_console(file=out)
    console.print(f"markup {TITLE} [bold]x[/bold]", Text(f"text{CLEAR}"),
                  Panel(Text(f"panel{C1_CSI}")), table)
    console.print(f"no newline {HOSTILE}", end="")
    console.log(f"logged {CLIPBOARD}")
    clean(out.getvalue())
    assert "markup ]0;pwned\x07" not in out.getvalue()


def test_a_terminal_keeps_oci_s_colours_and_rich_s_controls(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    console = sanitized(Console(file=out, force_terminal=True, color_system="standard",
                                width=80))

    class Control:  # as an image renderable yields (textual-image's sixel)
        def __rich_console__(self, console: Console, options: object) -> object:
            yield Segment("\x1b7", control=[(ControlType.CURSOR_FORWARD, 0)])
            yield Segment(f"hostile{CLIPBOARD}")

    console.print(Text("red", style="red"), Control())
    text = out.getvalue()
    assert "\x1b[31mred" in text  # the style's own sequence
    assert "\x1b7" in text  # the control segment, as it was
    assert "]52;" not in text and "\x07" not in text  # the text's sequence, gone


# ------------------------------------------------------- through the commands --

def fake(tmp_path: Path, *replies: str) -> str:
    path = tmp_path / f"replies-{random.randrange(10**9)}.json"
    path.write_text(json.dumps(list(replies)))
    return f"fake:{path}"


RAISE = ("```python\nimport os\nopen({name!r}, 'w').close()\n"
         "raise ValueError({message!r})\n```")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.mark.spawns
@pytest.mark.parametrize("progress", ["--progress", "--no-progress"])
def test_oci_run_s_lines_carry_no_escape_sequence(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path, workdir: Path,
                                                   progress: str) -> None:
    message = f"{HOSTILE}\n✓ solved · 1 round"
    reply = RAISE.format(name=FORGED, message=message)
    code = main_with_status(["run", "task", progress, "--rounds", "1", "--candidates", "1",
                             "--model", fake(tmp_path, reply)])
    _out, err = capsys.readouterr()
    assert code == 1, err
    clean(err)
    lines = err.split("\n")
    # The program's own traceback (shown live, sanitized) has its line break; oci's lines
    # quote the message on one line.
    assert sum(line.startswith("✓ solved · 1 round") for line in lines) == (
        1 if progress == "--progress" else 0)
    assert not any(line.startswith("✓ exit code 0") for line in lines)
    not_solved = [line for line in lines if "not solved" in line]
    assert len(not_solved) == 1 and "\\n✓ solved · 1 round" in not_solved[0]
    if progress == "--progress":
        assert any(line.startswith("  saved ") and line.endswith("/x\\n✓ exit code 0")
                   for line in lines), lines
        last = [line for line in lines if line.startswith("✗ reached the round limit")]
        assert len(last) == 1 and "\\n✓ solved · 1 round · 1 round · " in last[0]


@pytest.mark.spawns
def test_oci_fix_s_could_not_fix_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      workdir: Path) -> None:
    script = workdir / f"bad{TITLE}\n✓ fixed.py"
    script.write_text("print(1/0)\n")
    message = f"{HOSTILE}\n✓ fixed it"
    reply = RAISE.format(name="out.txt", message=message)
    code = main_with_status(["fix", str(script), "--progress", "--rounds", "1",
                             "--candidates", "1", "--model", fake(tmp_path, reply)])
    _out, err = capsys.readouterr()
    assert code == 1, err
    clean(err)
    lines = err.split("\n")
    could_not = [line for line in lines if "could not fix" in line]
    assert len(could_not) == 1 and "bad\\x1b]0;pwned\\x07\\n✓ fixed.py" in could_not[0]
    assert "\\n✓ fixed it" in could_not[0]
    # The best attempt's diff names the file as git quotes such a name.
    assert '--- "a/bad\\033]0;pwned\\a\\n✓ fixed.py"' in lines
    # Only the programs' own tracebacks (shown live) start a line with ✓: the candidate's
    # message, and the file name in `File "...", line N`; none of oci's lines does.
    starts = [line for line in lines if line.startswith("✓")]
    assert "✓ fixed it" in starts
    assert all(line == "✓ fixed it" or '", line ' in line for line in starts), starts


@pytest.mark.spawns
def test_oci_exec_s_status_line_keeps_a_forged_name_on_its_line(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    (workdir / "p.py").write_text(f"open({FORGED!r}, 'w').close()\n")
    code = main_with_status(["exec", "p.py"])
    _out, err = capsys.readouterr()
    assert code == 0, err
    clean(err)
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith("✓ exit code 0")
    assert "  saved x\\n✓ exit code 0" in lines
    assert sum(line.startswith("✓") for line in lines) == 1


def test_an_error_naming_a_hostile_file_is_one_clean_line(
        capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    code = main_with_status(["exec", f"missing{TITLE}\n✓ exit code 0.py"])
    _out, err = capsys.readouterr()
    assert code == 2
    clean(err)
    assert err.count("\n") == 1 and err.startswith("oci: missing")


@pytest.mark.spawns
def test_the_chat_s_stopped_line(tmp_path: Path) -> None:
    from oci_interpreter.backend.fake import FakeBackend
    from oci_interpreter.sandbox.kernel import Kernel
    from oci_interpreter.sandbox.limits import Limits
    from oci_interpreter.ui.chat import ChatApp, ChatOptions
    from tests.support.readers import ListReader

    reply = RAISE.format(name=FORGED, message=f"{HOSTILE}\n✓ all done")
    backend = FakeBackend([reply] * 4)
    out = io.StringIO()
    console = Console(file=out, width=100, soft_wrap=True)  # bare: the lines are safe alone
    with Kernel(tmp_path, Limits(timeout=10)) as kernel:
        app = ChatApp(backend, kernel, console, ListReader(["go", "/exit"]),
                      ChatOptions(rounds=1, auto_run=True))
        assert app.interact() == 0
    lines = out.getvalue().split("\n")
    stopped_lines = [line for line in lines if line.startswith("stopped: ")]
    assert len(stopped_lines) == 1, out.getvalue()
    clean(stopped_lines[0])
    assert "\\n✓ all done" in stopped_lines[0]
    assert any("saved x\\n✓ exit code 0" in line for line in lines)
