"""Mounts the supervisor makes: the file system it builds itself under ``unshare``
(what bubblewrap's flags build otherwise), and the working directory's overlay (both
modes). Loaded only when a run needs one of them. Stdlib only.
"""

from __future__ import annotations

import errno
import os

from .wire import Overlay as OverlaySpec
from .wire import Seal

# ------------------------------------------------- the file system (unshare) ----
# Under bubblewrap the wrapper builds the program's file system. unshare only gives the
# supervisor a mount namespace of its own (and every capability in its user namespace),
# so the supervisor builds the same view there before it forks, the way bubblewrap does:
# every mount read-only, a private /tmp, /dev/shm and a minimal /dev, the working
# directory and the sandbox home writable, read-only islands inside the working directory
# (.git, virtualenvs, oci's own files). The program then drops every capability, so it
# can neither remount nor unmount any of it (in a nested user namespace the mounts are
# locked together by the kernel).

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_NOATIME, _MS_NODIRATIME, _MS_BIND = 32, 1024, 2048, 4096
_MS_REC, _MS_PRIVATE, _MS_RELATIME, _MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
# statvfs's f_flag bits -> mount(2) flags: a remount must keep the flags the kernel
# locked when our namespace was made (nosuid, nodev, noexec, the atime mode).
_ST_TO_MS = ((1, _MS_RDONLY), (2, _MS_NOSUID), (4, _MS_NODEV), (8, _MS_NOEXEC),
             (1024, _MS_NOATIME), (2048, _MS_NODIRATIME), (4096, _MS_RELATIME))
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
# What bubblewrap's --proc covers too: root (uid 0 outside as well, when oci runs as
# root) may write sysctls by its uid alone, capabilities or not.
_PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus")


class SealError(Exception):
    """The file system could not be made what the run needs."""


def _libc_mount():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source: str | None, target: str, fstype: str | None, flags: int,
              data: str | None = None) -> None:
        def enc(text: str | None) -> bytes | None:
            return None if text is None else os.fsencode(text)

        if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags),
                      enc(data)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), target)

    return mount


def _kept_flags(path: str) -> int:
    st = os.statvfs(path).f_flag
    flags = 0
    for st_bit, ms_bit in _ST_TO_MS:
        if st & st_bit and ms_bit != _MS_RDONLY:
            flags |= ms_bit
    if not st & (1024 | 4096):  # neither noatime nor relatime: strictatime
        flags |= _MS_STRICTATIME
    return flags


