"""The interactive session (``oci chat``): the refine loop with the user in it.

Each message runs the agent's refine loop (``agent/session.py``) with the programs as
cells of one persistent kernel, so variables survive between turns. The user reads
each program before it runs and answers ``y`` / ``n`` / ``e`` (edit first) / ``a``
(always), or types guidance instead, which goes to the model (the "human feedback" of
the OpenCodeInterpreter paper). Replies stream as Markdown, each run shows as a panel,
and a quiet status line follows each turn.

Input comes from a :class:`~oci_interpreter.ui.readers.Reader` (readers.py); the slash
commands are one table (:data:`COMMANDS`: help line and handler); every word the model
reads comes from the prompt set (agent/prompts.py); what a turn leaves in the conversation
is the session's business (agent/session.py). This module decides what to show and asks.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from oci_interpreter.agent.events import (
    CodeFound,
    CodeSkipped,
    Event,
    ExecutionEnd,
    ExecutionStart,
    ModelReply,
    ModelStart,
    ModelText,
    Notice,
    Stopped,
)
from oci_interpreter.agent.execute import KernelExecutor
from oci_interpreter.agent.loop import Approval, LoopOptions
from oci_interpreter.agent.prompts import PromptSet, for_family
from oci_interpreter.agent.session import ChatSession
from oci_interpreter.backend.base import Backend, GenerationStats
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import OciError
from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.ui import words
from oci_interpreter.ui.console import one_line, sanitize
from oci_interpreter.ui.execution import status_text
from oci_interpreter.ui.mdstream import CODE_THEME, MarkdownStream
from oci_interpreter.ui.readers import Reader


@dataclass(frozen=True)
class Slash:
    """A slash command: its help line and the :class:`ChatApp` method that runs it."""

    help: str
    handler: str


COMMANDS: dict[str, Slash] = {
    "/help": Slash("this list", "_help"),
    "/reset": Slash("new conversation and a fresh kernel (variables are gone)", "_reset"),
    "/undo": Slash("drop the last exchange (variables it set stay in the kernel)", "_undo"),
    "/save": Slash("[PATH] save the conversation (.json to load later, .md to read)", "_save"),
    "/load": Slash("PATH continue a saved conversation (.json)", "_load"),
    "/model": Slash("[NAME] show the model, or switch to another (name or .gguf path)",
                    "_model"),
    "/run": Slash("run the last program again", "_rerun"),
    "/edit": Slash("open the last program in $EDITOR, then run the edited version", "_edit"),
    "/limits": Slash("[KEY=VALUE ...] show or set the sandbox limits (restarts the kernel)",
                     "_limits"),
    "/auto": Slash("toggle running programs without asking", "_auto"),
    "/fix": Slash("[--no-backup] FILE [what it does wrong] repair a script, as `oci fix` "
                  "does (-m: the words after the name)", "_fix"),
    "/exit": Slash("leave (Ctrl-D does the same)", "_exit"),
}
HELP = {name: command.help for name, command in COMMANDS.items()}
_CITES_RESULT = re.compile(r"execution result|the output (shows|confirms|is)|"
                           r"the program (printed|output)|as (shown|seen) (in|from) the output",
                           re.IGNORECASE)
"""Name -> help line (the completer shows these)."""
ALIASES = {"/quit": "/exit", "/q": "/exit", "/?": "/help", "/clear": "/reset"}
EXIT_WORDS = {"exit", "quit"}
CONFIRM = "Run it? [Y]es / [n]o / [e]dit / [a]lways, or type guidance for the model: "
OUTPUT_LINES = 40


# --------------------------------------------------------------------- rendering --


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
    """The output of a running program, in a live panel (terminals only)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.text = Text()
        self._live: Live | None = None
        self._echo = _EchoOff()
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
    """

    def __init__(self) -> None:
        self._saved: list[Any] | None = None

    def start(self) -> None:
        try:
            import termios

            fd = sys.stdin.fileno()
            if not os.isatty(fd):
                return
            saved = termios.tcgetattr(fd)
            quiet = list(saved)
            quiet[3] &= ~(termios.ECHO | getattr(termios, "ECHOCTL", 0))
            termios.tcsetattr(fd, termios.TCSANOW, quiet)
            self._saved = saved
        except (ImportError, OSError, ValueError, AttributeError):
            self._saved = None

    def stop(self) -> None:
        if self._saved is None:
            return
        try:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, self._saved)
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


# ----------------------------------------------------------------------- the app --


@dataclass
class ChatOptions:
    rounds: int = 5
    auto_run: bool = False
    loop: LoopOptions = field(default_factory=LoopOptions)
    autosave: Path | None = None
    """Where the session is saved after each turn (None: not saved)."""
    editor: str | None = None
    """Command for /edit and the ``e`` answer (default: $VISUAL, $EDITOR, nano, vi)."""
    settings: Settings = field(default_factory=Settings)
    """The session's settings (what /fix repairs with: rounds, candidates, limits)."""


