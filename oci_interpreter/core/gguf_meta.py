"""Read a GGUF file's header: metadata, tensor table, and whether the file is complete.

The format is llama.cpp's (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md).
Type sizes and file-type names come from llama.cpp's own ``gguf`` package; the
parsing here only reads the header (``gguf.GGUFReader`` maps every tensor and
takes seconds on a large vocabulary, too slow to run before each load), so
checking a file costs milliseconds. It lets oci say *why* a file cannot be
loaded (not GGUF, truncated, unsupported version) before llama.cpp sees it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from oci_interpreter.core.errors import ModelFileError, ModelNotFoundError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32

# GGUF metadata value types
_SCALARS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
    10: "<Q", 11: "<q", 12: "<d",
}
_STRING, _ARRAY = 8, 9
_KEEP_ARRAY_MAX = 64  # arrays longer than this keep only their length (except tokens)


class _Truncated(Exception):
    pass


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    type_id: int
    offset: int

    @property
    def n_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass
class GGUFHeader:
    path: Path
    version: int
    file_size: int
    metadata: dict[str, Any]
    tensors: list[TensorInfo]
    data_offset: int
    tokens: list[str] = field(default_factory=list)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    def arch_value(self, key: str) -> Any:
        return self.metadata.get(f"{self.architecture}.{key}")

    @property
    def context_length(self) -> int | None:
        value = self.arch_value("context_length")
        return int(value) if value is not None else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return str(value) if value else None

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name", self.path.stem))

    @property
    def n_parameters(self) -> int:
        return sum(t.n_elements for t in self.tensors)

    @property
    def quantization(self) -> str:
        from gguf.constants import LlamaFileType

        file_type = self.metadata.get("general.file_type")
        if file_type is None:
            return "unknown"
        try:
            return LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_").replace("ALL_", "")
        except ValueError:
            return f"file type {file_type}"

    def special_tokens(self) -> dict[str, str]:
        """bos/eos/eot/pad/... token ids resolved to their text, e.g. {'eos': '<|im_end|>'}."""
        out = {}
        for key, value in self.metadata.items():
            if key.startswith("tokenizer.ggml.") and key.endswith("_token_id"):
                kind = key.removeprefix("tokenizer.ggml.").removesuffix("_token_id")
                idx = int(value)
                text = self.tokens[idx] if 0 <= idx < len(self.tokens) else "?"
                out[kind] = f"{text} ({idx})"
        return out

    def expected_size(self) -> int:
        """Bytes the file must have to hold every tensor the header announces."""
        end = self.data_offset
        for t in self.tensors:
            end = max(end, self.data_offset + t.offset + self.tensor_bytes(t))
        return end

    def tensor_bytes(self, t: TensorInfo, n_elements: int | None = None) -> int:
        """Bytes of a tensor's data (or of its first ``n_elements``, e.g. one row)."""
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(t.type_id)]
        except (ValueError, KeyError):
            raise ModelFileError(
                f"{self.path} uses tensor type {t.type_id}, unknown to this version of oci",
                "Upgrade oci and llama-cpp-python, or use another quantization.",
            ) from None
        n = t.n_elements if n_elements is None else n_elements
        return n // block * type_size

    def weight_bytes_per_token(self) -> int:
        """Bytes of weights read from memory to generate one token (batch of one).

        Every tensor is read once per token, except: the token embedding contributes one
        row when a separate ``output.weight`` exists (tied, it *is* the output matrix and
        is read whole); a mixture of experts reads ``expert_used_count`` of its
        ``expert_count`` experts from the ``*_exps`` tensors. Memory bandwidth divided by
        this is the ceiling on decode speed (the KV cache adds a little on top).
        """
        names = {t.name for t in self.tensors}
        tied = "output.weight" not in names
        experts = int(self.arch_value("expert_count") or 0)
        used = int(self.arch_value("expert_used_count") or 0)
        total = 0
        for t in self.tensors:
            if t.name == "token_embd.weight" and not tied and t.shape:
                total += self.tensor_bytes(t, n_elements=t.shape[0])  # one row of n_embd
            elif "_exps." in t.name and 0 < used < experts:
                total += self.tensor_bytes(t) * used // experts
            else:
                total += self.tensor_bytes(t)
        return total

    def kv_cache_bytes(self, n_ctx: int, bytes_per_value: int = 2) -> int | None:
        """Bytes of llama.cpp's KV cache for ``n_ctx`` tokens (f16 keys and values), or
        None when the header lacks the attention shape (a recurrent model, say)."""
        layers = self.arch_value("block_count")
        heads = self.arch_value("attention.head_count")
        embd = self.arch_value("embedding_length")
        if not (layers and heads and embd):
            return None
        kv_heads = self.arch_value("attention.head_count_kv") or heads
        k_len = self.arch_value("attention.key_length") or int(embd) // int(heads)
        v_len = self.arch_value("attention.value_length") or int(embd) // int(heads)
        per_token = int(layers) * int(kv_heads) * (int(k_len) + int(v_len)) * bytes_per_value
        return per_token * n_ctx


