"""How `oci chat` looks: the events of a turn and of ``/fix`` rendered (:class:`ChatView`),
a run's output panel, the live panel of a running program, the status line after a turn,
the limits table, and the user's editor for a program. Pure rendering: what the events
mean and what the model reads is agent/chat.py's; reading input is ui/chat.py's.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from oci_interpreter.agent.chat import ChatController, ChatEvent
from oci_interpreter.agent.claims import UnfoundedResult
from oci_interpreter.agent.events import (
    CodeFound,
    CodeSkipped,
    ExecutionEnd,
    ExecutionStart,
    ModelReply,
    ModelStart,
    ModelText,
    Notice,
    Stopped,
)
from oci_interpreter.backend.base import GenerationStats
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.ui import words
from oci_interpreter.ui.console import one_line, sanitize
from oci_interpreter.ui.execution import status_text
from oci_interpreter.ui.mdstream import CODE_THEME, MarkdownStream

OUTPUT_LINES = 40


def output_panel(result: ExecResult, cwd: Path | None = None,
                 max_lines: int = OUTPUT_LINES) -> Panel:
    """One run: its output (head and tail when long) under its status line."""
    body = Text()
    out = sanitize(result.stdout)
    err = sanitize(result.stderr)
    if out:
        body.append(out.rstrip("\n") + "\n")
    if err:
        body.append(err.rstrip("\n") + "\n", style="red")
    lines = list(body.split("\n", allow_blank=True))
    while lines and not lines[-1].plain:
        lines.pop()
    if len(lines) > max_lines:
        head, tail = max_lines // 2, max_lines - max_lines // 2 - 1
        marker = Text(f"… {len(lines) - head - tail} lines not shown …", style="dim italic")
        lines = [*lines[:head], marker, *lines[-tail:]]
    shown = Text("\n").join(lines) if lines else Text("(no output)", style="dim")
    return Panel(Group(shown, Text(""), status_text(result, cwd)), title="output",
                 title_align="left", border_style="green" if result.ok else "red",
                 padding=(0, 1))


class LiveRun:
    """The output of a running program, in a live panel (terminals only); the echo of
    ``terminal_input`` (the user's terminal, if input comes from one) is off meanwhile."""

    def __init__(self, console: Console, terminal_input: TextIO | None = None) -> None:
        self.console = console
        self.text = Text()
        self._live: Live | None = None
        self._echo = _EchoOff(terminal_input)
        if console.is_terminal and not console.is_dumb_terminal:
            self._echo.start()
            self._live = Live(self._panel(), console=console, transient=True,
                              refresh_per_second=8, redirect_stdout=False,
                              redirect_stderr=False)
            self._live.start()

    def _panel(self) -> Panel:
        lines = self.text.split("\n", allow_blank=True)[-OUTPUT_LINES:]
        return Panel(Text("\n").join(lines) if self.text else Text("running…", style="dim"),
                     title="running", title_align="left", border_style="cyan",
                     padding=(0, 1))

    def __call__(self, stream: str, text: str) -> None:
        self.text.append(sanitize(text), style="red" if stream == "stderr" else "")
        if self._live is not None:
            self._live.update(self._panel())

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._echo.stop()


class _EchoOff:
    """The terminal's echo off while a live panel is drawn: a Ctrl-C the terminal echoes
    as "^C" (or a key typed meanwhile) moves the cursor, and the panel's erase then leaves
    its top border behind. Programs get no terminal input in the chat, so nothing is lost.
    ``terminal``: the user's terminal (None when input does not come from one).
    """

    def __init__(self, terminal: TextIO | None) -> None:
        self._terminal = terminal
        self._saved: list[Any] | None = None
        self._fd = -1

    def start(self) -> None:
        if self._terminal is None:
            return
        try:
            import termios
        except ImportError:
            return
        try:
            fd = self._terminal.fileno()
            saved = termios.tcgetattr(fd)
            quiet = list(saved)
            quiet[3] &= ~(termios.ECHO | getattr(termios, "ECHOCTL", 0))
            termios.tcsetattr(fd, termios.TCSANOW, quiet)
            self._saved, self._fd = saved, fd
        except (OSError, ValueError, AttributeError, termios.error):
            self._saved = None

    def stop(self) -> None:
        if self._saved is None:
            return
        try:
            import termios

            termios.tcsetattr(self._fd, termios.TCSANOW, self._saved)
        except (ImportError, OSError, ValueError):
            pass
        self._saved = None


def turn_status(replies: list[GenerationStats], n_ctx: int) -> str:
    """``84 tokens · 21.3 tok/s · context 1,210/8,192 · KV cache reused 92%``."""
    generated = sum(s.generated_tokens for s in replies)
    seconds = sum(s.generate_seconds for s in replies)
    prompt = sum(s.prompt_tokens for s in replies)
    reused = sum(s.prompt_tokens_reused for s in replies)
    parts = [f"{generated} tokens"]
    if seconds:
        parts.append(f"{generated / seconds:.1f} tok/s")
    if replies:
        last = replies[-1]
        parts.append(f"context {last.prompt_tokens + last.generated_tokens:,}/{n_ctx:,}")
    if prompt:
        parts.append(f"KV cache reused {100 * reused / prompt:.0f}%")
    return " · ".join(parts)


def limits_table(limits: Limits) -> Table:
    from oci_interpreter.core.sizes import format_size

    table = Table.grid(padding=(0, 2))
    rows = [
        ("timeout", f"{limits.timeout:g} s"),
        ("cpu_time", f"{limits.cpu_seconds:g} s"),
        ("memory", format_size(limits.memory)),
        ("max_processes", str(limits.processes)),
        ("max_file_size", format_size(limits.file_size)),
        ("max_open_files", str(limits.open_files)),
        ("max_output", format_size(limits.max_output)),
        ("allow_network", "yes" if limits.allow_network else "no"),
    ]
    for key, value in rows:
        table.add_row(Text(key, style="bold"), value)
    return table


def show_code(console: Console, code: str) -> None:
    console.print(Syntax(code, "python", theme=CODE_THEME, background_color="default"))


def edit_code(console: Console, code: str, editor: str | None = None) -> str | None:
    """``code`` opened in the user's editor (``editor``, else $VISUAL, $EDITOR, nano, vi);
    the saved text, or None (the reason shown)."""
    editor = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        editor = next((e for e in ("nano", "vi") if shutil.which(e)), None)
    if not editor:
        console.print(Text("no editor: set $EDITOR (e.g. export EDITOR=nano)", style="red"))
        return None
    fd, name = tempfile.mkstemp(prefix="oci-edit-", suffix=".py")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(code)
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except (OSError, ValueError) as exc:
            console.print(Text(f"cannot start the editor {editor!r}: {exc}", style="red"))
            return None
        if done.returncode != 0:
            console.print(Text(f"the editor exited with status {done.returncode}; "
                               "nothing changed", style="yellow"))
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)
    if not text.strip():
        console.print(Text("the edited program is empty; nothing run", style="yellow"))
        return None
    return text


