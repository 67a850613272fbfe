"""What a program changed, applied to the real working directory by an allowlist.

A program never writes the user's working directory itself. It sees the directory
through a copy-on-write overlay (``_inside/mounts.Overlay``): reads come from the real
directory, and everything it creates, changes or deletes lands in the overlay's *upper
layer*, a directory of oci's own (layers.py). After the run (or a kernel's cell) oci
walks that upper layer -- exactly what the program changed, so the walk costs what the
program did, not what the directory holds -- and applies each change to the real
directory only if it is allowed:

* regular files only: created, or modified when their content differs from the real
  file's (compared byte for byte, never by size and mtime); a new file gets the time it
  was applied as its mtime, whatever the program set;
* deletions of files and symbolic links, and new directories;
* never into version-control metadata (``.git``, ``.hg``, ...), a virtualenv (a
  directory with ``pyvenv.cfg``, ``.venv``, ``venv``, ``.tox``, ``.nox``, a conda
  environment), installed packages (``site-packages``, ``node_modules``), compiled Python
  (``__pycache__``), oci's own installation and state, or -- when the working directory is
  the home directory -- its dot-files;
* never a symbolic link, FIFO, socket or device, and never through a symbolic link:
  every path is walked from the working directory with ``O_NOFOLLOW``;
* never over something that changed outside the run while it ran (its change time is
  later than the run's start): that version is kept.

Everything applied is listed (``created``, ``modified``, ``deleted``), and everything not
applied is listed in ``refused`` with the reason. Nothing here raises for what the
program left behind: a change that cannot be applied is refused with the error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from oci_interpreter.sandbox.workspace import Changes

MAX_DEPTH = 128
"""Directories nested deeper than this are refused as a whole (one line)."""
MAX_LISTED = 10_000
"""The most paths listed per kind; more are applied and counted in a warning."""

_OPAQUE = ("user.overlay.opaque", "trusted.overlay.opaque")
_WHITEOUT = ("user.overlay.whiteout", "trusted.overlay.whiteout")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

_VCS = "version-control metadata: its config and hooks run commands"
_VENV = "a virtualenv: its files run whenever its Python starts"
DENIED_NAMES: dict[str, str] = {
    ".git": _VCS, ".hg": _VCS, ".svn": _VCS, ".bzr": _VCS, ".jj": _VCS, "_darcs": _VCS,
    ".pijul": _VCS, "CVS": _VCS,
    ".venv": _VENV, "venv": _VENV, ".tox": _VENV, ".nox": _VENV, ".direnv": _VENV,
    "site-packages": "installed Python packages: a .pth file there runs at every start",
    "dist-packages": "installed Python packages: a .pth file there runs at every start",
    "node_modules": "installed packages: npm and node run their scripts",
    "__pycache__": "compiled Python: it runs in place of its source",
    "sitecustomize.py": "Python runs it at every start where it is on the path",
    "usercustomize.py": "Python runs it at every start where it is on the path",
}
"""A path with one of these names anywhere in it is never written or deleted."""
_VENV_MARKERS = ("pyvenv.cfg", "conda-meta")
"""A directory holding one of these is a virtualenv (or conda environment)."""
_GIT_LAYOUT = frozenset({"HEAD", "objects", "refs", "commondir", "config", "hooks", "info",
                         "packed-refs", "index", "worktrees", "modules", "gitdir", "logs",
                         "branches", "description", "FETCH_HEAD", "ORIG_HEAD", "shallow"})
"""What a git directory holds: never applied to a directory that is, or would become, one
(git takes any directory with HEAD, objects and refs -- or commondir -- for a repository,
``.git`` or not, and runs its config's commands)."""
REASON_GIT = ("a git repository by its layout (HEAD, objects, refs): git would run its "
              "config's commands")

REASON_OWN = "oci's own files"
REASON_HOME = "a dot-file of your home directory"
REASON_LINK = "a symbolic link: oci applies regular files only"
REASON_SPECIAL = "not a regular file (a FIFO, socket or device)"
REASON_CHANGED = "changed outside the run while it ran: that version is kept"
REASON_THROUGH = "its directory is a symbolic link or a file here: oci never writes through one"
REASON_DEEP = f"nested deeper than {MAX_DEPTH} directories"


@dataclass(frozen=True)
class Rules:
    """Where the program's changes may go, for one working directory."""

    workdir: Path
    own: tuple[tuple[str, ...], ...] = ()
    """oci's installation and state inside the working directory (relative parts)."""
    home: bool = False
    """The working directory is the user's home: its dot-files are not the program's."""

    @classmethod
    def for_workdir(cls, workdir: Path) -> Rules:
        from oci_interpreter.sandbox import workspace

        own = []
        for path in (*workspace.installation(), *workspace.state_dirs()):
            with contextlib.suppress(ValueError):
                rel = path.relative_to(workdir)
                if rel.parts:
                    own.append(rel.parts)
        return cls(workdir, tuple(own), workdir == Path.home().resolve())

    def refuse(self, parts: tuple[str, ...]) -> str | None:
        """Why nothing may be written or deleted at ``parts`` (None: it may)."""
        for part in parts:
            reason = DENIED_NAMES.get(part)
            if reason is not None:
                return reason
        if self.home and parts and parts[0].startswith("."):
            return REASON_HOME
        for own in self.own:
            if parts[:len(own)] == own:
                return REASON_OWN
        return None


@dataclass
class _Report:
    created: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unlisted: int = 0

    def add(self, kind: list[str], path: str) -> None:
        if len(kind) < MAX_LISTED:
            kind.append(path)
        else:
            self.unlisted += 1

    def changes(self) -> Changes:
        warnings: tuple[str, ...] = ()
        if self.unlisted:
            warnings = (f"{self.unlisted} more changes were handled but are not listed "
                        f"(at most {MAX_LISTED} of each kind are)",)
        return Changes(tuple(self.created), tuple(self.modified), tuple(self.deleted),
                       warnings, tuple(self.refused))


def _shown(workdir: Path, parts: tuple[str, ...]) -> str:
    return os.path.join(workdir, *parts)


def _lstat(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _xattr(fd: int, names: tuple[str, ...]) -> bytes | None:
    for name in names:
        try:
            return os.getxattr(fd, name)
        except OSError:
            continue
    return None


def _is_whiteout(st: os.stat_result, name: str, dir_fd: int) -> bool:
    if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
        return True
    if stat.S_ISREG(st.st_mode) and st.st_size == 0:
        # Overlayfs can also mark a whiteout with an xattr on an empty file.
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError:
            return False
        try:
            return _xattr(fd, _WHITEOUT) is not None
        finally:
            os.close(fd)
    return False


def _is_venv(dir_fd: int) -> bool:
    return any(_lstat(marker, dir_fd) is not None for marker in _VENV_MARKERS)


def _names(dir_fd: int | None) -> set[str]:
    if dir_fd is None:
        return set()
    try:
        return set(os.listdir(dir_fd))
    except OSError:
        return set()


def _git_layout(names: set[str]) -> bool:
    """``names`` (a directory's, both sides together) make a git directory."""
    return "HEAD" in names and ({"objects", "refs"} <= names or "commondir" in names)


def _same_content(a: int, b: int, size: int) -> bool:
    """Whether the open files ``a`` and ``b`` (both ``size`` bytes) hold the same bytes."""
    done = 0
    while done < size:
        want = min(1 << 20, size - done)
        x = os.pread(a, want, done)
        y = os.pread(b, want, done)
        if x != y or not x:
            return False
        done += len(x)
    return True


def _copy_data(src: int, dst: int) -> None:
    size = os.fstat(src).st_size
    offset = 0
    try:
        while offset < size:
            n = os.copy_file_range(src, dst, min(size - offset, 1 << 30), offset, offset)
            if n == 0:
                break
            offset += n
        if offset >= size:
            return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL):
            raise
    os.lseek(dst, offset, os.SEEK_SET)
    while True:
        block = os.pread(src, 1 << 20, offset)
        if not block:
            return
        view = memoryview(block)
        while view:
            view = view[os.write(dst, view):]
        offset += len(block)


class _Applier:
    """One application of an upper layer to the working directory."""

    def __init__(self, workdir: Path, rules: Rules, since_ns: int, move: bool,
                 seen: dict[tuple[str, ...], tuple[int, int]] | None) -> None:
        self.workdir = workdir
        self.rules = rules
        self.since_ns = since_ns
        self.move = move
        self.seen = seen
        self.out = _Report()

    # ----------------------------------------------------------- reporting --

    def refuse(self, parts: tuple[str, ...], reason: str) -> None:
        self.out.add(self.out.refused, f"{_shown(self.workdir, parts)}: {reason}")

    def changed_outside(self, st: os.stat_result) -> bool:
        return st.st_ctime_ns > self.since_ns

    # ------------------------------------------------------------- walking --

    def apply(self, upper: Path) -> Changes:
        try:
            up = os.open(upper, _DIR_FLAGS)
        except OSError:
            return self.out.changes()  # nothing was written (no upper layer)
        try:
            real = os.open(self.workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            os.close(up)
            self.refuse((), f"the working directory cannot be opened ({exc.strerror})")
            return self.out.changes()
        # Depth first, one frame per level: at most two descriptors per level are open.
        # A frame: the path, both descriptors, the names left, whether a directory above
        # was made again (opaque: what it did not put back is gone, at every depth), and
        # whether the directory is a git repository by its layout.
        stack: list[tuple[tuple[str, ...], int, int, Iterator[str], bool, bool]] = []

        def push(parts: tuple[str, ...], ufd: int, rfd: int, opaque: bool) -> None:
            upper_names = _names(ufd)
            git = _git_layout(upper_names | _names(rfd))
            stack.append((parts, ufd, rfd, iter(sorted(upper_names)), opaque, git))

        push((), up, real, False)
        try:
            while stack:
                parts, ufd, rfd, names, opaque, git = stack[-1]
                name = next(names, None)
                if name is None:
                    stack.pop()
                    os.close(ufd)
                    os.close(rfd)
                    continue
                if git and name in _GIT_LAYOUT:
                    self.refuse((*parts, name), REASON_GIT)
                    continue
                try:
                    child = self.entry((*parts, name), name, ufd, rfd, opaque)
                except OSError as exc:
                    self.refuse((*parts, name), f"could not be applied ({exc.strerror or exc})")
                    child = None
                if child is not None:
                    push((*parts, name), *child)
        finally:
            for _, ufd, rfd, _, _, _ in stack:
                os.close(ufd)
                os.close(rfd)
        return self.out.changes()

    def entry(self, parts: tuple[str, ...], name: str, ufd: int, rfd: int,
              opaque_above: bool = False) -> tuple[int, int, bool] | None:
        """Apply one entry of the upper layer; the descriptors of a directory to descend."""
        st = os.stat(name, dir_fd=ufd, follow_symlinks=False)
        if self.seen is not None and not stat.S_ISDIR(st.st_mode):
            key = (st.st_ino, st.st_ctime_ns)
            if self.seen.get(parts) == key:
                return None  # applied (or refused) at an earlier look, unchanged since
            self.seen[parts] = key
        reason = self.rules.refuse(parts)
        if reason is not None:
            self.refuse(parts, reason)
            return None
        if len(parts) > MAX_DEPTH:
            self.refuse(parts, REASON_DEEP)
            return None
        if _is_whiteout(st, name, ufd):
            self.delete(parts, name, rfd)
            return None
        if stat.S_ISDIR(st.st_mode):
            return self.directory(parts, name, ufd, rfd, opaque_above)
        if stat.S_ISREG(st.st_mode):
            self.write(parts, name, st, ufd, rfd)
            return None
        real = _lstat(name, rfd)
        if stat.S_ISLNK(st.st_mode):
            if real is not None and stat.S_ISLNK(real.st_mode) and (
                    os.readlink(name, dir_fd=ufd) == os.readlink(name, dir_fd=rfd)):
                return None  # the same link as before (copied up for its metadata)
            self.refuse(parts, REASON_LINK)
            return None
        self.refuse(parts, REASON_SPECIAL)
        return None

    def directory(self, parts: tuple[str, ...], name: str, ufd: int, rfd: int,
                  opaque_above: bool = False) -> tuple[int, int, bool] | None:
        child_up = os.open(name, _DIR_FLAGS, dir_fd=ufd)
        try:
            # Below a directory made again, every directory is new to the program: the
            # overlay marks only the top one opaque.
            opaque = opaque_above or _xattr(child_up, _OPAQUE) == b"y"
            real = _lstat(name, rfd)
            if _is_venv(child_up):
                self.refuse(parts, _VENV)
                os.close(child_up)
                return None
            if real is not None and not stat.S_ISDIR(real.st_mode):
                # The program deleted a file or link and made a directory in its place
                # (an opaque directory), or something else changed it while it ran.
                if not opaque or self.changed_outside(real):
                    self.refuse(parts, REASON_THROUGH if not opaque else REASON_CHANGED)
                    os.close(child_up)
                    return None
                if not self.delete(parts, name, rfd):
                    os.close(child_up)
                    return None
                real = None
            if real is None and self.move and not opaque:
                # A new directory: when nothing in it needs a decision, it moves into
                # place whole (one rename, however many files the program made there).
                files = _plain_tree(child_up, self.rules, parts)
                if files is not None:
                    try:
                        os.rename(name, name, src_dir_fd=ufd, dst_dir_fd=rfd)
                    except OSError as exc:
                        if exc.errno != errno.EXDEV:
                            raise
                    else:
                        for rel in files:
                            self.out.add(self.out.created, _shown(self.workdir, rel))
                        os.close(child_up)
                        return None
            if real is None:
                os.mkdir(name, 0o777, dir_fd=rfd)
            child_real = os.open(name, _DIR_FLAGS, dir_fd=rfd)
        except BaseException:
            os.close(child_up)
            raise
        if _is_venv(child_real) or _git_layout(_names(child_up) | _names(child_real)):
            self.refuse(parts, _VENV if _is_venv(child_real) else REASON_GIT)
            os.close(child_up)
            os.close(child_real)
            return None
        if opaque and real is not None:
            # The program deleted the directory and made it again: what it did not put
            # back is gone.
            keep = set(os.listdir(child_up))
            for other in sorted(os.listdir(child_real)):
                if other not in keep:
                    self.delete((*parts, other), other, child_real)
        return child_up, child_real, opaque

    # ------------------------------------------------------------- writing --

    def write(self, parts: tuple[str, ...], name: str, st: os.stat_result, ufd: int,
              rfd: int) -> None:
        real = _lstat(name, rfd)
        mode = stat.S_IMODE(st.st_mode) & 0o777
        modified = False
        if real is not None:
            if self.changed_outside(real):
                self.refuse(parts, REASON_CHANGED)
                return
            if stat.S_ISDIR(real.st_mode):
                # The program deleted a directory and wrote a file in its place.
                if not self.delete(parts, name, rfd):
                    return
            elif stat.S_ISREG(real.st_mode):
                modified = True
                if real.st_size == st.st_size:
                    src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=ufd)
                    try:
                        dst = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                      dir_fd=rfd)
                        try:
                            same = _same_content(src, dst, st.st_size)
                        finally:
                            os.close(dst)
                    finally:
                        os.close(src)
                    if same:
                        if (stat.S_IMODE(real.st_mode) & 0o111) != (mode & 0o111):
                            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                         dir_fd=rfd)
                            try:
                                os.fchmod(fd, (stat.S_IMODE(real.st_mode) & ~0o111)
                                          | (mode & 0o111))
                            finally:
                                os.close(fd)
                            self.out.add(self.out.modified, _shown(self.workdir, parts))
                        return
            elif not stat.S_ISLNK(real.st_mode):
                self.refuse(parts, REASON_SPECIAL)
                return
        self._place(name, st, mode, ufd, rfd, replacing=modified)
        self.out.add(self.out.modified if modified else self.out.created,
                     _shown(self.workdir, parts))

    def _place(self, name: str, st: os.stat_result, mode: int, ufd: int, rfd: int, *,
               replacing: bool) -> None:
        """Put the upper layer's file ``name`` in the real directory, in one rename."""
        src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=ufd)
        try:
            if not stat.S_ISREG(os.fstat(src).st_mode):
                raise OSError(errno.EINVAL, REASON_SPECIAL)
            now = time.time_ns()
            if self.move and st.st_nlink == 1:
                os.fchmod(src, mode)
                if replacing:  # a changed file is newer than before, whatever it says
                    os.utime(src, ns=(now, now))
                    os.fsync(src)  # the user's file is replaced only by data on disk
                try:
                    os.replace(name, name, src_dir_fd=ufd, dst_dir_fd=rfd)
                    return
                except OSError as exc:
                    if exc.errno != errno.EXDEV:
                        raise
            tmp = f".oci-{secrets.token_hex(6)}.tmp"
            dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                          | os.O_CLOEXEC, 0o600, dir_fd=rfd)
            try:
                try:
                    _copy_data(src, dst)
                    os.fchmod(dst, mode)
                    if replacing:
                        os.fsync(dst)
                finally:
                    os.close(dst)
                os.replace(tmp, name, src_dir_fd=rfd, dst_dir_fd=rfd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=rfd)
                raise
        finally:
            os.close(src)

    # ------------------------------------------------------------ deleting --

    def delete(self, parts: tuple[str, ...], name: str, rfd: int) -> bool:
        """Delete ``name`` (a file, a link, or a whole directory) from the real directory,
        as far as allowed. True when nothing is left of it."""
        real = _lstat(name, rfd)
        if real is None:
            return True
        reason = self.rules.refuse(parts)
        if reason is not None:
            self.refuse(parts, reason)
            return False
        if not stat.S_ISDIR(real.st_mode):
            if self.changed_outside(real):
                self.refuse(parts, REASON_CHANGED)
                return False
            os.unlink(name, dir_fd=rfd)
            self.out.add(self.out.deleted, _shown(self.workdir, parts))
            return True
        if len(parts) > MAX_DEPTH:
            self.refuse(parts, REASON_DEEP)
            return False
        fd = os.open(name, _DIR_FLAGS, dir_fd=rfd)
        try:
            if _is_venv(fd):
                self.refuse(parts, _VENV)
                return False
            clean = True
            for other in sorted(os.listdir(fd)):
                try:
                    clean = self.delete((*parts, other), other, fd) and clean
                except OSError as exc:
                    self.refuse((*parts, other), f"could not be deleted ({exc.strerror})")
                    clean = False
        finally:
            os.close(fd)
        if not clean:
            return False
        try:
            os.rmdir(name, dir_fd=rfd)
        except OSError:
            return False
        return True


