"""Progress of the refine loop on a terminal (stderr): the model's reply as it streams,
the program's output live, one status line per run, and the loop's notices; `oci fix`'s
own events (:class:`FixView`) and how a fix ended (:func:`print_fix_outcome`, also the
chat's /fix)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.rule import Rule
from rich.syntax import Syntax
from rich.text import Text

from oci_interpreter.agent.events import (
    Agreement,
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
from oci_interpreter.agent.fix import (
    CheckWriting,
    CheckWritten,
    FileRunEnd,
    FileRunStart,
    FixEvent,
    FixFound,
    FixOutcome,
)
from oci_interpreter.ui import words
from oci_interpreter.ui.console import one_line, sanitize
from oci_interpreter.ui.execution import status_text


class LoopView:
    """Renders loop events on ``console``. ``stream_text=False`` shows a token count
    instead of the model's text (``oci fix``: the reply is a whole file)."""

    def __init__(self, console: Console, *, stream_text: bool = True,
                 show_code: bool = False, rounds: int | None = None) -> None:
        self.console = console
        self.stream_text = stream_text
        self.show_code = show_code
        self.rounds = rounds
        """The round budget, shown as "round 2 of 3"."""
        self._at_line_start = True
        self._live: Live | None = None
        self._tokens = 0
        self._asked = 0.0
        self._first: float | None = None
        self._prompt = 0

    def _progress(self) -> Text:
        """Reading the request (its size, the seconds so far), then writing: the rate
        from the first token on, so the reading does not count against it."""
        now = time.monotonic()
        if self._first is None:
            return Text(f"the model is reading the request… {self._prompt:,} tokens · "
                        f"{now - self._asked:.0f} s", style="dim")
        took = now - self._first
        rate = f"{(self._tokens - 1) / took:.1f} tok/s" if self._tokens > 1 and took > 0 \
            else "…"
        return Text(f"the model is writing… {self._tokens} tokens · {rate}", style="dim")

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _text(self, text: str) -> None:
        clean = sanitize(text)
        if not clean:
            return
        self.console.print(Text(clean, style="dim"), end="")
        self._at_line_start = clean.endswith("\n")

    def _newline(self) -> None:
        if not self._at_line_start:
            self.console.print()
            self._at_line_start = True

    def finish_output(self) -> None:
        """End the line of live output, if it did not end with one."""
        self._newline()

    def output(self, stream: str, text: str) -> None:
        """Live program output (the loop's ``on_output``)."""
        clean = sanitize(text)
        if clean:
            self.console.print(Text(clean, style="red" if stream == "stderr" else ""), end="")
            self._at_line_start = clean.endswith("\n")

    def __call__(self, event: Event) -> None:
        if isinstance(event, ModelStart):
            self._newline()
            why = words.PURPOSE.get(event.purpose, event.purpose)
            of = f" of {self.rounds}" if self.rounds else ""
            title = f"round {event.round}{of}" + (f" · {why}" if why else "")
            self.console.print(Rule(Text(title, style="bold"), style="dim", align="left"))
            self._tokens, self._asked, self._first = 0, time.monotonic(), None
            self._prompt = event.prompt_tokens
            self._live = Live(console=self.console, transient=True, refresh_per_second=4,
                              get_renderable=self._progress)
            self._live.start()
        elif isinstance(event, ModelText):
            if self._first is None:
                self._first = time.monotonic()
                if self.stream_text:  # the text itself shows the writing
                    self._stop_live()
            self._tokens += 1
            if self.stream_text:
                self._text(event.text)
        elif isinstance(event, ModelReply):
            self._stop_live()
            self._newline()
            stats = event.stats
            self.console.print(Text(
                f"{stats.generated_tokens} tokens · {stats.tokens_per_second:.1f} tok/s · "
                f"prompt {stats.prompt_tokens} ({stats.prompt_tokens_reused} cached)",
                style="dim"))
        elif isinstance(event, CodeFound):
            if self.show_code:
                self.console.print(Syntax(event.code, "python", theme="ansi_dark",
                                          background_color="default"))
            if event.other_languages:
                self.console.print(Text(words.other_languages(event.other_languages),
                                        style="yellow"))
        elif isinstance(event, ExecutionStart):
            self._newline()
            label = f"▶ running round {event.round}"
            if event.candidate:
                label += f", candidate {event.candidate + 1}"
            self.console.print(Text(label, style="bold cyan"))
        elif isinstance(event, ExecutionEnd):
            self._newline()
            self.console.print(status_text(event.result))
        elif isinstance(event, CodeSkipped):
            self._newline()
            self.console.print(Text(sanitize(event.message), style="yellow"))
        elif isinstance(event, Notice):
            self._newline()
            self.console.print(Text(sanitize(event.text), style="yellow"))
        elif isinstance(event, Agreement):
            self._newline()
            self.console.print(Text(event.describe(), style="green" if event.clear
                                    else "yellow"))
        elif isinstance(event, Stopped):
            self._stop_live()
            self._newline()


def print_diff(console: Console, diff: str) -> None:
    """A unified diff: highlighted on a terminal, as plain text otherwise (a CRLF file's
    lines keep their CRLF there, so the output applies with `git apply` or `patch`)."""
    clean = sanitize(diff)
    if not console.is_terminal and "\r\n" in diff:
        clean = "".join(sanitize(line.removesuffix("\r\n").removesuffix("\n"))
                        + ("\r\n" if line.endswith("\r\n") else "\n")
                        for line in diff.splitlines(keepends=True))
    if console.is_terminal and not console.no_color:
        console.print(Syntax(clean.rstrip("\n"), "diff", theme="ansi_dark",
                             background_color="default", word_wrap=True))
    else:
        console.file.write(clean)
        console.file.flush()


