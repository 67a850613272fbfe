"""The server backend against llama.cpp's own `llama-server` (continuous batching with
--parallel), with the small embedded model on 127.0.0.1.

llama-server is not a Python package: these tests run when a binary is there (the
OCI_LLAMA_SERVER variable names it, else `llama-server` on PATH) and are skipped
otherwise -- CI has none. docs/scale-out.md says how to build it; docs/benchmarks.md
has the run of these tests and the `--jobs` figures measured against it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from oci_interpreter.backend.base import GenerationOptions, Message
from oci_interpreter.backend.server import ServerBackend
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import ContextOverflowError
from tests.support.real_server import (
    cancel_then_answer,
    free_port,
    stop,
    two_at_once,
    wait_until_up,
)

pytestmark = [pytest.mark.model, pytest.mark.spawns]

SLOTS = 2
CONTEXT = 8192  # split between the slots: 4096 each


def _binary() -> str | None:
    named = os.environ.get("OCI_LLAMA_SERVER")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("llama-server")


@pytest.fixture(scope="module")
def llama_server(small_model_path: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """llama-server with the small model and two slots; yields its base URL."""
    binary = _binary()
    if binary is None:
        pytest.skip("no llama-server binary (set OCI_LLAMA_SERVER or put it on PATH)")
    port = free_port()
    home = tmp_path_factory.mktemp("llama-server")
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [binary, "-m", str(small_model_path), "-c", str(CONTEXT), "--parallel", str(SLOTS),
         "--host", "127.0.0.1", "--port", str(port), "-t", str(os.cpu_count() or 2)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    root = f"http://127.0.0.1:{port}"
    wait_until_up(proc, f"{root}/health", home / "server.log", "llama-server", 120)
    yield f"{root}/v1"
    stop(proc, signal.SIGTERM)
    log.close()


def test_context_per_slot_and_the_servers_tokenizer(llama_server: str) -> None:
    b = ServerBackend(llama_server, Settings(n_ctx=32768))
    assert b.info.n_ctx == CONTEXT // SLOTS  # from /props, not the n_ctx setting
    assert 2 < b.count_tokens([Message("user", "def add(a, b):")]) < 30
    assert b._tokenizer == "llama-server"
    b.close()


def test_streaming_timings_and_the_prompt_cache(llama_server: str) -> None:
    b = ServerBackend(llama_server, Settings())
    history = [Message("system", "You are a careful Python programmer. " * 40),
               Message("user", "Write a function add(a, b) that returns a + b.")]
    first = b.chat(history, GenerationOptions(max_tokens=60))
    text = first.text()
    assert "def add" in text
    assert first.stats.finish_reason in ("stop", "length")
    assert first.stats.generated_tokens > 5 and first.stats.prompt_seconds > 0
    follow_up = [*history, Message("assistant", text), Message("user", "Now subtract.")]
    second = b.chat(follow_up, GenerationOptions(max_tokens=40))
    second.text()
    # cache_prompt: the shared history was not evaluated again
    assert second.stats.prompt_tokens_reused > 300
    assert second.stats.prompt_tokens_evaluated < second.stats.prompt_tokens // 2
    b.close()


def test_a_prompt_beyond_the_slot_is_one_context_error(llama_server: str) -> None:
    b = ServerBackend(llama_server, Settings())
    long = [Message("user", "word " * 6000)]
    with pytest.raises(ContextOverflowError, match="context"):
        b.chat(long, GenerationOptions(max_tokens=10))  # our own check, from /props
    b.info = replace(b.info, n_ctx=10**6)  # the server's own refusal (HTTP 400)
    with pytest.raises(ContextOverflowError, match="server's context"):
        b.chat(long, GenerationOptions(max_tokens=10)).text()
    b.close()


def test_cancel_frees_the_slot_for_the_next_request(llama_server: str) -> None:
    assert cancel_then_answer(llama_server) < 15


def test_two_requests_are_served_at_once(llama_server: str) -> None:
    two_at_once(llama_server)


def test_oci_run_through_llama_server(llama_server: str, oci_bin: str, tmp_path: Path) -> None:
    proc = subprocess.run([oci_bin, "run", "Print the sum of the integers from 1 to 100.",
                           "--base-url", llama_server, "--json"], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["success"] and "5050" in out["final_output"]
