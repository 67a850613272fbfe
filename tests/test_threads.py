"""How many threads llama.cpp gets: the free cores at start, unless --threads says."""

from __future__ import annotations

import pytest

from oci_interpreter.backend import llama


def test_threads_follow_the_free_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama, "physical_cores", lambda: 4)
    monkeypatch.setattr(llama, "busy_cores", lambda sample_s=0.15: 0)
    assert llama.choose_threads(0, 0) == (4, "")
    monkeypatch.setattr(llama, "busy_cores", lambda sample_s=0.15: 3)
    threads, note = llama.choose_threads(0, 0)
    assert threads == 1 and "using 1 of 4 cores" in note and "--threads" in note
    monkeypatch.setattr(llama, "busy_cores", lambda sample_s=0.15: 9)
    assert llama.choose_threads(0, 0)[0] == 1  # never fewer than one
    assert llama.choose_threads(3, 0) == (3, "")  # --threads forces it
    assert llama.choose_threads(0, -1) == (4, "")  # the GPU does the work


def test_busy_cores_reads_the_machine() -> None:
    import os

    busy = llama.busy_cores(sample_s=0.05)
    assert 0 <= busy <= (os.cpu_count() or 1) * 4