def print_run_outcome(console: Console, stopped: Stopped) -> None:
    """The last line of a shown run: how it ended, rounds, tokens, time."""
    from rich.markup import escape

    style = "green" if stopped.success else "red"
    totals = stopped.totals
    took = totals.prompt_seconds + totals.generate_seconds + totals.execution_seconds
    rounds = f"{stopped.rounds} round" + ("" if stopped.rounds == 1 else "s")
    vote = f" · {stopped.agreement.describe()}" if stopped.agreement is not None else ""
    console.print(f"[{style}]{'✓' if stopped.success else '✗'}[/{style}] "
                  f"{escape(one_line(stopped.message))}{escape(vote)} · {rounds} · "
                  f"{totals.generated_tokens} tokens · {took:.1f} s", highlight=False)


class FixView:
    """`oci fix`'s events on ``console`` (stderr): the runs of the file as it is, the check
    written from -m, the loop (a :class:`LoopView` with ``progress``); the diff of a fix on
    ``out`` (stdout; None: not shown, as with --json)."""

    def __init__(self, console: Console, out: Console | None, *, rounds: int,
                 progress: bool) -> None:
        self.console = console
        self.out = out
        self.loop = LoopView(console, stream_text=False, rounds=rounds) if progress else None

    def output(self, stream: str, text: str) -> None:
        if self.loop is not None:
            self.loop.output(stream, text)

    def __call__(self, event: FixEvent) -> None:
        console, loop = self.console, self.loop
        if isinstance(event, FileRunStart):
            if loop is not None or event.what == "check":
                console.print(Text.assemble(("running", "bold"), f" {one_line(event.command)}"))
        elif isinstance(event, FileRunEnd):
            if loop is not None:
                loop.finish_output()
            if loop is not None or event.what == "check":
                console.print(status_text(event.result))
        elif isinstance(event, CheckWriting):
            console.print(Text(words.WRITING_CHECK, style="bold"))
        elif isinstance(event, Notice) and event.topic == "check":
            console.print(Text(one_line(event.text), style="yellow"))
        elif isinstance(event, CheckWritten):
            console.print(Syntax(event.check, "python", theme="ansi_dark",
                                 background_color="default"))
        elif isinstance(event, FixFound):
            if self.out is not None:
                print_diff(self.out, event.diff)
        elif loop is not None and not isinstance(event, FixOutcome):
            loop(event)


def as_given(path: Path) -> str:
    """A path as the user would write it: relative to the current directory when inside
    it (``sub/x.py``), else as given."""
    try:
        return str(path.expanduser().absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_fix_outcome(console: Console, outcome: FixOutcome, name: str, *,
                      label: Callable[[Path], str] = as_given,
                      say_what: str = "say what with -m", other_check: str = ", or give --test",
                      to_write: str = " Run with --yes to write it.") -> None:
    """How a fix ended, for `oci fix` and the chat's /fix alike: ``name`` is the file as
    the user named it, ``label`` shows the backup's path; the other arguments are how the
    user says things in this client (the command's flags by default)."""
    name = one_line(name)

    def line(*parts: str | tuple[str, str]) -> None:
        console.print(Text.assemble(*parts))

    if outcome.cancelled:
        line((f"interrupted: {name} is unchanged.", "yellow"))
    elif outcome.nothing_to_fix:
        what = "the test passes" if outcome.test is not None else f"{name} runs without error"
        line(("✓", "green"), f" {what}: nothing to fix (if it does the wrong thing, "
             f"{say_what}).")
    elif outcome.end == "check_declined":
        line(("nothing changed", "yellow"))
    elif outcome.end == "check_passes":
        line((f"your check passes on {name} as it is, so it does not show the problem; "
              "nothing changed", "yellow"), f" (describe it differently{other_check})")
    elif not outcome.fixed:
        if outcome.diff:
            line(("best attempt", "bold"), " (not written):")
            print_diff(console, outcome.diff)
        for item in outcome.rejected:
            line((f"  round {item['round']}: ran cleanly but refused: "
                  f"{one_line(item['why'])}", "yellow"))
        message = outcome.stopped.message if outcome.stopped else "no fix"
        line(("✗", "bold red"), f" could not fix {name}: {one_line(message)}. "
             "The file is unchanged.")
        if outcome.hint:
            line((f"  next: {one_line(outcome.hint)}", "dim"))
    elif outcome.passes_unchanged:
        line(("✓", "green"), " it passes now without changes (a flaky failure?); "
             "nothing written.")
    else:
        mark = ("✓", "green") if outcome.verified else ("?", "yellow")
        evidence = one_line(outcome.evidence())
        if outcome.written:
            kept = (f" (the original is in {one_line(label(outcome.backup))})"
                    if outcome.backup else "")
            head = "fixed" if outcome.verified else "wrote the change to"
            line(mark, f" {head} {name}{kept}: {evidence}.")
        else:
            head = "found a fix" if outcome.verified else "found a change that runs"
            line(mark, f" {head}: {evidence}; {name} is unchanged.{to_write}")
