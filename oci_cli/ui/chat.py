"""A minimal interactive chat with the model (the full REPL is built on the agent loop).

Input comes from prompt_toolkit on a terminal (history, line editing) and from
plain lines otherwise (pipes, tests). Replies stream as they are generated;
Ctrl-C stops a reply and keeps what was written; Ctrl-D or /exit leaves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from oci_cli.agent.prompts import SYSTEM_CHAT
from oci_cli.backend.base import Backend, GenerationOptions, GenerationStats, Message
from oci_cli.core import paths
from oci_cli.core.cancel import CancelToken, cancel_on_sigint
from oci_cli.core.errors import ContextOverflowError
from oci_cli.ui.console import sanitize

EXIT_WORDS = {"/exit", "/quit", "exit", "quit"}
InputFn = Callable[[str], str]


def terminal_input() -> InputFn:
    """prompt_toolkit input with persistent history (in the data dir)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = paths.data_dir() / "history"
    history.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))

    def read(prompt: str) -> str:
        while True:
            try:
                return session.prompt(prompt)
            except KeyboardInterrupt:  # Ctrl-C at the prompt clears the line
                continue

    return read


def plain_input(prompt: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def status_line(stats: GenerationStats, n_ctx: int) -> str:
    used = stats.prompt_tokens + stats.generated_tokens
    parts = [
        f"{stats.generated_tokens} tokens",
        f"{stats.tokens_per_second:.1f} tok/s",
        f"prompt {stats.prompt_tokens} ({stats.prompt_tokens_reused} cached)",
        f"context {used}/{n_ctx}",
    ]
    if stats.finish_reason == "cancelled":
        parts.append("stopped")
    elif stats.finish_reason == "length":
        parts.append("cut at max_tokens")
    return " · ".join(parts)


def run_chat(backend: Backend, console: Console, read: InputFn,
             options: GenerationOptions, system: str = SYSTEM_CHAT) -> int:
    """The chat loop. Returns the exit status."""
    messages: list[Message] = [Message("system", system)]
    console.print(
        f"[bold]oci[/bold] chat with [cyan]{backend.info.name}[/cyan] "
        f"(context {backend.info.n_ctx:,}). Ctrl-C stops a reply, Ctrl-D or /exit leaves.",
    )
    while True:
        try:
            text = read("› ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        text = text.strip()
        if not text:
            continue
        if text.lower() in EXIT_WORDS:
            return 0
        if text == "/reset":
            messages = messages[:1]
            console.print("[dim]new conversation[/dim]")
            continue
        messages.append(Message("user", text))
        token = CancelToken()
        parts: list[str] = []
        try:
            with cancel_on_sigint(token):
                completion = backend.chat(messages, options, cancel=token)
                for chunk in completion:
                    clean = sanitize(chunk)
                    parts.append(chunk)
                    console.print(clean, end="", markup=False, highlight=False)
        except ContextOverflowError as exc:
            messages.pop()
            console.print(f"[red]{exc.one_line()}[/red]")
            continue
        console.print()
        reply = "".join(parts).strip()
        messages.append(Message("assistant", reply))
        console.print(f"[dim]{status_line(completion.stats, backend.info.n_ctx)}[/dim]")
