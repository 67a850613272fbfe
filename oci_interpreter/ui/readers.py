"""Where the chat's input comes from: prompt_toolkit on a terminal, plain lines otherwise
(pipes, tests). Each implements :class:`Reader`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol


class Reader(Protocol):
    def line(self, prompt: str) -> str:
        """The user's next message; raises EOFError when input ends (Ctrl-D)."""
        ...

    def confirm(self, prompt: str) -> str:
        """The answer to a question; Ctrl-C or end of input answer ``n``."""
        ...


class LineReader:
    """Plain lines from a stream (pipes, tests). Confirmations are read as lines too."""

    def __init__(self, lines: Callable[[], str] | None = None, *,
                 answers: bool = True) -> None:
        self._next = lines or sys.stdin.readline
        self.answers = answers
        """False: questions are not read from the input (a pipe of messages): ``n``."""

    def line(self, prompt: str) -> str:
        text = self._next()
        if not text:
            raise EOFError
        return text.rstrip("\n")

    def confirm(self, prompt: str) -> str:
        if not self.answers:
            return "n"
        text = self._next()
        return text.strip() if text else "n"


class TerminalReader:
    """prompt_toolkit input: persistent history, completion of slash commands, Emacs or
    Vi keys, Esc-Enter (or a paste) for a new line, Ctrl-C clears the line."""

    def __init__(self, history: Path | None, editing_mode: str = "emacs", *,
                 commands: Mapping[str, str] | None = None,
                 input: object = None, output: object = None) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import Completer, Completion
        from prompt_toolkit.enums import EditingMode
        from prompt_toolkit.history import FileHistory, InMemoryHistory
        from prompt_toolkit.key_binding import KeyBindings

        names = dict(commands or {})

        class SlashCompleter(Completer):
            def get_completions(self, document, complete_event):  # type: ignore[no-untyped-def,unused-ignore]
                text = document.text_before_cursor
                if not text.startswith("/") or " " in text:
                    return
                for name, help_text in names.items():
                    if name.startswith(text):
                        yield Completion(name, start_position=-len(text), display_meta=help_text)

        bindings = KeyBindings()

        @bindings.add("escape", "enter")
        def _newline(event):  # type: ignore[no-untyped-def,unused-ignore]
            event.current_buffer.insert_text("\n")

        @bindings.add("c-c")
        def _clear(event):  # type: ignore[no-untyped-def,unused-ignore]
            # Ctrl-C at the prompt empties it in place: no second "›" line below the
            # first (prompt_toolkit's default ends the prompt with KeyboardInterrupt).
            event.current_buffer.reset()

        if history is not None:
            history.parent.mkdir(parents=True, exist_ok=True)
        hist = FileHistory(str(history)) if history is not None else InMemoryHistory()
        kwargs = {} if input is None else {"input": input, "output": output}
        self.completer = SlashCompleter()
        self.session: PromptSession[str] = PromptSession(
            history=hist, completer=self.completer, key_bindings=bindings,
            editing_mode=EditingMode.VI if editing_mode == "vi" else EditingMode.EMACS,
            complete_while_typing=True, **kwargs)  # type: ignore[arg-type]
        self._answers: PromptSession[str] = PromptSession(**kwargs)  # type: ignore[arg-type]

    def line(self, prompt: str) -> str:
        while True:
            try:
                return self.session.prompt(prompt)
            except KeyboardInterrupt:  # Ctrl-C at the prompt clears the line
                continue

    def confirm(self, prompt: str) -> str:
        try:
            return self._answers.prompt(prompt)
        except (KeyboardInterrupt, EOFError):
            return "n"
