"""How a sandboxed run looks in the terminal: live output, then one status line."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

from oci_interpreter.core.sizes import format_size
from oci_interpreter.sandbox.limits import ExecResult
from oci_interpreter.ui.console import one_line, sanitize


def status_text(result: ExecResult, cwd: Path | None = None) -> Text:
    """``✓ exit 0 · 0.05 s · 12.1 MiB peak`` plus what went wrong and what was saved."""
    good = result.ok
    text = Text("✓ " if good else "✗ ", style="green" if good else "red")
    text.append(one_line(result.describe()), style="" if good else "bold red")
    text.append(f" · {result.duration_s:.2f} s", style="dim")
    if result.peak_memory_bytes:
        text.append(f" · {format_size(result.peak_memory_bytes)} peak", style="dim")
    if result.output_capped:
        text.append(" · output capped", style="yellow")
    if result.stdin_read:
        text.append(" · read stdin (there is none: it got end-of-file)", style="yellow")
    from oci_interpreter.agent.feedback import needed_network

    if needed_network(result):
        text.append(" · it needed the network, which is off (--allow-network turns it on)",
                    style="yellow")
    if result.state_lost:
        text.append(" · kernel restarted: variables are gone", style="yellow")
    def shown(path: str) -> str:
        p = Path(path)
        if cwd is not None:
            with contextlib.suppress(ValueError):
                p = p.relative_to(cwd)
        return one_line(str(p))

    for verb, paths, style in (("saved", result.files, "cyan"),
                               ("changed", result.modified, "cyan"),
                               ("deleted", result.deleted, "yellow")):
        for path in paths:
            text.append(f"\n  {verb} {shown(path)}", style=style)
    # "PATH: reason": the path made relative by its prefix (a name may hold ": " too).
    prefix = f"{cwd}{os.sep}" if cwd is not None else None
    for item in result.refused:
        if prefix is not None and item.startswith(prefix):
            item = item[len(prefix):]
        text.append(f"\n  not applied {one_line(item)}", style="yellow")
    for warning in result.warnings:
        text.append(f"\n  ! {one_line(warning)}", style="bold yellow")
    return text


class LiveOutput:
    """Writes a program's output as it arrives; sanitized where it goes to a terminal
    (``out_terminal``, ``err_terminal``: what the caller knows of the two streams)."""

    def __init__(self, out: TextIO, err: TextIO, *, out_terminal: bool,
                 err_terminal: bool) -> None:
        self._streams = {"stdout": out, "stderr": err}
        self._clean = {"stdout": out_terminal, "stderr": err_terminal}
        self.ends_line = True

    def __call__(self, stream: str, text: str) -> None:
        target = self._streams[stream]
        target.write(sanitize(text) if self._clean[stream] else text)
        target.flush()
        if text:
            self.ends_line = text.endswith("\n")


def print_note(console: Console, note: str | None) -> None:
    if note:
        console.print(Text(sanitize(note), style="yellow"))