def _plain_tree(top: int, rules: Rules, parts: tuple[str, ...]
                ) -> list[tuple[str, ...]] | None:
    """The files of a new directory of the upper layer (open as ``top``) when everything
    in it may go to the working directory as it is: only directories and regular files
    with one link each, no name the rules refuse, no virtualenv, not too deep. None when
    something in it needs a decision of its own."""
    files: list[tuple[str, ...]] = []
    stack = [(parts, os.dup(top))]
    try:
        while stack:
            where, fd = stack.pop()
            try:
                if len(where) > MAX_DEPTH or _is_venv(fd):
                    return None
                with os.scandir(fd) as it:
                    entries = list(it)
                if _git_layout({entry.name for entry in entries}):
                    return None
                for entry in entries:
                    rel = (*where, entry.name)
                    if rules.refuse(rel) is not None:
                        return None
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(st.st_mode):
                        stack.append((rel, os.open(entry.name, _DIR_FLAGS, dir_fd=fd)))
                    elif stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and not (
                            st.st_size == 0 and _is_whiteout(st, entry.name, fd)):
                        files.append(rel)
                    else:
                        return None
            finally:
                os.close(fd)
    except OSError:
        return None
    finally:
        for _, fd in stack:
            os.close(fd)
    return sorted(files)


def apply_upper(upper: Path, workdir: Path, rules: Rules | None = None, *,
                since_ns: int, move: bool = False,
                seen: dict[tuple[str, ...], tuple[int, int]] | None = None) -> Changes:
    """Apply the overlay upper layer ``upper`` to ``workdir`` by the allowlist; what was
    created, modified, deleted, and refused (with the reason).

    ``since_ns``: when the run started (``time.time_ns()``); a real file changed later is
    kept. ``move``: the upper layer is discarded afterwards, so its files may be renamed
    into place instead of copied (same file system). ``seen``: for an upper layer looked
    at more than once (a kernel's file still open in a later cell), the entries already
    handled, by (inode, ctime); only what changed since is applied.
    """
    return _Applier(workdir, rules or Rules.for_workdir(workdir), since_ns, move,
                    seen).apply(upper)
