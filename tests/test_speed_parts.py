"""The backend and GGUF pieces the speed benchmark stands on: weight bytes read per token
(from the header), the llama.cpp build description, dropping the KV cache, and the raw
engine loop that is oci's baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oci_interpreter.core import gguf_meta
from tests.support.gguf_factory import write_tiny_gguf

BLOCKS = 2 * 16 * 64 * 4  # the factory's two f32 blk.N.weight tensors
EMBD = np.zeros((32, 8), dtype=np.float32)  # vocab 32, n_embd 8: GGUF shape (8, 32)
OUTPUT = np.zeros((32, 8), dtype=np.float32)


def header(tmp_path: Path, **kwargs: object) -> gguf_meta.GGUFHeader:
    return gguf_meta.read_header(write_tiny_gguf(tmp_path / "m.gguf", **kwargs))  # type: ignore[arg-type]


def test_separate_output_matrix_reads_one_embedding_row_per_token(tmp_path: Path) -> None:
    h = header(tmp_path, extra_tensors={"token_embd.weight": EMBD, "output.weight": OUTPUT})
    assert h.weight_bytes_per_token() == BLOCKS + 8 * 4 + OUTPUT.nbytes


def test_tied_embedding_is_the_output_matrix_and_is_read_whole(tmp_path: Path) -> None:
    h = header(tmp_path, extra_tensors={"token_embd.weight": EMBD})
    assert h.weight_bytes_per_token() == BLOCKS + EMBD.nbytes


def test_quantized_tensors_count_their_block_bytes(tmp_path: Path) -> None:
    from gguf import GGMLQuantizationType
    from gguf.quants import quantize

    q8 = quantize(np.ones((4, 64), dtype=np.float32), GGMLQuantizationType.Q8_0)
    h = header(tmp_path, extra_tensors={"blk.0.attn_q.weight": q8})
    (t,) = [t for t in h.tensors if t.name == "blk.0.attn_q.weight"]
    assert t.shape == (64, 4)
    assert h.tensor_bytes(t) == 256 // 32 * 34 == q8.nbytes  # Q8_0: 34 bytes per 32 weights
    assert h.weight_bytes_per_token() == BLOCKS + q8.nbytes
    assert h.expected_size() == h.data_offset + t.offset + q8.nbytes  # sized the same way


def test_mixture_of_experts_reads_only_the_used_experts(tmp_path: Path) -> None:
    experts = np.zeros((8, 16, 64), dtype=np.float32)
    h = header(tmp_path, arch="qwen2moe", experts=(8, 2),
               extra_tensors={"blk.0.ffn_up_exps.weight": experts})
    assert h.weight_bytes_per_token() == BLOCKS + experts.nbytes * 2 // 8


def test_engine_info_describes_the_build() -> None:
    pytest.importorskip("llama_cpp")
    from oci_interpreter.backend.llama import engine_info, gpu_offload_supported

    info = engine_info()
    assert info["gpu_offload"] is gpu_offload_supported()
    assert isinstance(info["accelerators"], list)
    assert info["version"] and info["version"] != "unknown"
    if not info["gpu_offload"]:
        assert info["accelerators"] == []
    assert all(f.isupper() or "_" in f for f in info["cpu_features"])


@pytest.mark.model
def test_real_model_weight_bytes_are_the_file_minus_unread_embedding_rows(
        small_model_path: Path) -> None:
    h = gguf_meta.read_header(small_model_path)
    per_token = h.weight_bytes_per_token()
    weights = h.expected_size() - h.data_offset
    assert 0.5 * weights < per_token <= weights


@pytest.mark.model
def test_drop_cache_forces_a_full_prompt_and_engine_matches_chat(real_backend: object) -> None:
    from oci_interpreter.backend.base import GenerationOptions
    from oci_interpreter.backend.llama import LlamaBackend
    from oci_interpreter.bench.speed import DECODE_MESSAGES

    assert isinstance(real_backend, LlamaBackend)
    msgs = DECODE_MESSAGES  # its reply is long code: no early end
    tokens = real_backend.tokenize_prompt(msgs)
    real_backend.chat(msgs, GenerationOptions(max_tokens=4)).text()
    assert real_backend.cached_prefix(tokens) == len(tokens) - 1
    real_backend.drop_cache()
    assert real_backend.cached_prefix(tokens) == 0

    prompt_s, decode_s, n = real_backend.engine_generate(tokens, 8)
    assert prompt_s > 0 and decode_s > 0 and n == 8
    real_backend.drop_cache()
    c = real_backend.chat(msgs, GenerationOptions(max_tokens=8))
    c.text()
    assert c.stats.prompt_tokens_evaluated == len(tokens)
    assert c.stats.generated_tokens == n  # same greedy tokens, same count
