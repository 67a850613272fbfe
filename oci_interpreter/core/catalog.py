"""The catalog of known models (``models/catalog.toml``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from oci_interpreter.core.errors import ModelNotFoundError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class ModelFile:
    """One quantization of a catalog model."""

    quant: str
    file: str
    size: int
    sha256: str | None = None
    chunks: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogModel:
    name: str
    description: str
    family: str
    rank: int
    default_quant: str
    files: dict[str, ModelFile]
    repo: str | None = None
    embedded: bool = False
    extra: str | None = None
    """The package extra that installs an embedded model's chunks."""
    aliases: tuple[str, ...] = field(default=())

    def file_for(self, quant: str | None) -> ModelFile:
        wanted = (quant or self.default_quant).upper()
        for q, f in self.files.items():
            if q.upper() == wanted:
                return f
        raise ModelNotFoundError(
            f"{self.name} has no quantization {quant!r} in the catalog",
            f"Known: {', '.join(self.files)}.",
        )


def _catalog_text() -> str:
    """The catalog shipped in the wheel, or ``models/catalog.toml`` of a source checkout."""
    try:
        res = resources.files("oci_interpreter").joinpath("data/catalog.toml")
        if res.is_file():
            return res.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):  # pragma: no cover
        pass
    source = Path(__file__).resolve().parents[2] / "models" / "catalog.toml"
    return source.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, CatalogModel]:
    data = tomllib.loads(_catalog_text())
    out: dict[str, CatalogModel] = {}
    for name, entry in data.get("models", {}).items():
        files = {
            quant: ModelFile(
                quant=quant,
                file=spec["file"],
                size=int(spec["size"]),
                sha256=spec.get("sha256"),
                chunks=tuple(spec.get("chunks", ())),
            )
            for quant, spec in entry.get("files", {}).items()
        }
        out[name] = CatalogModel(
            name=name,
            description=entry.get("description", ""),
            family=entry.get("family", "auto"),
            rank=int(entry.get("rank", 50)),
            default_quant=entry.get("default_quant", next(iter(files), "")),
            files=files,
            repo=entry.get("repo"),
            embedded=bool(entry.get("embedded", False)),
            extra=entry.get("extra"),
            aliases=tuple(entry.get("aliases", ())),
        )
    return out


def embedded_models() -> list[CatalogModel]:
    """The models shipped as package chunks, preferred first (larger before smaller)."""
    return sorted((m for m in load_catalog().values() if m.embedded), key=lambda m: m.rank)


def default_embedded() -> CatalogModel:
    """The embedded default model (the `model` extra)."""
    return embedded_models()[0]


def split_spec(spec: str) -> tuple[str, str | None]:
    """``NAME[:QUANT]`` -> (name, quant)."""
    name, sep, quant = spec.strip().partition(":")
    if sep and not quant:
        raise UsageError(f"{spec!r} has an empty quantization after ':'", "Use NAME or NAME:QUANT.")
    return name.strip(), (quant.strip() or None)


def lookup(name: str) -> CatalogModel:
    """Find a catalog model by name or alias (case-insensitive)."""
    catalog = load_catalog()
    key = name.lower()
    for model in catalog.values():
        if model.name.lower() == key or key in (a.lower() for a in model.aliases):
            return model
    close = [m for m in catalog if key and key in m.lower()]
    hint = f"Did you mean {close[0]}? " if close else ""
    raise ModelNotFoundError(
        f"unknown model {name!r}",
        f"{hint}See `oci models list` for known names, or pass a path to a .gguf file.",
    )
