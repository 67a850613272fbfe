"""The working directory a program may write, and what in it must stay out of its reach.

The working directory is the program's whole writable world. Some things in it (or around
it) would let a program run code on the host later, with the user's rights, without anyone
choosing to run it: a repository's ``.git`` (hooks, ``core.fsmonitor``, filters run by the
next ``git status`` -- a shell prompt runs one constantly), a virtualenv or oci's own
installation (a ``.pth`` file runs at the next interpreter start), ``__pycache__`` (a
forged ``.pyc`` runs instead of its source), and oci's config, data and model store (a
config that turns the sandbox off). This module finds them before a run so the containment
can keep them read-only, refuses working directories where that cannot be done, and after
a run says what changed: new files, modified files, and any new file of those kinds.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from oci_interpreter.core import paths
from oci_interpreter.core.errors import WorkdirRefusedError

VCS_DIRS = (".git", ".hg", ".svn")
"""Version-control metadata: its config and hooks run commands on the host."""
_CODE_DIRS = ("__pycache__",)
"""Compiled code that runs in place of its source."""
_RUN_DIRS = (".tox", ".nox", "node_modules")
"""Virtualenvs of tox and nox (a .pth runs), installed npm packages (.bin runs)."""
_BIG_DIRS = {"node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox"}
"""Skipped by the scan (their contents are not listed)."""
SKIP_DIRS = frozenset({*VCS_DIRS, *_CODE_DIRS, *_BIG_DIRS, ".venv", "venv"})
"""Directories no tool of oci walks into or copies (``oci fix --test`` copies the rest)."""
SCAN_MAX_ENTRIES = 20000
SCAN_MAX_SECONDS = 1.0


def _is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


@dataclass
class Scan:
    """What the working directory held: files with (mtime, size), and the special
    directories (VCS metadata, virtualenvs, bytecode caches) found on the way."""

    files: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """path -> (mtime, size, ctime): the change time cannot be set back, so a same-size
    edit with the old mtime restored still counts as a change."""
    special: set[str] = field(default_factory=set)
    complete: bool = True
    """False when the scan stopped at its entry or time bound."""


def scan(root: Path, max_entries: int = SCAN_MAX_ENTRIES,
         max_seconds: float = SCAN_MAX_SECONDS) -> Scan:
    """Walk ``root`` (bounded by entries and time): files outside the special directories,
    and the special directories themselves (their contents are protected, not listed)."""
    out = Scan()
    stack = [str(root)]
    entries = 0
    deadline = time.monotonic() + max_seconds
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                for entry in it:
                    entries += 1
                    if entries > max_entries or (entries % 256 == 0
                                                 and time.monotonic() > deadline):
                        out.complete = False
                        return out
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            if entry.name in VCS_DIRS or entry.name in _CODE_DIRS or (
                                    entry.name in _RUN_DIRS or _is_venv(entry.path)):
                                out.special.add(entry.path)
                            elif entry.name not in _BIG_DIRS:
                                stack.append(entry.path)
                        elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
                            if entry.name in VCS_DIRS:  # a `.git` file: "gitdir: ELSEWHERE"
                                out.special.add(entry.path)
                                continue
                            st = entry.stat(follow_symlinks=False)
                            out.files[entry.path] = (st.st_mtime_ns, st.st_size,
                                                     st.st_ctime_ns)
                    except OSError:
                        continue
        except OSError:
            continue
    return out


@dataclass(frozen=True)
class Changes:
    created: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    """New version-control metadata, virtualenvs or bytecode caches: each could run code
    on the host later (one sentence each, naming the path)."""
    refused: tuple[str, ...] = ()
    """Changes not applied to the working directory (``PATH: reason``): see writeback.py."""


_WARNING = {
    "vcs": "{path}: new version-control metadata (its config and hooks can run commands "
           "when git or another tool runs there) -- inspect it or delete it",
    "venv": "{path}: a new virtualenv (it runs code when used) -- inspect it or delete it",
    "code": "{path}: new compiled Python (it runs in place of its source) -- delete it",
    "packages": "{path}: new installed packages (npm and node run their scripts) -- "
                "inspect them or delete them",
}


def _kind(path: str) -> str:
    name = os.path.basename(path)
    if name in VCS_DIRS:
        return "vcs"
    if name in _CODE_DIRS:
        return "code"
    if name == "node_modules":
        return "packages"
    return "venv"


def _own_outputs() -> set[str]:
    """The files oci's own stdout and stderr go to (`oci fix x.py 2> log.txt`): oci writes
    them during the run, the program does not."""
    found: set[str] = set()
    for fd in (1, 2):
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                found.add(os.path.realpath(os.readlink(f"/proc/self/fd/{fd}")))
        except OSError:
            continue
    return found


def changes(before: Scan, root: Path, own: Path | None = None) -> Changes:
    """What a run changed below ``root`` (``own``: oci's sandbox home, not reported; nor
    the files oci's own output goes to)."""
    after = scan(root)
    skip = str(own) + os.sep if own is not None else None
    outputs = _own_outputs()
    names = {os.path.basename(p) for p in outputs}

    def keep(p: str) -> bool:
        if skip is not None and p.startswith(skip):
            return False
        return os.path.basename(p) not in names or os.path.realpath(p) not in outputs

    created = tuple(sorted(p for p in after.files if p not in before.files and keep(p)))
    modified = tuple(sorted(p for p, key in after.files.items()
                            if p in before.files and before.files[p] != key and keep(p)))
    deleted = () if not after.complete else tuple(
        sorted(p for p in before.files if p not in after.files and keep(p)))
    warnings = tuple(_WARNING[_kind(p)].format(path=p)
                     for p in sorted(after.special - before.special) if keep(p))
    return Changes(created, modified, deleted, warnings)


# --------------------------------------------------------------- protection --

def _code_dirs() -> list[Path]:
    """Where code that oci runs lives: the interpreter's directory, the site-packages of
    its prefixes (a ``.pth`` there runs at every start), and oci's package directory."""
    import sysconfig

    import oci_interpreter

    found = {Path(sys.executable).parent, Path(oci_interpreter.__file__).resolve().parent}
    with contextlib.suppress(Exception):  # the user's site-packages, enabled or not
        import site

        found.add(Path(site.getusersitepackages()))
    for prefix in {sys.prefix, sys.base_prefix}:
        variables = {"base": prefix, "platbase": prefix}
        for key in ("purelib", "platlib", "scripts"):
            with contextlib.suppress(KeyError, ValueError):
                found.add(Path(sysconfig.get_path(key, vars=variables)))
    return sorted(p.resolve() for p in found)


def installation() -> list[Path]:
    """oci's own installation: the interpreter's prefixes and the code directories."""
    return sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                   *_code_dirs()})