def _mount_points() -> list[str]:
    """Every mount point in this namespace, parents before children."""
    points = []
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f:
            field = line.split(b" ")[4]
            # Spaces, tabs, newlines and backslashes are written as octal escapes.
            points.append(os.fsdecode(field.decode("unicode_escape").encode("latin-1")))
    return sorted(set(points), key=lambda p: (p.count("/"), p))


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def seal_file_system(fs: Seal) -> None:
    """Build the program's view of the file system (unshare mode); SealError if not."""
    mount = _libc_mount()

    def remount(path: str, read_only: bool) -> None:
        mount(None, path, None, _MS_REMOUNT | _MS_BIND | _kept_flags(path)
              | (_MS_RDONLY if read_only else 0))

    workdir = fs.workdir
    tmpfs_size = fs.tmpfs_size
    size = f",size={int(tmpfs_size)}" if tmpfs_size else ""
    step = "the mounts' propagation"
    try:
        mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        # Handles on everything the new mounts will hide or replace, taken first.
        binds = []  # (path, read_only), in bubblewrap's order
        for path in fs.readable:
            if _under(path, "/tmp") or _under(path, "/dev"):
                binds.append((path, True))
        layers = fs.layers
        # With an overlay the real working directory is only its lower layer: read-only.
        binds.append((workdir, layers is not None))
        binds += [(path, True) for path in fs.protected]
        binds += [(path, False) for path in fs.writable]
        if layers is not None:
            binds.append((layers, False))  # to STAGE, below
        handles = []
        for path, read_only in binds:
            step = f"opening {path}"
            handles.append((os.open(path, os.O_PATH | os.O_CLOEXEC), path, read_only))
        devices = []
        for name in _DEVICES:
            try:
                devices.append((os.open(f"/dev/{name}", os.O_PATH | os.O_CLOEXEC), name))
            except OSError:
                pass

        # 1. Every mount read-only (the new /proc aside, covered below).
        for point in _mount_points():
            if _under(point, "/proc"):
                continue
            step = f"making {point} read-only"
            try:
                remount(point, True)
            except OSError as exc:
                # Hidden by a later mount (nobody reaches it by path) or not ours to see.
                if exc.errno not in (errno.ENOENT, errno.EACCES, errno.EINVAL):
                    raise
        for name in _PROC_READ_ONLY:
            path = f"/proc/{name}"
            if os.path.exists(path):
                step = f"making {path} read-only"
                mount(path, path, None, _MS_BIND | _MS_REC)
                remount(path, True)

        # 2. A minimal /dev of its own (no disks, no terminals of yours), private /tmp.
        step = "a private /dev"
        mount("tmpfs", "/dev", "tmpfs", _MS_NOSUID | _MS_NOEXEC, "mode=755")
        for fd, name in devices:
            target = f"/dev/{name}"
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o666))
            mount(f"/proc/self/fd/{fd}", target, None, _MS_BIND)
            os.close(fd)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
                             ("ptmx", "pts/ptmx")):
            os.symlink(target, f"/dev/{name}")
        os.mkdir("/dev/pts")
        os.mkdir("/dev/shm")
        try:
            mount("devpts", "/dev/pts", "devpts", _MS_NOSUID | _MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=620")
        except OSError:
            pass  # no pseudo-terminals for the program, nothing worse
        step = "a private /dev/shm"
        mount("tmpfs", "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777" + size)
        step = "making /dev read-only"
        remount("/dev", True)
        # What lists the host's network interfaces in /sys, when the network is off.
        for path in fs.hide:
            step = f"hiding {path}"
            try:
                mount("tmpfs", path, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                      "size=4k,mode=755")
            except FileNotFoundError:
                pass
        step = "a private /tmp"
        mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777" + size)

        # 3. Back on top: what the run reads from /tmp, the working directory, the
        # read-only islands inside it, the sandbox home.
        for fd, path, read_only in handles:
            step = f"binding {path}"
            if layers is not None and path == layers:
                path = STAGE  # where the supervisor finds the layers (Overlay)
            if not os.path.exists(path):  # under the new /tmp: make the mount point
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(path, exist_ok=True)
                else:
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
            remount(path, read_only)
            os.close(fd)
    except OSError as exc:
        raise SealError(f"{step}: {exc.strerror or exc}") from None


# ------------------------------------------------- the working directory's overlay ----
# The program never writes the user's working directory: it sees it through an overlay
# whose upper layer (a directory of oci's, outside the working directory) collects what
# it creates, changes and deletes; oci applies that afterwards by an allowlist
# (writeback.py). The wrapper (bubblewrap's --ro-bind, or seal_file_system under unshare)
# puts the real directory read-only at its path and oci's layers directory at STAGE; the
# supervisor mounts the overlay on top, then covers STAGE, so the program reaches the
# layers only through the overlay. A kernel gets a fresh overlay (and upper layer) for
# every cell, so what the user changes between cells shows through.

STAGE = "/tmp/.oci-layers"
_MNT_DETACH = 2


class Overlay:
    """The working directory's overlay, mounted and unmounted by the supervisor."""

    def __init__(self, ov: OverlaySpec, workdir: str) -> None:
        self.mount = _libc_mount()
        import ctypes

        self._libc = ctypes.CDLL(None, use_errno=True)
        self.workdir = workdir
        flags = os.O_PATH | os.O_CLOEXEC
        self.layers = os.open(STAGE, flags | os.O_DIRECTORY)
        self.lower = os.open(workdir, flags | os.O_DIRECTORY)
        # What lies inside the working directory but is not the program's to write
        # through the overlay (oci's sandbox home): bound again on top of it.
        self.rebind = []
        for path in ov.rebind:
            if os.path.exists(path):
                self.rebind.append((os.open(path, flags), path))
        self.mounted = False

    def fds(self) -> list[int]:
        return [self.layers, self.lower, *(fd for fd, _ in self.rebind)]

    def mount_cell(self, ident: str) -> None:
        """Mount a fresh overlay with the upper layer ``upper-IDENT`` on the working
        directory (OSError if it cannot be)."""
        if not ident.isalnum():
            raise OSError(errno.EINVAL, "bad layer name")
        top = f"/proc/self/fd/{self.layers}"
        options = (f"lowerdir=/proc/self/fd/{self.lower},upperdir={top}/upper-{ident},"
                   f"workdir={top}/work-{ident},userxattr")
        # volatile: no fsync for every file the program changes (a copy-up); the upper
        # layer is never mounted again after a crash (oci sweeps it), and oci syncs what it
        # puts over a file of yours itself. Kernels before 5.10 do not know it.
        try:
            self.mount("overlay", self.workdir, "overlay", _MS_NOSUID | _MS_NODEV,
                       options + ",volatile")
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self.mount("overlay", self.workdir, "overlay", _MS_NOSUID | _MS_NODEV, options)
        self.mounted = True
        for fd, path in self.rebind:
            self.mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)

    def unmount_cell(self) -> bool:
        """Take the cell's overlay away. True when something still holds it (a file the
        program left open): it is detached then, and its upper layer may still change."""
        if not self.mounted:
            return False
        self.mounted = False
        for _, path in reversed(self.rebind):
            self._umount(path, _MNT_DETACH)
        if self._umount(self.workdir, 0):
            return False
        self._umount(self.workdir, _MNT_DETACH)
        return True

    def _umount(self, path: str, flags: int) -> bool:
        return self._libc.umount2(os.fsencode(path), flags) == 0

    def cover(self) -> None:
        """Hide STAGE (the layers stay reachable through our descriptor only)."""
        self.mount("tmpfs", STAGE, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                   "size=4k,mode=0")
