"""Small GGUF files for tests, written with llama.cpp's own gguf package."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np


def write_tiny_gguf(path: Path, arch: str = "llama", n_tensors: int = 2,
                    template: str | None = None,
                    extra_tensors: Mapping[str, np.ndarray] | None = None,
                    experts: tuple[int, int] | None = None) -> Path:
    """``extra_tensors``: name -> float array, or (for a quantized tensor) the bytes that
    ``gguf.quants.quantize`` returns, stored as Q8_0. ``experts``: (count, used)."""
    from gguf import GGMLQuantizationType, GGUFWriter

    writer = GGUFWriter(str(path), arch)
    writer.add_name("tiny-test-model")
    writer.add_context_length(2048)
    writer.add_file_type(0)
    if template:
        writer.add_chat_template(template)
    if experts:
        writer.add_expert_count(experts[0])
        writer.add_expert_used_count(experts[1])
    for i in range(n_tensors):
        writer.add_tensor(f"blk.{i}.weight", np.arange(64 * 16, dtype=np.float32).reshape(16, 64))
    for name, array in (extra_tensors or {}).items():
        quantized = array.dtype == np.uint8
        writer.add_tensor(name, array, raw_dtype=GGMLQuantizationType.Q8_0 if quantized else None)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
