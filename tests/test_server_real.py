"""The server backend against a real server: `oci serve` (llama-cpp-python's OpenAI-compatible
server) with the small embedded model on 127.0.0.1, and `oci run`, `oci fix` and
`oci chat` each passing once through it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_interpreter.backend.base import GenerationOptions, Message
from oci_interpreter.backend.server import ServerBackend
from oci_interpreter.core.config import Settings
from tests.support.real_server import (
    cancel_then_answer,
    free_port,
    stop,
    two_at_once,
    wait_until_up,
)

pytestmark = [pytest.mark.model, pytest.mark.spawns]


@pytest.fixture(scope="module")
def served(small_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`oci serve` with the small model; yields its base URL."""
    import shutil
    import sys

    home = tmp_path_factory.mktemp("serve-home")
    port = free_port()
    oci = shutil.which("oci", path=str(Path(sys.executable).parent)) or "oci"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCI_")}
    env.update(OCI_HOME=str(home), NO_COLOR="1")
    log = (home / "serve.log").open("wb")
    proc = subprocess.Popen([oci, "serve", "--port", str(port), "--model", str(small_model_path),
                             "--n-ctx", "4096"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    wait_until_up(proc, f"{url}/models", home / "serve.log", "oci serve")
    yield url
    stop(proc)  # Ctrl-C, as a user stops it
    log.close()


def test_serve_lists_the_model_and_the_backend_streams(served: str,
                                                        small_model_path: Path) -> None:
    b = ServerBackend(served, Settings(n_ctx=4096))
    assert b.info.name == small_model_path.name  # served under the name oci resolved
    assert b.count_tokens([Message("user", "def add(a, b):")]) < 20
    assert b._tokenizer == "llama-cpp-python"  # the server's own tokenizer, not an estimate
    completion = b.chat([Message("user", "Write a Python function add(a, b) that returns "
                                 "a + b. Only the code.")],
                        GenerationOptions(max_tokens=80))
    chunks = list(completion)
    assert len(chunks) > 5 and "def add" in "".join(chunks)
    assert completion.stats.finish_reason in ("stop", "length")
    assert completion.stats.generated_tokens >= len(chunks) // 2
    b.close()


def test_cancel_stops_the_server_and_the_next_request_answers(served: str) -> None:
    # the cancelled reply did not run on to its 800 tokens first (~25 s on 2 cores)
    assert cancel_then_answer(served) < 15


def test_concurrent_requests_queue_instead_of_cutting_each_other(served: str) -> None:
    two_at_once(served)


def test_oci_run_through_the_server(served: str, oci_bin: str, tmp_path: Path) -> None:
    proc = subprocess.run([oci_bin, "run", "Print the sum of the integers from 1 to 100.",
                           "--base-url", served, "--json"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["success"] and "5050" in out["final_output"]


def test_oci_fix_through_the_server(served: str, oci_bin: str, tmp_path: Path) -> None:
    script = tmp_path / "total.py"
    script.write_text("numbers = [1, 2, 3]\nprint(sum(numbers) / len(numbrs))\n")
    proc = subprocess.run([oci_bin, "fix", str(script), "--yes", "--base-url", served],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 7, proc.stderr  # written, unverified: no --test or -m
    assert "numbrs" not in script.read_text()
    done = subprocess.run(["python3", str(script)], capture_output=True, text=True)
    assert done.stdout.strip() == "2.0"


def test_oci_chat_through_the_server(served: str, oci_bin: str, tmp_path: Path,
                                     small_model_path: Path) -> None:
    proc = subprocess.run([oci_bin, "chat", "--base-url", served, "--yes"],
                          input="Compute 2 to the power of 10 with Python and print it.\n/exit\n",
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert small_model_path.name[:12] in proc.stdout  # the banner names the server's model
    assert "1024" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_oci_serve_on_a_taken_port_is_one_line(served: str, oci_bin: str,
                                               small_model_path: Path) -> None:
    port = served.split(":")[2].split("/")[0]
    proc = subprocess.run([oci_bin, "serve", "--port", port, "--model", str(small_model_path)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"oci: port {port} on 127.0.0.1 is already in use. Pick "
                                   "another with --port, or stop what listens there.")
