"""Writing a file so that a crash never leaves half of it: the one way oci does it.

The data goes to a temporary file beside the target (same directory, so the rename stays
on one file system), is flushed and fsynced, then ``os.replace`` puts it over the target
in one step and the directory is fsynced so the rename itself survives a crash. On any
error before the rename the temporary file is removed and the target is untouched.
Used for the user's files (``sourcefile.write_back``, which adds its own checks), chat
sessions, the model store and its verification stamps.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TMP_SUFFIX = ".oci-tmp"


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_owner(fd: int, like: os.stat_result) -> None:
    if not hasattr(os, "fchown"):  # pragma: no cover - Windows
        return
    own = os.fstat(fd)
    if (own.st_uid, own.st_gid) == (like.st_uid, like.st_gid):
        return
    try:
        os.fchown(fd, like.st_uid, like.st_gid)
    except OSError:
        with contextlib.suppress(OSError):
            os.fchown(fd, -1, like.st_gid)


@contextlib.contextmanager
def temp_beside(path: Path, *, mode: int | None = None,
                like: os.stat_result | None = None) -> Iterator[tuple[BinaryIO, Path]]:
    """A new hidden temporary file beside ``path`` (``.NAME.XXXX.oci-tmp``), yielded open
    for writing; when the block ends it is fsynced, with ``like``'s owner and group (where
    allowed) and ``mode``. Removed if the block raises. The caller renames it."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh, tmp
            fh.flush()
            if like is not None:
                _copy_owner(fh.fileno(), like)
            if mode is not None:
                if hasattr(os, "fchmod"):
                    os.fchmod(fh.fileno(), mode)  # after chown, which may clear set-id bits
                else:  # pragma: no cover - Windows before 3.13
                    os.chmod(tmp, mode)
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def replace(tmp: Path, path: Path) -> None:
    """Put ``tmp`` over ``path`` in one step, durably."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int | None = None) -> Iterator[BinaryIO]:
    """Write ``path`` through the yielded file: it appears, whole, only if the block ends
    without an error (raise inside the block to abandon it, e.g. on a bad checksum)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with temp_beside(path, mode=mode) as (fh, tmp):
        yield fh
    try:
        replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """``data`` (text as UTF-8) as the whole new content of ``path``."""
    with atomic_writer(path, mode=mode) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
