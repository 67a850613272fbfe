"""Cancellation: a token that Ctrl-C (or any caller) sets, and long work polls."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class CancelToken:
    """A thread-safe flag. Backends check it between tokens and inside long C calls."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def reset(self) -> None:
        self._event.clear()


@contextlib.contextmanager
def cancel_on_sigint(token: CancelToken) -> Iterator[CancelToken]:
    """While inside, Ctrl-C sets ``token`` instead of raising KeyboardInterrupt.

    A second Ctrl-C while the token is already set raises KeyboardInterrupt, so a
    user is never stuck. Only installs a handler in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield token
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield token
    finally:
        signal.signal(signal.SIGINT, previous)
