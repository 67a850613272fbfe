"""What a user gets out of the box: the embedded default model (Qwen2.5-Coder-1.5B) through
the installed `oci run` and `oci fix`, with no --model, in a fresh OCI_HOME -- so the model
is assembled from the installed `model` extra and verified on first use, as after a new
install -- and the peak memory that costs (the goal: at most 1.3x the weights plus the KV
cache). Most model tests use the small model; these few are the default's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oci_interpreter.core import catalog, gguf_meta, store

pytestmark = [pytest.mark.model, pytest.mark.spawns]

DEFAULT = "qwen2.5-coder-1.5b"
N_CTX = 8192  # the default context: the KV cache the memory goal allows for


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh OCI_HOME for the module: the first command assembles the default into it."""
    return tmp_path_factory.mktemp("fresh-oci-home")


def oci(oci_bin: str, home: Path, cwd: Path, *args: str,
        timeout: float = 600) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the installed `oci`; return the result and its peak RSS in bytes (wait4)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCI_")}
    env.update(OCI_HOME=str(home), NO_COLOR="1")
    out_path, err_path = cwd / ".oci-test-stdout", cwd / ".oci-test-stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen([oci_bin, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                pytest.fail(f"oci {' '.join(args)} did not finish within {timeout:.0f} s")
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out_path.read_text(),
                                         err_path.read_text())
    out_path.unlink()
    err_path.unlink()
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB here
    return result, usage.ru_maxrss * scale


def test_run_on_the_default_model_out_of_the_box(oci_bin: str, home: Path,
                                                 tmp_path: Path) -> None:
    result, peak = oci(oci_bin, home, tmp_path, "run", "sum of the digits of 2**100", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == DEFAULT
    assert data["success"] is True and "115" in data["final_output"]
    # Assembled in the fresh store from the installed chunks, verified, stamped.
    mf = catalog.lookup("default").file_for(None)
    path = home / "models" / mf.file
    assert path.stat().st_size == mf.size
    assert store.read_stamp(path) is not None and store.read_stamp(path)["sha256"] == mf.sha256
    # Memory: the weights once (not mapped pages beside llama.cpp's repacked copy), the KV
    # cache, the compute buffers and Python: at most 1.3x the weights plus the KV cache.
    kv = gguf_meta.read_header(path).kv_cache_bytes(N_CTX)
    assert kv is not None
    assert peak <= 1.3 * (mf.size + kv), (
        f"peak RSS {peak / 2**20:.0f} MiB > 1.3 x ({mf.size / 2**20:.0f} MiB weights + "
        f"{kv / 2**20:.0f} MiB KV cache)")


BROKEN = '''\
prices = {"coffee": 3.5, "bagel": 2.25, "juice": 4.0}


def receipt(order):
    total = 0.0
    for item, qty in order:
        total += prices[item] * qty
    return "Total: $" + round(total, 2)


print(receipt([("coffee", 2), ("bagel", 1), ("juice", 3)]))
'''


def test_fix_on_the_default_model_repairs_and_verifies(oci_bin: str, home: Path,
                                                       tmp_path: Path) -> None:
    script = tmp_path / "receipt.py"
    script.write_text(BROKEN)
    result, _ = oci(oci_bin, home, tmp_path, "fix", "receipt.py", "--yes")
    # written; without --test or -m nothing checked what it computes, and oci says so
    assert result.returncode == 7, result.stderr
    assert "wrote the change to" in result.stderr and "receipt.py" in result.stderr
    assert (tmp_path / "receipt.py.orig").read_text() == BROKEN
    # The evidence: the repaired file, run again here, prints the right total.
    after = subprocess.run([sys.executable, "receipt.py"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=30)
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() in ("Total: $21.25", "Total: $21.25.", "Total: $21.250")
    assert "receipt(" in script.read_text()  # the call that failed is still there
