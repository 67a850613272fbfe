"""Progress bars for long byte-counted work (model assembly, verification, downloads)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


@contextlib.contextmanager
def byte_progress(console: Console, description: str, *,
                  waiting: str | None = None) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``(done, total)`` callback that drives a progress bar on ``console``.

    The bar appears at the first call, so work that turns out to have no bytes to count
    (a model already assembled and verified) shows no empty "0/? bytes" bar: ``waiting``,
    if given, is a spinner's text until then (loading the model).
    """
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task(description, total=None)
    status = (console.status(waiting, spinner="dots")
              if waiting is not None and console.is_terminal else None)
    started = False

    def update(done: int, total: int) -> None:
        nonlocal started
        if not started:
            started = True
            if status is not None:
                status.stop()
            progress.start()
        progress.update(task, completed=done, total=total or None)

    if status is not None:
        status.start()
    try:
        yield update
    finally:
        if started:
            progress.stop()
        elif status is not None:
            status.stop()