class _Reader:
    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise _Truncated
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.unpack("<Q")
        if n > 1 << 30:
            raise ValueError(f"implausible string length {n}")
        return self.read(n).decode("utf-8", errors="replace")

    def value(self, vtype: int, keep_all: bool = False) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            itype = self.unpack("<I")
            n = self.unpack("<Q")
            if itype in _SCALARS and not keep_all and n > _KEEP_ARRAY_MAX:
                self.fh.seek(n * struct.calcsize(_SCALARS[itype]), 1)
                return _ArrayLength(n)
            items = [self.value(itype) for _ in range(n)]
            if not keep_all and n > _KEEP_ARRAY_MAX:
                return _ArrayLength(n)
            return items
        raise ValueError(f"unknown metadata value type {vtype}")


class _ArrayLength(int):
    """Stands in for a long array whose items were skipped."""

    def __repr__(self) -> str:
        return f"[{int(self):,} items]"


def read_header(path: str | Path) -> GGUFHeader:
    """Parse the header of a GGUF file, raising a one-line ModelFileError when it is not one."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelNotFoundError(
            f"model file not found: {path}", "Check the path, or see `oci models list`."
        )
    if path.is_dir():
        raise ModelFileError(f"{path} is a directory, not a .gguf file", "Pass the file itself.")
    file_size = path.stat().st_size
    try:
        with path.open("rb") as fh:
            r = _Reader(fh)
            magic = fh.read(4)
            if magic != GGUF_MAGIC:
                what = "empty" if not magic else f"starts with {magic!r}"
                raise ModelFileError(
                    f"{path} is not a GGUF model file ({what}, expected b'GGUF')",
                    "Use a .gguf file made for llama.cpp (see `oci models list`).",
                )
            version = r.unpack("<I")
            if version not in SUPPORTED_VERSIONS:
                raise ModelFileError(
                    f"{path} is GGUF version {version}; oci reads versions 2 and 3",
                    "Convert it with a current llama.cpp, or download a newer file.",
                )
            n_tensors = r.unpack("<Q")
            n_kv = r.unpack("<Q")
            metadata: dict[str, Any] = {}
            tokens: list[str] = []
            for _ in range(n_kv):
                key = r.string()
                vtype = r.unpack("<I")
                value = r.value(vtype, keep_all=(key == "tokenizer.ggml.tokens"))
                if key == "tokenizer.ggml.tokens" and isinstance(value, list):
                    tokens = value
                    value = _ArrayLength(len(value))
                metadata[key] = value
            tensors = []
            for _ in range(n_tensors):
                name = r.string()
                n_dims = r.unpack("<I")
                shape = tuple(r.unpack("<Q") for _ in range(n_dims))
                type_id = r.unpack("<I")
                offset = r.unpack("<Q")
                tensors.append(TensorInfo(name, shape, type_id, offset))
            alignment = int(metadata.get("general.alignment", DEFAULT_ALIGNMENT)) or 1
            pos = fh.tell()
            data_offset = (pos + alignment - 1) // alignment * alignment
    except _Truncated:
        raise ModelFileError(
            f"{path} is truncated: the file ends inside its header ({file_size:,} bytes)",
            "The download or copy is incomplete: delete it and fetch it again.",
        ) from None
    except (ValueError, struct.error, UnicodeDecodeError, OverflowError) as exc:
        raise ModelFileError(
            f"{path} has a corrupt GGUF header ({exc})",
            "Delete it and fetch it again.",
        ) from None
    except PermissionError:
        raise ModelFileError(
            f"cannot read {path}: permission denied", "Check its permissions."
        ) from None
    header = GGUFHeader(path, version, file_size, metadata, tensors, data_offset, tokens)
    return header


def check_complete(header: GGUFHeader) -> None:
    """Raise ModelFileError when the file is shorter than its tensors need."""
    expected = header.expected_size()
    if header.file_size < expected:
        missing = expected - header.file_size
        raise ModelFileError(
            f"{header.path} is truncated: {header.file_size:,} bytes, its tensors need "
            f"{expected:,} ({missing:,} missing)",
            "The download or copy is incomplete: delete it and fetch it again.",
        )


def validate(path: str | Path) -> GGUFHeader:
    """Read the header and check the file is complete: the check before every load."""
    header = read_header(path)
    check_complete(header)
    return header
