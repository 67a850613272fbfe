"""Downloads from the Hugging Face hub (through huggingface_hub) into the model store.

huggingface_hub does the HTTP: resumable downloads (into ``.cache/`` of the
store, continued on the next pull), ``HF_ENDPOINT`` for mirrors and for tests
against a local server, tokens (``HF_TOKEN``) for gated repositories. This
module picks the file (uploaders rename and delete files, so the repository is
listed at pull time), verifies it, and moves it into place.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from oci_interpreter.core import paths
from oci_interpreter.core.catalog import CatalogModel, ModelFile
from oci_interpreter.core.errors import DownloadError, ModelNotFoundError
from oci_interpreter.core.store import (
    Progress,
    StoredModel,
    ensure_verified,
    store_path,
    verify_file,
    write_stamp,
)


def _progress_class(progress: Progress | None) -> Any:
    from tqdm.auto import tqdm

    if progress is None:
        return None

    class Reporter(tqdm):
        """A silent tqdm that forwards byte counts to oci's progress callback."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - closed in close()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            out = super().update(n)
            if progress is not None:
                progress(int(self.n), int(self.total or 0))
            return out

        def close(self) -> None:
            fp = self.fp
            super().close()
            fp.close()

    return Reporter


def _list_repo(repo: str) -> list[Any]:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
    )

    api = HfApi()
    try:
        info = api.model_info(repo, files_metadata=True)
    except GatedRepoError:
        raise DownloadError(
            f"{repo} is gated on the hub",
            "Accept its terms on the hub and set HF_TOKEN, then pull again.",
        ) from None
    except RepositoryNotFoundError:
        raise DownloadError(
            f"the repository {repo} is gone from the hub (or private)",
            "Pick another model with `oci models list`, or download a .gguf yourself and "
            "pass its path with --model.",
        ) from None
    except HfHubHTTPError as exc:
        raise DownloadError(
            f"the hub answered an error for {repo}: {exc}".splitlines()[0]
        ) from None
    except Exception as exc:
        if not _is_network_error(exc):
            raise
        from huggingface_hub import constants

        raise DownloadError(
            f"cannot reach {constants.ENDPOINT} ({type(exc).__name__}: {exc})",
            "Check your network (or HF_ENDPOINT), then pull again: partial downloads resume.",
        ) from None
    return list(info.siblings or [])


def _is_network_error(exc: BaseException) -> bool:
    """OSErrors and the HTTP client's transport errors (connect, read, timeout)."""
    if isinstance(exc, OSError):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"TransportError", "NetworkError", "TimeoutException"})


def _pick(siblings: list[Any], mf: ModelFile, repo: str) -> Any:
    by_name = {s.rfilename: s for s in siblings}
    if mf.file in by_name:
        return by_name[mf.file]
    ggufs = [s for s in siblings if s.rfilename.lower().endswith(".gguf")]
    quant = mf.quant.lower()
    matches = [s for s in ggufs if quant in Path(s.rfilename).name.lower()]
    if len(matches) == 1:
        return matches[0]
    available = sorted({Path(s.rfilename).name for s in ggufs})
    shown = ", ".join(available[:6]) + (" …" if len(available) > 6 else "")
    raise DownloadError(
        f"{mf.file} is no longer in {repo}"
        + (f" ({len(matches)} files match {mf.quant})" if matches else ""),
        f"Files there now: {shown or 'none'}. Download one yourself and use --model PATH."
        if available else "The repository has no .gguf files any more.",
    )


def pull(model: CatalogModel, mf: ModelFile, progress: Progress | None = None) -> Path:
    """Download ``mf`` of ``model`` into the store, verify it and return its path."""
    final = store_path(mf)
    if final.is_file():
        return ensure_verified(StoredModel(model, mf, final), progress)
    if not model.repo:
        raise ModelNotFoundError(f"{model.name} has no download source in the catalog")
    sibling = _pick(_list_repo(model.repo), mf, model.repo)
    lfs = getattr(sibling, "lfs", None)
    sha256 = mf.sha256 or (getattr(lfs, "sha256", None) if lfs is not None else None)
    size = getattr(sibling, "size", None) or (getattr(lfs, "size", None) if lfs else None)

    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError

    staging = paths.models_dir() / ".downloads" / model.name
    staging.mkdir(parents=True, exist_ok=True)
    try:
        downloaded = Path(
            hf_hub_download(
                model.repo,
                sibling.rfilename,
                local_dir=staging,
                tqdm_class=_progress_class(progress),
            )
        )
    except EntryNotFoundError:
        raise DownloadError(
            f"{sibling.rfilename} disappeared from {model.repo} during the pull"
        ) from None
    except HfHubHTTPError as exc:
        raise DownloadError(
            f"download of {sibling.rfilename} failed: {exc}".splitlines()[0]
        ) from None
    except Exception as exc:
        if not _is_network_error(exc):
            raise
        raise DownloadError(
            f"download of {sibling.rfilename} interrupted ({type(exc).__name__}: {exc})",
            "Run the same pull again: it resumes where it stopped.",
        ) from None
    try:
        digest = verify_file(downloaded, int(size) if size else None, sha256)
    except Exception:
        downloaded.unlink(missing_ok=True)
        raise
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(downloaded, final)
    write_stamp(final, digest)
    shutil.rmtree(staging, ignore_errors=True)
    return final
