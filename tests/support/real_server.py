"""What the tests against real model servers (`oci serve`, llama-server) share: a free
port, waiting for the server to answer, stopping it, and the checks both must pass."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from oci_interpreter.backend.base import GenerationOptions, Message
from oci_interpreter.backend.server import ServerBackend
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(proc: subprocess.Popen[bytes], url: str, log_path: Path, what: str,
                  timeout_s: float = 180) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it never does."""
    deadline = time.time() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not come up: "
                        + log_path.read_text(errors="replace")[-2000:])
        time.sleep(0.3)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    """Signal the server's process group (Ctrl-C, as a user stops it); kill if it lingers."""
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cancel_then_answer(url: str) -> float:
    """Cancel a long reply after 5 chunks, then ask again: the seconds the next reply took."""
    b = ServerBackend(url, Settings(n_ctx=4096))
    cancel = CancelToken()
    completion = b.chat([Message("user", "Count from 1 to 500, one number per line.")],
                        GenerationOptions(max_tokens=800), cancel=cancel)
    got = []
    for chunk in completion:
        got.append(chunk)
        if len(got) == 5:
            cancel.cancel()
    assert completion.stats.finish_reason == "cancelled" and len(got) < 12
    start = time.perf_counter()
    assert b.chat([Message("user", "Say OK.")], GenerationOptions(max_tokens=5)).text()
    b.close()
    return time.perf_counter() - start


def two_at_once(url: str) -> None:
    """Two requests sent together both complete with a proper finish reason."""
    b = ServerBackend(url, Settings(n_ctx=4096))
    results: list[tuple[str, str]] = []

    def ask(n: int) -> None:
        c = b.chat([Message("user", f"Write the number {n} in words.")],
                   GenerationOptions(max_tokens=12))
        results.append((c.text(), c.stats.finish_reason))

    threads = [threading.Thread(target=ask, args=(n,)) for n in (3, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    assert all(text and reason in ("stop", "length") for text, reason in results)
    b.close()