class ChatView:
    """A chat's events on ``console``: the reply streamed as Markdown, each run live and
    then as a panel with its figures, notices, how a turn stopped and its status line.
    ``chat`` is read for what the screen names (the working directory, the context size,
    the figures setting, whether the user's words follow a declined program)."""

    def __init__(self, console: Console, chat: ChatController, *,
                 terminal_input: TextIO | None = None) -> None:
        self.console = console
        self.chat = chat
        self.terminal_input = terminal_input
        """The user's terminal, when input comes from one (its echo is off during a run)."""
        self._stream: MarkdownStream | None = None
        self._run: LiveRun | None = None
        self._replies: list[GenerationStats] = []
        self._stopped_said = False  # this turn's Ctrl-C has been said

    def begin(self) -> None:
        """A turn (or /fix) starts: its status line counts its own replies."""
        self._replies = []
        self._stopped_said = False

    def end(self) -> None:
        """Whatever is live (a streamed reply, a running program's panel) ends."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._run is not None:
            self._run.stop()
            self._run = None

    def running(self) -> None:
        """A program starts: its output goes to a live panel."""
        self._run = LiveRun(self.console, self.terminal_input)

    def output(self, stream: str, text: str) -> None:
        if self._run is not None:
            self._run(stream, text)

    def result(self, result: ExecResult) -> None:
        """A run's panel, and the figures it saved drawn below it where the terminal can."""
        from oci_interpreter.ui.figures import show_figures

        self.console.print(output_panel(result, self.chat.kernel.workdir))
        show_figures(self.console, result, self.chat.kernel.workdir,
                     self.chat.options.settings.figures)

    def interrupted(self, text: str = words.INTERRUPTED) -> None:
        """One line for one Ctrl-C: the reply's "(reply stopped)", the loop's
        "interrupted" and a KeyboardInterrupt all describe the same stop."""
        if not self._stopped_said:
            self._stopped_said = True
            self.console.print(Text(text, style="yellow"))

    def __call__(self, event: ChatEvent) -> None:
        console = self.console
        if isinstance(event, ModelStart):
            self.end()
            if event.purpose != "answer":
                what = words.PURPOSE.get(event.purpose, event.purpose)
                console.print(Text(f"· {what}", style="dim"))
            self._stream = MarkdownStream(console)
        elif isinstance(event, ModelText):
            if self._stream is not None:
                self._stream.append(event.text)
        elif isinstance(event, ModelReply):
            self.end()
            self._replies.append(event.stats)
            if event.stats.finish_reason == "cancelled":
                self.interrupted(words.REPLY_STOPPED)
        elif isinstance(event, CodeFound):
            if event.other_languages:
                console.print(Text(words.other_languages(event.other_languages),
                                   style="yellow"))
        elif isinstance(event, ExecutionStart):
            self.end()
            self.running()
        elif isinstance(event, ExecutionEnd):
            self.end()
            self.result(event.result)
        elif isinstance(event, CodeSkipped):
            if event.reason != "refused":
                console.print(Text(sanitize(event.message), style="yellow"))
        elif isinstance(event, Notice):
            console.print(Text(sanitize(event.text), style="yellow"))
        elif isinstance(event, UnfoundedResult):
            self.end()
            console.print(Text(words.UNFOUNDED_RESULT, style="yellow"))
        elif isinstance(event, Stopped):
            self._stopped(event)

    def _stopped(self, event: Stopped) -> None:
        self.end()
        if event.reason in ("round_cap", "repeated") and not event.success:
            self.console.print(Text(words.stopped(event.message), style="yellow"))
        elif event.reason == "cancelled":
            self.interrupted()
        if event.reason == "refused" and self.chat.guidance is not None:
            # The user's words go on at once: this reply's figures would land below
            # "not run; your words go to the model", as if they were the next one's.
            return
        self.console.print(Text(turn_status(self._replies, self.chat.backend.info.n_ctx),
                                style="dim"))

    def fix_event(self, event: Any) -> None:
        """/fix's own events (agent/fix.py); the loop's are rendered as a turn's."""
        from oci_interpreter.agent.fix import (
            CheckWriting,
            CheckWritten,
            FileRunEnd,
            FileRunStart,
            FixFound,
        )
        from oci_interpreter.ui.loop_view import print_diff

        if isinstance(event, FileRunStart):
            self.console.print(Text(f"running {one_line(event.command)}", style="bold"))
            self.running()
        elif isinstance(event, FileRunEnd):
            self.end()
            self.console.print(output_panel(event.result, self.chat.kernel.workdir))
        elif isinstance(event, CheckWriting):
            self.console.print(Text(words.WRITING_CHECK, style="bold"))
        elif isinstance(event, CheckWritten):
            show_code(self.console, event.check)
        elif isinstance(event, FixFound):
            print_diff(self.console, event.diff)
        else:
            self(event)
