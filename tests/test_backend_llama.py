"""The in-process llama.cpp backend on the real embedded model (temperature 0)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from oci_interpreter.backend.base import GenerationOptions, Message
from oci_interpreter.backend.llama import LlamaBackend
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import ContextOverflowError, ModelFileError
from tests.support.gguf_factory import write_tiny_gguf

pytestmark = pytest.mark.model

SYSTEM = Message("system", "You are a helpful assistant. Answer in one short sentence.")


def test_loads_with_sane_defaults(real_backend: LlamaBackend) -> None:
    info = real_backend.info
    assert info.n_ctx == 4096 and info.n_ctx_train == 32768
    assert info.threads >= 1
    assert info.gpu_layers in (0, -1)
    assert info.chat_format == "gguf template"


def test_renders_with_the_files_own_chatml_template(real_backend: LlamaBackend) -> None:
    text = real_backend.render([SYSTEM, Message("user", "hi")])
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.")
    assert text.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")


def test_greedy_generation_is_deterministic_and_stops_at_end_of_turn(
    real_backend: LlamaBackend,
) -> None:
    msgs = [SYSTEM, Message("user", "What is the capital of France?")]
    opts = GenerationOptions(max_tokens=40)
    first = real_backend.chat(msgs, opts)
    a = first.text()
    b = real_backend.chat(msgs, opts).text()
    assert a == b
    assert "Paris" in a
    assert "<|im_end|>" not in a
    assert first.stats.finish_reason == "stop"
    assert 0 < first.stats.generated_tokens < 40


def test_follow_up_turn_reuses_the_kv_cache(real_backend: LlamaBackend) -> None:
    msgs = [SYSTEM, Message("user", "Name one prime number.")]
    c1 = real_backend.chat(msgs, GenerationOptions(max_tokens=20))
    reply = c1.text()
    follow = [*msgs, Message("assistant", reply), Message("user", "And another one?")]
    c2 = real_backend.chat(follow, GenerationOptions(max_tokens=20))
    c2.text()
    assert c2.stats.prompt_tokens_reused >= c1.stats.prompt_tokens
    assert c2.stats.prompt_tokens_evaluated < 25
    s = c2.stats
    assert s.prompt_tokens == s.prompt_tokens_reused + s.prompt_tokens_evaluated


def test_max_tokens_cuts_with_reason(real_backend: LlamaBackend) -> None:
    c = real_backend.chat([SYSTEM, Message("user", "Count from 1 to 100.")],
                          GenerationOptions(max_tokens=5))
    c.text()
    assert c.stats.finish_reason == "length" and c.stats.generated_tokens == 5


def test_prompt_longer_than_context_is_a_clear_error(real_backend: LlamaBackend) -> None:
    huge = "word " * 5000
    with pytest.raises(ContextOverflowError, match=r"needs [\d,]+ tokens but the context holds"):
        real_backend.chat([Message("user", huge)])


def test_cancel_during_generation_keeps_partial_text(real_backend: LlamaBackend) -> None:
    token = CancelToken()
    c = real_backend.chat([SYSTEM, Message("user", "Write a long story about a robot.")],
                          GenerationOptions(max_tokens=500), cancel=token)
    parts = []
    for i, chunk in enumerate(c):
        parts.append(chunk)
        if i == 5:
            token.cancel()
    assert c.stats.finish_reason == "cancelled"
    assert 5 <= c.stats.generated_tokens <= 8
    assert "".join(parts)


def test_cancel_stops_a_long_prompt_evaluation_quickly(real_backend: LlamaBackend) -> None:
    """The abort callback stops llama_decode mid-prefill; the model stays usable."""
    long_prompt = " ".join(f"item{i}" for i in range(700))  # ~3000 tokens to evaluate
    msgs = [SYSTEM, Message("user", long_prompt + "\nSummarise.")]
    # time a full evaluation of this prompt first, for scale
    token = CancelToken()
    c = real_backend.chat(msgs, GenerationOptions(max_tokens=1), cancel=token)
    c.text()
    full = c.stats.prompt_seconds
    # now evaluate a *different* long prompt and cancel it 0.3 s in
    msgs2 = [SYSTEM, Message("user", "x " + long_prompt + "\nSummarise.")]
    token2 = CancelToken()
    timer = threading.Timer(0.3, token2.cancel)
    start = time.perf_counter()
    timer.start()
    c2 = real_backend.chat(msgs2, GenerationOptions(max_tokens=50), cancel=token2)
    text = c2.text()
    elapsed = time.perf_counter() - start
    timer.cancel()
    assert c2.stats.finish_reason == "cancelled"
    assert text == ""
    assert elapsed < min(full * 0.8, 0.3 + 1.0), (elapsed, full)
    # the model still answers correctly afterwards
    again = real_backend.chat([SYSTEM, Message("user", "What is 2+2? Answer with a number.")],
                              GenerationOptions(max_tokens=10)).text()
    assert "4" in again


def test_unloadable_file_says_why(tmp_path: Path) -> None:
    """llama-cpp-python only raises 'Failed to load model'; the reason comes from the log."""
    path = write_tiny_gguf(tmp_path / "alien.gguf", arch="no-such-arch")
    with pytest.raises(ModelFileError, match="no-such-arch") as info:
        LlamaBackend(path, Settings())
    assert "\n" not in str(info.value)


def test_truncated_file_is_refused_before_llama_cpp(tmp_path: Path,
                                                    small_model_path: Path) -> None:
    path = tmp_path / "cut.gguf"
    with small_model_path.open("rb") as src:
        path.write_bytes(src.read(50_000_000))
    with pytest.raises(ModelFileError, match="truncated"):
        LlamaBackend(path, Settings())
