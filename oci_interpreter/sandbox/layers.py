"""oci's directory for a sandbox's overlay layers: the upper layers (exactly what a
program changed, applied by writeback.py) and overlayfs's work directories, one pair per
fresh run or per kernel cell. It lies outside the working directory (overlayfs refuses
overlapping layers), in oci's data directory or, failing that, in a directory of the
user's own in the system's temporary directory; what a killed oci left behind is removed
by the next one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from oci_interpreter.core import paths
from oci_interpreter.core.trees import remove_tree


class Layers:
    """oci's directory for a sandbox's upper layers (``upper-ID``) and overlayfs work
    directories (``work-ID``): one per run, or one per cell of a kernel."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def create(cls, workdir: Path) -> Layers | str:
        """A fresh layers directory for ``workdir``, or why there can be none: it must be
        outside the working directory (overlayfs refuses overlapping layers)."""
        _sweep_stale()
        for parent in _parents():
            try:
                parent = parent.resolve()
            except OSError:
                continue
            if parent == workdir or workdir in parent.parents or parent in workdir.parents:
                continue
            if not _own_dir(parent):
                continue
            try:
                root = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))
            except OSError:
                continue
            return cls(root)
        return "no place for the overlay's upper layer outside the working directory"

    def new(self) -> str:
        """Make a new pair of empty ``upper-ID``/``work-ID`` directories; the ID."""
        while True:
            ident = secrets.token_hex(4)
            try:
                os.mkdir(self.root / f"upper-{ident}", 0o700)
            except FileExistsError:
                continue
            os.mkdir(self.root / f"work-{ident}", 0o700)
            return ident

    def upper(self, ident: str) -> Path:
        return self.root / f"upper-{ident}"

    def discard(self, ident: str) -> None:
        for name in (f"upper-{ident}", f"work-{ident}"):
            remove_tree(self.root / name)

    def close(self) -> None:
        remove_tree(self.root)


def _parents() -> tuple[Path, ...]:
    """Where layers may live: oci's data directory (usually the file system the user's
    projects are on, so applying a file is a rename), else a directory of the user's own
    in the system's temporary directory."""
    return (paths.data_dir() / "runs",
            Path(tempfile.gettempdir()) / f"oci-runs-{os.getuid()}")


def _own_dir(path: Path) -> bool:
    """``path`` exists (made if need be) as a real directory of this user, closed to others
    (a shared /tmp could hold a link or a directory someone else made)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        return False
    if stat.S_IMODE(st.st_mode) & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)
    return True


def _sweep_stale() -> None:
    """Remove layers that a killed oci left behind (their process is gone)."""
    for parent in _parents():
        try:
            entries = list(os.scandir(parent))
        except OSError:
            continue
        for entry in entries:
            pid, _, _ = entry.name.partition("-")
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                os.kill(int(pid), 0)
                continue  # alive (or not ours to signal: leave it)
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            remove_tree(Path(entry.path))
