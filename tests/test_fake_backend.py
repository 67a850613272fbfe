"""The scripted model (``--model fake:REPLIES.json``) that whole-command tests use."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from oci_interpreter.backend.base import Message
from oci_interpreter.backend.loader import load_backend
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import ModelNotFoundError


def test_a_list_of_replies(tmp_path: Path) -> None:
    script = tmp_path / "r.json"
    script.write_text(json.dumps(["one two", "three"]))
    backend = load_backend(Settings(model=f"fake:{script}"))
    assert "".join(backend.chat([Message("user", "x")]).chunks) == "one two"
    assert "".join(backend.chat([Message("user", "y")]).chunks) == "three"


def test_a_slow_model_writes_a_word_at_a_time_and_stops_when_cancelled(
        tmp_path: Path) -> None:
    script = tmp_path / "r.json"
    script.write_text(json.dumps({"replies": ["a b c d e f g h"], "word_delay_s": 0.05}))
    backend = load_backend(Settings(model=f"fake:{script}"))
    cancel = CancelToken()
    completion = backend.chat([Message("user", "x")], cancel=cancel)
    start = time.perf_counter()
    got = []
    for chunk in completion.chunks:
        got.append(chunk)
        if len(got) == 2:
            cancel.cancel()
    assert got == ["a ", "b "] and completion.stats.finish_reason == "cancelled"
    assert time.perf_counter() - start >= 0.1


@pytest.mark.parametrize("content", ['{"replies": ["x"], "word_delay_s": -1}', '{"x": 1}',
                                     "[1, 2]"])
def test_a_bad_script_is_one_clear_error(tmp_path: Path, content: str) -> None:
    script = tmp_path / "r.json"
    script.write_text(content)
    with pytest.raises(ModelNotFoundError, match="fake model"):
        load_backend(Settings(model=f"fake:{script}"))


def test_every_backend_declares_the_protocol_and_whether_it_serves_in_parallel() -> None:
    """``parallel`` is a member of the Backend protocol (``oci bench --jobs`` reads it);
    a backend subclasses the protocol and says True only when it serves side by side."""
    from oci_interpreter.backend.base import Backend
    from oci_interpreter.backend.fake import FakeBackend
    from oci_interpreter.backend.llama import LlamaBackend
    from oci_interpreter.backend.server import ServerBackend
    from oci_interpreter.bench.column import ReplayBackend

    fake = FakeBackend()
    for backend in (fake, ReplayBackend(fake)):
        assert isinstance(backend, Backend) and backend.parallel is False
    for cls in (FakeBackend, LlamaBackend, ServerBackend, ReplayBackend):
        assert Backend in cls.__mro__
    assert LlamaBackend.parallel is False and ServerBackend.parallel is True