class ChatApp:
    """``ChatApp(...).interact()`` -> exit status. Everything it needs is injected."""

    def __init__(self, backend: Backend, kernel: Kernel, console: Console, reader: Reader,
                 options: ChatOptions | None = None, *, session: ChatSession | None = None,
                 prompts: PromptSet | None = None,
                 load_model: Callable[[str], Backend] | None = None,
                 family: str = "auto") -> None:
        self.backend = backend
        self.kernel = kernel
        self.executor = KernelExecutor(kernel)
        self.console = console
        self.reader = reader
        self.options = options or ChatOptions()
        self.session = session or ChatSession(model=backend.info.name)
        self.prompts = prompts or for_family(family)
        self.load_model = load_model
        self.auto = self.options.auto_run
        self._stream: MarkdownStream | None = None
        self._run: LiveRun | None = None
        self._replies: list[GenerationStats] = []
        self._guidance: str | None = None
        self._ran = False
        """A program ran in this turn (a reply citing a result needs one)."""
        self._cites_result = False
        self._stopped_said = False  # this turn's Ctrl-C has been said

    # ------------------------------------------------------------------ main --

    def interact(self) -> int:
        """Read messages and commands until the user leaves; the exit status."""
        info = self.backend.info
        self.console.print(Text.assemble(
            ("oci", "bold"), " chat with ", (info.name, "cyan"), f" (context {info.n_ctx:,}). ",
            ("Programs run " + ("without asking (/auto to change)" if self.auto
                                else "after you confirm"), ""),
            ". /help lists commands; Ctrl-C stops a reply or a run; Ctrl-D or /exit leaves.",
            style="dim"))
        if self.session.turns:
            self.console.print(Text(
                f"Resumed a conversation of {len(self.session.turns)} turn(s); variables from "
                "it are not in the new kernel (/run re-runs the last program).", style="yellow"))
        while True:
            try:
                text = self.reader.line("› ")
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return 0
            text = text.strip()
            if not text:
                continue
            if text.lower() in EXIT_WORDS:
                return 0
            if text.startswith("/"):
                try:
                    if self.command(text) == "exit":
                        return 0
                except OciError as exc:
                    self.console.print(Text(exc.one_line(), style="red"))
                continue
            self.turn(text)
            while self._guidance is not None:
                guidance, self._guidance = self._guidance, None
                # The model reads that nothing ran, then the user's words as the request.
                self.session.pending = self.prompts.refused.format(why="")
                self.turn(guidance)

    def turn(self, request: str) -> None:
        """One message: the loop runs until its stop rules say done; never raises for
        the model or the program (errors become one red line)."""
        self._replies = []
        self._ran = self._cites_result = self._stopped_said = False
        # A chat message may need no program ("what does this error mean?"): a reply
        # without code is an answer, not a failure.
        loop_options = replace(self.options.loop, max_rounds=self.options.rounds,
                               require_code=False)
        events = self.session.run_turn(request, self.backend, self.executor, self.prompts,
                                       loop_options, ask=self.ask, on_output=self._on_output)
        try:
            for event in events:
                self.render(event)
        except KeyboardInterrupt:
            self._end_stream()
            self._say_interrupted(words.INTERRUPTED)
        except OciError as exc:
            self._end_stream()
            self.console.print(Text(exc.one_line(), style="red"))
        finally:
            events.close()  # records the turn, however it ended
            self._end_stream()
            self._autosave()

    def _end_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._run is not None:
            self._run.stop()
            self._run = None

    def _on_output(self, stream: str, text: str) -> None:
        if self._run is not None:
            self._run(stream, text)

    def _autosave(self) -> None:
        if self.options.autosave is not None and self.session.turns:
            try:
                self.session.save(self.options.autosave)
            except OSError as exc:
                self.console.print(Text(f"could not save the session to "
                                        f"{self.options.autosave}: {exc.strerror}",
                                        style="yellow"))
                self.options.autosave = None

    def _say_interrupted(self, text: str) -> None:
        """One line for one Ctrl-C: the reply's "(reply stopped)", the loop's
        "interrupted" and a KeyboardInterrupt all describe the same stop."""
        if not self._stopped_said:
            self._stopped_said = True
            self.console.print(Text(text, style="yellow"))

    # ------------------------------------------------------------- rendering --

    def render(self, event: Event) -> None:
        console = self.console
        if isinstance(event, ModelStart):
            self._end_stream()
            if event.purpose != "answer":
                what = words.PURPOSE.get(event.purpose, event.purpose)
                console.print(Text(f"· {what}", style="dim"))
            self._stream = MarkdownStream(console)
        elif isinstance(event, ModelText):
            if self._stream is not None:
                self._stream.append(event.text)
        elif isinstance(event, ModelReply):
            self._end_stream()
            self._replies.append(event.stats)
            if _CITES_RESULT.search(event.text):
                self._cites_result = True
            if event.stats.finish_reason == "cancelled":
                self._say_interrupted(words.REPLY_STOPPED)
        elif isinstance(event, CodeFound):
            if event.other_languages:
                console.print(Text(words.other_languages(event.other_languages),
                                   style="yellow"))
        elif isinstance(event, ExecutionStart):
            self._end_stream()
            self._ran = True
            self._run = LiveRun(console)
        elif isinstance(event, ExecutionEnd):
            if self._run is not None:
                self._run.stop()
                self._run = None
            console.print(output_panel(event.result, self.kernel.workdir))
            self._figures(event.result)
        elif isinstance(event, CodeSkipped):
            if event.reason != "refused":
                console.print(Text(sanitize(event.message), style="yellow"))
        elif isinstance(event, Notice):
            console.print(Text(sanitize(event.text), style="yellow"))
        elif isinstance(event, Stopped):
            self._end_stream()
            if self._cites_result and not self._ran:
                console.print(Text("(no program ran in this turn: the result the reply "
                                   "speaks of does not exist)", style="yellow"))
            if event.reason in ("round_cap", "repeated") and not event.success:
                console.print(Text(words.stopped(event.message), style="yellow"))
            elif event.reason == "cancelled":
                self._say_interrupted(words.INTERRUPTED)
            if event.reason == "refused" and self._guidance is not None:
                # The user's words go on at once: this reply's figures would land below
                # "not run; your words go to the model", as if they were the next one's.
                return
            console.print(Text(turn_status(self._replies, self.backend.info.n_ctx),
                               style="dim"))

    # ------------------------------------------------------------ confirming --

    def ask(self, code: str, round_: int) -> Approval:
        """Before each program runs: y / n / e / a, or guidance for the model."""
        self._end_stream()
        if self.auto:
            return Approval(True)
        while True:
            answer = self.reader.confirm(CONFIRM).strip()
            low = answer.lower()
            if low in ("", "y", "yes"):
                return Approval(True)
            if low in ("n", "no"):
                self.console.print(Text("not run", style="yellow"))
                return Approval(False)
            if low in ("a", "always"):
                self.auto = True
                self.console.print(Text("Programs run without asking for the rest of this "
                                        "session (/auto turns it off).", style="dim"))
                return Approval(True)
            if low in ("e", "edit"):
                edited = self.edit(code)
                if edited is None:
                    continue
                self.console.print(Syntax(edited, "python", theme=CODE_THEME,
                                          background_color="default"))
                return Approval(True, code=edited)
            if len(answer) > 1:
                self._guidance = answer
                self.console.print(Text("not run; your words go to the model", style="dim"))
                return Approval(False, why=self.prompts.user_says.format(text=answer))
            self.console.print(Text("Answer y, n, e or a (or type a sentence for the model).",
                                    style="yellow"))

    def edit(self, code: str) -> str | None:
        """``code`` opened in the user's editor; the saved text, or None (message shown)."""
        editor = self.options.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            editor = next((e for e in ("nano", "vi") if shutil.which(e)), None)
        if not editor:
            self.console.print(Text("no editor: set $EDITOR (e.g. export EDITOR=nano)",
                                    style="red"))
            return None
        fd, name = tempfile.mkstemp(prefix="oci-edit-", suffix=".py")
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(code)
            try:
                done = subprocess.run([*shlex.split(editor), str(path)], check=False)
            except (OSError, ValueError) as exc:
                self.console.print(Text(f"cannot start the editor {editor!r}: {exc}",
                                        style="red"))
                return None
            if done.returncode != 0:
                self.console.print(Text(f"the editor exited with status {done.returncode}; "
                                        "nothing changed", style="yellow"))
                return None
            text = path.read_text(encoding="utf-8", errors="replace")
        finally:
            path.unlink(missing_ok=True)
        if not text.strip():
            self.console.print(Text("the edited program is empty; nothing run",
                                    style="yellow"))
            return None
        return text

    # -------------------------------------------------------------- commands --

    def command(self, text: str) -> str | None:
        """A slash command; ``"exit"`` when the chat should end."""
        name, _, arg = text.partition(" ")
        name = ALIASES.get(name.lower(), name.lower())
        command = COMMANDS.get(name)
        if command is None:
            close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.console.print(Text(f"unknown command {name}{hint}: /help lists them",
                                    style="red"))
            return None
        result: str | None = getattr(self, command.handler)(arg.strip())
        return result

    def _exit(self, arg: str) -> str:
        return "exit"

    def _help(self, arg: str) -> None:
        table = Table.grid(padding=(0, 2))
        for name, command in COMMANDS.items():
            table.add_row(Text(name, style="bold"), command.help)
        self.console.print(table)
        self.console.print(Text("At the run prompt: y runs, n skips, e edits first, a runs "
                                "everything from now on; any sentence goes to the model.",
                                style="dim"))

    def _reset(self, arg: str) -> None:
        self.session.reset()
        self.kernel.restart()
        self.console.print(Text("new conversation, fresh kernel", style="dim"))

    def _undo(self, arg: str) -> None:
        turn = self.session.undo()
        if turn is None:
            self.console.print(Text("nothing to undo", style="yellow"))
            return
        short = turn.request if len(turn.request) < 60 else turn.request[:57] + "…"
        self.console.print(Text(f"dropped: {sanitize(short)} (variables it set are still in "
                                "the kernel)", style="dim"))
        self._autosave()

    def _save(self, arg: str) -> None:
        path = Path(arg).expanduser() if arg else self.options.autosave
        if path is None:
            self.console.print(Text("say where: /save PATH.json", style="yellow"))
            return
        if arg and not path.parent.is_dir():
            self.console.print(Text(f"cannot save to {path}: no such directory "
                                    f"{path.parent}", style="red"))
            return
        try:
            saved = self.session.save(path)
        except OSError as exc:
            self.console.print(Text(f"cannot save to {path}: {exc.strerror}", style="red"))
        else:
            self.console.print(Text(f"saved to {saved}", style="dim"))

    def _load(self, arg: str) -> None:
        if not arg:
            self.console.print(Text("say which: /load PATH.json", style="yellow"))
            return
        self.session = ChatSession.load(Path(arg))
        self.console.print(Text(f"loaded {len(self.session.turns)} turn(s) from {arg}; the "
                                "kernel still holds this session's variables", style="dim"))

    def _rerun(self, arg: str) -> None:
        code = self.session.last_code()
        if code is None:
            self.console.print(Text("no program has run yet", style="yellow"))
            return
        self._run_by_user(code, self.prompts.user_reran)

    def _edit(self, arg: str) -> None:
        code = self.session.last_code()
        if code is None:
            self.console.print(Text("no program has run yet", style="yellow"))
            return
        edited = self.edit(code)
        if edited is not None:
            self.console.print(Syntax(edited, "python", theme=CODE_THEME,
                                      background_color="default"))
            self._run_by_user(edited, self.prompts.user_edited.format(code=edited.rstrip()))

    def _fix(self, arg: str) -> None:
        """``/fix [--no-backup] FILE [description]``: `oci fix` inside the chat, with this
        model: the same process (agent/fix.py ``FixJob.run``), settings and words; the
        check and the diff are shown, and nothing is written unless the user says so."""
        from oci_interpreter.agent.fix import FixJob, follow_fix
        from oci_interpreter.ui.loop_view import print_fix_outcome

        parts = arg.split()
        backup = "--no-backup" not in parts[:2]  # as `oci fix --no-backup`
        if not backup:
            parts.remove("--no-backup")
        if not parts:
            self.console.print(Text("say which: /fix [--no-backup] FILE [what it does "
                                    "wrong]", style="yellow"))
            return
        name = parts[0]
        path = Path(name).expanduser()
        path = path if path.is_absolute() else self.kernel.workdir / path
        job = FixJob(path, [], self.options.settings, label=name)  # OciError -> one red line

        def yes(question: str, default: bool) -> bool:
            answer = self.reader.confirm(question).strip().lower()
            return answer in ("y", "yes") or (default and not answer)

        try:
            outcome = follow_fix(job.run(
                self.backend, description=" ".join(parts[1:]).strip() or None,
                accept_check=lambda check: yes(f"{words.USE_CHECK} [Y/n] ", True),
                accept_write=lambda found: yes(
                    f"{words.write_fix(one_line(name), found.git)} [y/N] ", False),
                backup=backup, on_output=self._on_output), self._fix_event)
        finally:
            self._end_stream()
        print_fix_outcome(self.console, outcome, name,
                          label=lambda kept: str(Path(name).with_name(kept.name)),
                          say_what="say what after its name", other_check="", to_write="")

    def _fix_event(self, event: Any) -> None:
        """/fix's own events (agent/fix.py); the loop's go to :meth:`render`."""
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
            self._run = LiveRun(self.console)
        elif isinstance(event, FileRunEnd):
            self._end_stream()
            self.console.print(output_panel(event.result, self.kernel.workdir))
        elif isinstance(event, CheckWriting):
            self.console.print(Text(words.WRITING_CHECK, style="bold"))
        elif isinstance(event, CheckWritten):
            self.console.print(Syntax(event.check, "python", theme=CODE_THEME,
                                      background_color="default"))
        elif isinstance(event, FixFound):
            print_diff(self.console, event.diff)
        else:
            self.render(event)

    def _auto(self, arg: str) -> None:
        self.auto = not self.auto
        self.console.print(Text("programs run without asking" if self.auto
                                else "programs run after you confirm", style="dim"))

    def _run_by_user(self, code: str, note: str) -> None:
        self._run = LiveRun(self.console)
        try:
            result = self.executor.execute(code, self._on_output)
        finally:
            self._end_stream()
        self.console.print(output_panel(result, self.kernel.workdir))
        self._figures(result)
        self.session.record_user_run(code, result, note, self.prompts, self.executor)

    def _figures(self, result: ExecResult) -> None:
        """The images the run saved, drawn below its output where the terminal can."""
        from oci_interpreter.ui.figures import show_figures

        show_figures(self.console, result, self.kernel.workdir, self.options.settings.figures)

    def _model(self, name: str) -> None:
        if not name:
            self.console.print(Text(f"model: {self.backend.info.name} ({self.backend.info.path})"
                                    "; /model NAME switches (a name from `oci models list` "
                                    "or a .gguf path)", style="dim"))
            return
        if self.load_model is None:
            self.console.print(Text("switching models is not available here", style="yellow"))
            return
        self.console.print(Text(f"loading {name}…", style="dim"))
        new = self.load_model(name)  # OciError -> one red line in run()
        old, self.backend = self.backend, new
        old.close()
        self.prompts = for_family(new.info.family)
        self.session.model = new.info.name
        self.console.print(Text(f"now chatting with {new.info.name} (context "
                                f"{new.info.n_ctx:,}); the conversation is kept", style="dim"))

    def _limits(self, arg: str) -> None:
        from oci_interpreter.core.config import coerce
        from oci_interpreter.core.errors import UsageError
        from oci_interpreter.sandbox.limits import SETTINGS

        limits = self.kernel.limits
        if arg:
            values: dict[str, object] = {}
            for item in arg.split():
                key, eq, value = item.partition("=")
                key = key.replace("-", "_")
                if not eq or key not in SETTINGS:
                    raise UsageError(f"/limits {item}: expected KEY=VALUE with KEY one of "
                                     f"{', '.join(SETTINGS)}", "For example /limits timeout=30")
                values[key] = coerce(key, value, f"/limits {key}")
            limits = limits.with_settings(**values)
            self.kernel.limits = limits
            self.kernel.restart()
            self.console.print(Text("limits changed; the kernel restarted (variables are "
                                    "gone)", style="yellow"))
        self.console.print(limits_table(limits))


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
