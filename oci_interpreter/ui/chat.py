"""The interactive session (``oci chat``): the refine loop with the user in it.

Each message runs the agent's refine loop with the programs as cells of one persistent
kernel, so variables survive between turns. The user reads each program before it runs
and answers ``y`` / ``n`` / ``e`` (edit first) / ``a`` (always), or types guidance instead,
which goes to the model (the "human feedback" of the OpenCodeInterpreter paper). Replies
stream as Markdown, each run shows as a panel, and a quiet status line follows each turn.

This module reads and renders; it decides nothing the model reads or the loop does. The
chat's controller (agent/chat.py, :class:`~oci_interpreter.agent.chat.ChatController`)
owns the turn's policy, what an answer at the run prompt means, the slash commands'
effects and the check of a reply that cites a result when nothing ran. Input comes from a
:class:`~oci_interpreter.ui.readers.Reader` (readers.py), the events are drawn by
:class:`~oci_interpreter.ui.chat_view.ChatView`, and the slash commands are one table
(:data:`COMMANDS`: help line and handler).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from oci_interpreter.agent.chat import Answer, ChatController, ChatOptions
from oci_interpreter.agent.prompts import PromptSet
from oci_interpreter.agent.session import ChatSession
from oci_interpreter.backend.base import Backend
from oci_interpreter.core.errors import ExitStatus, OciError
from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.ui import words
from oci_interpreter.ui.chat_view import ChatView, edit_code, limits_table, show_code
from oci_interpreter.ui.console import one_line, sanitize
from oci_interpreter.ui.readers import Reader

__all__ = ["ALIASES", "COMMANDS", "HELP", "ChatApp", "ChatOptions"]


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
"""Name -> help line (the completer shows these)."""
ALIASES = {"/quit": "/exit", "/q": "/exit", "/?": "/help", "/clear": "/reset"}
EXIT_WORDS = {"exit", "quit"}
CONFIRM = "Run it? [Y]es / [n]o / [e]dit / [a]lways, or type guidance for the model: "


class ChatApp:
    """``ChatApp(...).interact()`` -> exit status. Everything it needs is injected; the
    chat itself is :attr:`chat` (agent/chat.py), drawn by :attr:`view`."""

    def __init__(self, backend: Backend, kernel: Kernel, console: Console, reader: Reader,
                 options: ChatOptions | None = None, *, session: ChatSession | None = None,
                 prompts: PromptSet | None = None,
                 load_model: Callable[[str], Backend] | None = None,
                 family: str = "auto", terminal_input: TextIO | None = None,
                 modules: Sequence[str] = ()) -> None:
        self.chat = ChatController(backend, kernel, options, session=session,
                                   prompts=prompts, load_model=load_model, family=family,
                                   modules=modules)
        self.console = console
        self.reader = reader
        self.view = ChatView(console, self.chat, terminal_input=terminal_input)

    @property
    def backend(self) -> Backend:
        return self.chat.backend

    @property
    def session(self) -> ChatSession:
        return self.chat.session

    @property
    def prompts(self) -> PromptSet:
        return self.chat.prompts

    @property
    def auto(self) -> bool:
        return self.chat.auto

    def say(self, text: str, style: str = "dim") -> None:
        self.console.print(Text(text, style=style))

    # ------------------------------------------------------------------ main --

    def interact(self) -> ExitStatus:
        """Read messages and commands until the user leaves; the exit status."""
        info = self.backend.info
        self.console.print(Text.assemble(
            ("oci", "bold"), " chat with ", (info.name, "cyan"), f" (context {info.n_ctx:,}). ",
            ("Programs run " + ("without asking (/auto to change)" if self.auto
                                else "after you confirm"), ""),
            ". /help lists commands; Ctrl-C stops a reply or a run; Ctrl-D or /exit leaves.",
            style="dim"))
        if self.session.turns:
            self.say(f"Resumed a conversation of {len(self.session.turns)} turn(s); variables "
                     "from it are not in the new kernel (/run re-runs the last program).",
                     "yellow")
        while True:
            try:
                text = self.reader.line("› ")
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return ExitStatus.OK
            text = text.strip()
            if not text:
                continue
            if text.lower() in EXIT_WORDS:
                return ExitStatus.OK
            if text.startswith("/"):
                try:
                    if self.command(text) == "exit":
                        return ExitStatus.OK
                except OciError as exc:
                    self.say(exc.one_line(), "red")
                continue
            request: str | None = text
            while request is not None:  # the user's guidance typed at the run prompt
                self.turn(request)
                request = self.chat.follow_up()

    def turn(self, request: str) -> None:
        """One message: the loop runs until its stop rules say done; never raises for
        the model or the program (errors become one red line)."""
        self.view.begin()
        events = self.chat.turn(request, self.ask, on_output=self.view.output)
        try:
            for event in events:
                self.view(event)
        except KeyboardInterrupt:
            self.view.end()
            self.view.interrupted()
        except OciError as exc:
            self.view.end()
            self.say(exc.one_line(), "red")
        finally:
            events.close()  # records the turn, however it ended
            self.view.end()
            self._autosave()

    def _autosave(self) -> None:
        failed = self.chat.autosave()
        if failed is not None:
            self.say(failed, "yellow")

    # ------------------------------------------------------------ confirming --

    def ask(self, code: str, round_: int) -> Answer:
        """Before each program runs (unless programs run without asking): y / n / e / a,
        or guidance for the model."""
        self.view.end()
        while True:
            answer = self.reader.confirm(CONFIRM).strip()
            low = answer.lower()
            if low in ("", "y", "yes"):
                return Answer(True)
            if low in ("n", "no"):
                self.say("not run", "yellow")
                return Answer(False)
            if low in ("a", "always"):
                self.say("Programs run without asking for the rest of this session (/auto "
                         "turns it off).")
                return Answer(True, always=True)
            if low in ("e", "edit"):
                edited = self.edit(code)
                if edited is None:
                    continue
                show_code(self.console, edited)
                return Answer(True, code=edited)
            if len(answer) > 1:
                self.say("not run; your words go to the model")
                return Answer(False, guidance=answer)
            self.say("Answer y, n, e or a (or type a sentence for the model).", "yellow")

    def edit(self, code: str) -> str | None:
        """``code`` opened in the user's editor; the saved text, or None (message shown)."""
        return edit_code(self.console, code, self.chat.options.editor)

    # -------------------------------------------------------------- commands --

    def command(self, text: str) -> str | None:
        """A slash command; ``"exit"`` when the chat should end."""
        name, _, arg = text.partition(" ")
        name = ALIASES.get(name.lower(), name.lower())
        command = COMMANDS.get(name)
        if command is None:
            close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.say(f"unknown command {name}{hint}: /help lists them", "red")
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
        self.say("At the run prompt: y runs, n skips, e edits first, a runs everything from "
                 "now on; any sentence goes to the model.")

    def _reset(self, arg: str) -> None:
        self.chat.reset()
        self.say("new conversation, fresh kernel")

    def _undo(self, arg: str) -> None:
        turn = self.chat.undo()
        if turn is None:
            self.say("nothing to undo", "yellow")
            return
        short = turn.request if len(turn.request) < 60 else turn.request[:57] + "…"
        self.say(f"dropped: {sanitize(short)} (variables it set are still in the kernel)")
        self._autosave()

    def _save(self, arg: str) -> None:
        path = Path(arg).expanduser() if arg else self.chat.options.autosave
        if path is None:
            self.say("say where: /save PATH.json", "yellow")
            return
        if arg and not path.parent.is_dir():
            self.say(f"cannot save to {path}: no such directory {path.parent}", "red")
            return
        try:
            saved = self.session.save(path)
        except OSError as exc:
            self.say(f"cannot save to {path}: {exc.strerror}", "red")
        else:
            self.say(f"saved to {saved}")

    def _load(self, arg: str) -> None:
        if not arg:
            self.say("say which: /load PATH.json", "yellow")
            return
        session = self.chat.load(Path(arg))
        self.say(f"loaded {len(session.turns)} turn(s) from {arg}; the kernel still holds "
                 "this session's variables")

    def _rerun(self, arg: str) -> None:
        code = self.session.last_code()
        if code is None:
            self.say("no program has run yet", "yellow")
            return
        self._run_by_user(code, edited=False)

    def _edit(self, arg: str) -> None:
        code = self.session.last_code()
        if code is None:
            self.say("no program has run yet", "yellow")
            return
        edited = self.edit(code)
        if edited is not None:
            show_code(self.console, edited)
            self._run_by_user(edited, edited=True)

    def _run_by_user(self, code: str, *, edited: bool) -> None:
        self.view.running()
        try:
            result = self.chat.run_by_user(code, edited=edited, on_output=self.view.output)
        finally:
            self.view.end()
        self.view.result(result)

    def _auto(self, arg: str) -> None:
        auto = self.chat.toggle_auto()
        self.say("programs run without asking" if auto else "programs run after you confirm")

    def _model(self, name: str) -> None:
        info = self.backend.info
        if not name:
            self.say(f"model: {info.name} ({info.path}); /model NAME switches (a name from "
                     "`oci models list` or a .gguf path)")
            return
        if self.chat.load_model is None:
            self.say("switching models is not available here", "yellow")
            return
        self.say(f"loading {name}…")
        new = self.chat.switch_model(name).info  # OciError -> one red line
        self.say(f"now chatting with {new.name} (context {new.n_ctx:,}); the conversation "
                 "is kept")

    def _limits(self, arg: str) -> None:
        if arg:
            self.chat.set_limits(arg)  # OciError -> one red line
            self.say("limits changed; the kernel restarted (variables are gone)", "yellow")
        self.console.print(limits_table(self.chat.kernel.limits))

    def _fix(self, arg: str) -> None:
        """``/fix [--no-backup] FILE [description]``: `oci fix` inside the chat, with this
        model (agent/chat.py ``ChatController.fix``); the check and the diff are shown, and
        nothing is written unless the user says so."""
        from oci_interpreter.agent.fix import follow_fix
        from oci_interpreter.ui.loop_view import print_fix_outcome

        call = self.chat.fix_call(arg)
        if call is None:
            self.say("say which: /fix [--no-backup] FILE [what it does wrong]", "yellow")
            return
        name = call.name

        def yes(question: str, default: bool) -> bool:
            answer = self.reader.confirm(question).strip().lower()
            return answer in ("y", "yes") or (default and not answer)

        events = self.chat.fix(  # OciError -> one red line
            call, accept_check=lambda check: yes(f"{words.USE_CHECK} [Y/n] ", True),
            accept_write=lambda found: yes(
                f"{words.write_fix(one_line(name), found.git)} [y/N] ", False),
            on_output=self.view.output)
        self.view.begin()
        try:
            outcome = follow_fix(events, self.view.fix_event)
        finally:
            self.view.end()
        print_fix_outcome(self.console, outcome, name,
                          label=lambda kept: str(Path(name).with_name(kept.name)),
                          say_what="say what after its name", other_check="", to_write="")
