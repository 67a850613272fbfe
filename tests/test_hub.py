"""`oci models pull` against a local stand-in for the hub (HF_ENDPOINT on 127.0.0.1)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_interpreter.core import catalog, hub, store
from oci_interpreter.core.errors import ChecksumError, DownloadError
from tests.support.gguf_factory import write_tiny_gguf
from tests.support.hubserver import HubServer

REPO = "tester/Tiny-GGUF"


@pytest.fixture
def hub_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    with HubServer() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "5")
        # huggingface_hub reads HF_ENDPOINT when imported: point its constant at the server
        import huggingface_hub.constants as hc

        monkeypatch.setattr(hc, "ENDPOINT", server.url)
        monkeypatch.setattr(
            hc, "HUGGINGFACE_CO_URL_TEMPLATE",
            server.url + "/{repo_id}/resolve/{revision}/{filename}",
        )
        yield server


@pytest.fixture
def tiny_bytes(tmp_path: Path) -> bytes:
    return write_tiny_gguf(tmp_path / "src.gguf", n_tensors=40).read_bytes()


@pytest.fixture
def tiny_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[catalog.CatalogModel]:
    extra = f'''
[models."tiny-test"]
description = "test model"
family = "auto"
rank = 1
repo = "{REPO}"
default_quant = "Q4_K_M"
files.Q4_K_M = {{ file = "Tiny-Q4_K_M.gguf", size = 1000 }}
'''
    text = catalog._catalog_text() + extra
    monkeypatch.setattr(catalog, "_catalog_text", lambda: text)
    catalog.load_catalog.cache_clear()
    yield catalog.lookup("tiny-test")
    catalog.load_catalog.cache_clear()


def test_pull_downloads_verifies_and_lands_in_the_store(
    hub_server: HubServer, tiny_model: catalog.CatalogModel, tiny_bytes: bytes
) -> None:
    hub_server.state.repos[REPO] = {"Tiny-Q4_K_M.gguf": tiny_bytes, "README.md": b"hi"}
    seen: list[tuple[int, int]] = []
    path = hub.pull(tiny_model, tiny_model.file_for(None), lambda d, t: seen.append((d, t)))
    assert path == store.store_path(tiny_model.file_for(None))
    assert path.read_bytes() == tiny_bytes
    assert store.stamp_matches(path, None)
    assert seen and seen[-1][0] == len(tiny_bytes)
    assert store.resolve_model("tiny-test").path == path
    # pulling again does not download again
    before = len(hub_server.state.requests)
    hub.pull(tiny_model, tiny_model.file_for(None))
    assert len(hub_server.state.requests) == before


def test_renamed_file_is_found_by_its_quantization(
    hub_server: HubServer, tiny_model: catalog.CatalogModel, tiny_bytes: bytes
) -> None:
    hub_server.state.repos[REPO] = {"tiny.Q4_K_M.v2.gguf": tiny_bytes,
                                    "tiny.Q8_0.gguf": tiny_bytes}
    path = hub.pull(tiny_model, tiny_model.file_for(None))
    assert path.name == "Tiny-Q4_K_M.gguf"


def test_deleted_file_is_reported_with_what_is_there(
    hub_server: HubServer, tiny_model: catalog.CatalogModel, tiny_bytes: bytes
) -> None:
    hub_server.state.repos[REPO] = {"tiny.Q8_0.gguf": tiny_bytes}
    with pytest.raises(DownloadError, match=r"no longer in .*Files there now: tiny.Q8_0.gguf"):
        hub.pull(tiny_model, tiny_model.file_for(None))


def test_repository_gone(hub_server: HubServer, tiny_model: catalog.CatalogModel) -> None:
    with pytest.raises(DownloadError, match="gone from the hub"):
        hub.pull(tiny_model, tiny_model.file_for(None))


def test_checksum_mismatch_is_refused_and_nothing_is_kept(
    hub_server: HubServer, tiny_model: catalog.CatalogModel, tiny_bytes: bytes
) -> None:
    hub_server.state.repos[REPO] = {"Tiny-Q4_K_M.gguf": tiny_bytes}
    hub_server.state.advertised_sha[(REPO, "Tiny-Q4_K_M.gguf")] = "0" * 64
    with pytest.raises(ChecksumError):
        hub.pull(tiny_model, tiny_model.file_for(None))
    assert not store.store_path(tiny_model.file_for(None)).exists()


def test_interrupted_download_resumes(
    hub_server: HubServer, tiny_model: catalog.CatalogModel, tiny_bytes: bytes
) -> None:
    # huggingface_hub writes in 10 MB chunks: cut the first transfer after more than one
    big = tiny_bytes + b"\0" * (24 * 1024 * 1024)
    hub_server.state.repos[REPO] = {"Tiny-Q4_K_M.gguf": big}
    hub_server.state.cut_after = 12 * 1024 * 1024
    # the first attempt may fail outright; huggingface_hub may also retry by itself
    with contextlib.suppress(DownloadError):
        hub.pull(tiny_model, tiny_model.file_for(None))
    path = hub.pull(tiny_model, tiny_model.file_for(None))
    assert path.read_bytes() == big
    ranges = [r for (m, _, r) in hub_server.state.requests if m == "GET" and r]
    assert ranges and all(not r.startswith("bytes=0") for r in ranges), ranges


def test_unreachable_hub_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                     tiny_model: catalog.CatalogModel) -> None:
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(DownloadError, match="cannot reach http://127.0.0.1:9") as info:
        hub.pull(tiny_model, tiny_model.file_for(None))
    assert "\n" not in str(info.value)
