"""Stream a Markdown reply to the terminal without flicker.

Re-rendering the whole reply on every token gets slow and, once the reply is taller
than the window, makes Rich's ``Live`` repeat lines. Here the reply is rendered as
Markdown at most every ``interval`` seconds; the lines that are more than
``live_lines`` from the end can no longer change, so they are printed once, for good,
above a small live area that holds only the last few lines. Code blocks are
syntax-highlighted while they stream (an unterminated fence is still a code block).

On a console that is not a terminal (a pipe, a test) nothing is drawn live: the whole
reply is printed once when it ends.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.text import Text

from oci_interpreter.ui.console import sanitize

CODE_THEME = "monokai"


class MarkdownStream:
    def __init__(self, console: Console, *, live_lines: int = 6,
                 interval: float = 0.08) -> None:
        self.console = console
        self.live_lines = live_lines
        self.interval = interval
        self.text = ""
        self._printed = 0
        self._last = 0.0
        self._live: Live | None = None
        self._live_capable = console.is_terminal and not console.is_dumb_terminal

    def _render(self, text: str) -> list[Text]:
        markdown = Markdown(sanitize(text), code_theme=CODE_THEME, inline_code_theme=CODE_THEME)
        options = self.console.options.update(height=None)
        lines = self.console.render_lines(markdown, options, pad=False, new_lines=False)
        out = []
        for line in lines:
            text_line = Text(no_wrap=True, overflow="crop", end="")
            for segment in line:
                if not segment.control:
                    text_line.append(segment.text, segment.style)
            text_line.rstrip()
            out.append(text_line)
        while out and not out[-1].plain.strip():
            out.pop()
        return out

    def append(self, chunk: str) -> None:
        self.text += chunk
        if not self._live_capable:
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        self._draw(final=False)

    def _draw(self, final: bool) -> None:
        lines = self._render(self.text)
        cut = len(lines) if final else max(len(lines) - self.live_lines, 0)
        if self._live is None and not final:
            self._live = Live(console=self.console, auto_refresh=False, transient=True,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        for line in lines[self._printed:cut]:
            self.console.print(line)
        self._printed = max(self._printed, cut)
        if self._live is not None:
            tail = lines[self._printed:]
            self._live.update(Text("\n").join(tail) if tail else Text(""), refresh=True)

    def close(self) -> None:
        """The reply ended (or was stopped): print what is left and end the live area."""
        try:
            if self._live_capable:
                self._draw(final=True)
            elif self.text.strip():
                for line in self._render(self.text):
                    self.console.print(line)
        finally:
            if self._live is not None:
                self._live.update(Text(""), refresh=True)
                self._live.stop()
                self._live = None
