from __future__ import annotations

from pathlib import Path

import pytest

from oci_interpreter.core import gguf_meta
from oci_interpreter.core.errors import ModelFileError, ModelNotFoundError
from tests.support.gguf_factory import write_tiny_gguf


def test_reads_metadata_of_a_valid_file(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "tiny.gguf", template="{{ messages }}")
    header = gguf_meta.validate(path)
    assert header.architecture == "llama"
    assert header.name == "tiny-test-model"
    assert header.context_length == 2048
    assert header.chat_template == "{{ messages }}"
    assert header.n_parameters == 2 * 64 * 16
    assert header.quantization == "F32"
    assert header.expected_size() == path.stat().st_size


def test_truncated_tensor_data_is_reported(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "tiny.gguf")
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(ModelFileError, match=r"truncated: .* \(100 missing\)"):
        gguf_meta.validate(path)


def test_truncated_header_is_reported(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "tiny.gguf")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ModelFileError, match="ends inside its header"):
        gguf_meta.read_header(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"PK\x03\x04zipfile", "not a GGUF model file"),
     (b"GGUF\x09\x00\x00\x00" + b"\x00" * 16, "version 9")],
)
def test_not_gguf(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        gguf_meta.validate(path)


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        gguf_meta.read_header(tmp_path / "nope.gguf")
    with pytest.raises(ModelFileError, match="directory"):
        gguf_meta.read_header(tmp_path)


def test_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(b"hello\nworld\n")
    with pytest.raises(ModelFileError) as info:
        gguf_meta.validate(path)
    assert "\n" not in info.value.one_line()


def test_a_cpu_model_larger_than_memory_is_refused(tmp_path: Path) -> None:
    import psutil

    from oci_interpreter.backend.llama import _check_memory
    from oci_interpreter.core.errors import ModelTooLargeError

    header = gguf_meta.read_header(write_tiny_gguf(tmp_path / "tiny.gguf"))
    _check_memory(header, gpu_layers=0)  # small: fine
    header.file_size = psutil.virtual_memory().total  # pretend it is as large as RAM
    with pytest.raises(ModelTooLargeError, match="smaller model or quantization"):
        _check_memory(header, gpu_layers=0)
    _check_memory(header, gpu_layers=-1)  # offloaded to a GPU: not judged by RAM
