"""Small GGUF files for tests, written with llama.cpp's own gguf package."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_tiny_gguf(path: Path, arch: str = "llama", n_tensors: int = 2,
                    template: str | None = None) -> Path:
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), arch)
    writer.add_name("tiny-test-model")
    writer.add_context_length(2048)
    writer.add_file_type(0)
    if template:
        writer.add_chat_template(template)
    for i in range(n_tensors):
        writer.add_tensor(f"blk.{i}.weight", np.arange(64 * 16, dtype=np.float32).reshape(16, 64))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