def state_dirs() -> list[Path]:
    """oci's config, data and model store (the sandbox home, inside data, is writable)."""
    return [p.resolve() for p in (paths.config_dir(), paths.data_dir(), paths.models_dir())]


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_workdir(workdir: Path, *, allow_home: bool = False) -> None:
    """Refuse a working directory a program could use to reach the host.

    ``/`` and ``/tmp`` (the host's sockets: tmux, ssh-agent, X11), the user's home (shell
    startup files, ``~/.gitconfig``: unless ``allow_home``), and directories inside oci's
    installation or state, which must stay read-only.
    """
    home = Path.home().resolve()
    if workdir == Path("/"):
        raise WorkdirRefusedError("the working directory is / (the whole file system)",
                           "Run oci in a project directory, or pass --cwd DIR.")
    tmp = Path("/tmp").resolve()
    if workdir in (tmp, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")):
        raise WorkdirRefusedError(
            f"the working directory is {workdir}, which holds other programs' sockets "
            "(tmux, ssh-agent, X11)",
            "Use a directory of its own, e.g. mkdir /tmp/work and --cwd /tmp/work.")
    if workdir == home and not allow_home:
        raise WorkdirRefusedError(
            f"the working directory is your home directory ({home}): a program could change "
            "your shell's startup files or ~/.gitconfig",
            "cd to a project directory or pass --cwd DIR (or --allow-home to insist).")
    for path in _code_dirs():
        if _inside(workdir, path) and path != Path("/"):
            raise WorkdirRefusedError(
                f"the working directory {workdir} is inside oci's own installation ({path}): "
                "a program could change what runs the next time oci starts",
                "Use another directory (--cwd DIR).")
    for path in state_dirs():
        if _inside(workdir, path):
            raise WorkdirRefusedError(
                f"the working directory {workdir} is inside oci's own files ({path})",
                "Use another directory (--cwd DIR).")


def protected(workdir: Path, before: Scan) -> list[Path]:
    """Paths inside the writable working directory that must stay read-only: the special
    directories the scan found, oci's installation and state, and, when the working
    directory is the user's home, every dot-file and dot-directory in it."""
    out: set[Path] = set()
    for p in before.special:
        path = Path(p)
        out.add(path.resolve() if path.is_symlink() else path)
    for path in (*installation(), *state_dirs()):
        if path.exists():
            out.add(path)
    if workdir == Path.home().resolve():
        with contextlib.suppress(OSError):
            out.update(Path(e.path) for e in os.scandir(workdir) if e.name.startswith("."))
    return sorted(p for p in out if _inside(p, workdir) and p != workdir and p.exists())
