"""What oci asks git about a file (``oci fix`` asks whether it has uncommitted changes
before writing it), without letting the repository run anything: the repository is found
once, before any program ran (:func:`find_repository`), and later questions go to it alone
(:class:`GitRepository`), through read-only plumbing with every command-running feature
off. See docs/security.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT_S = 5.0


# Read-only plumbing with everything that could run a command switched off: a working
# directory's repository may have been written by a program (core.fsmonitor, hooks, clean
# filters all run commands; `git status` runs the first and the last; a promisor remote's
# `uploadpack` runs when git fetches a missing object lazily). ls-files, hash-object
# --no-filters, rev-parse and check-ignore read files and objects and run nothing, once no
# transport may be used (protocol.allow=never, GIT_NO_LAZY_FETCH) and neither the system's
# nor the user's global config is read.
_GIT_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
             "-c", "core.untrackedCache=false", "-c", "core.sshCommand=false",
             "-c", "protocol.allow=never",
             "--no-pager", "--no-replace-objects")


def _find_git() -> str | None:
    """git from the absolute directories of PATH only: an empty or relative entry
    (``.``) would find a ``git`` a program left in the working directory."""
    dirs = [d for d in os.environ.get("PATH", os.defpath).split(os.pathsep) if os.path.isabs(d)]
    return shutil.which("git", path=os.pathsep.join(dirs)) if dirs else None


def _git_env(ceiling: str | None) -> dict[str, str]:
    """oci's environment without any ``GIT_*`` variable of the user's (GIT_DIR,
    GIT_CONFIG_COUNT/KEY/VALUE, GIT_EXEC_PATH, ...), with no system or global config, no
    lazy fetch, no prompt, no optional locks. ``ceiling``: GIT_CEILING_DIRECTORIES."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_TERMINAL_PROMPT="0",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_NO_LAZY_FETCH="1", GIT_PROTOCOL_FROM_USER="0", GIT_ATTR_NOSYSTEM="1",
               GIT_NO_REPLACE_OBJECTS="1")
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = ceiling
    return env


def _git(git: str, cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = subprocess.run([git, *_GIT_SAFE, *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=GIT_TIMEOUT_S, check=False)
    return proc.returncode, os.fsdecode(proc.stdout).strip()


@dataclass(frozen=True)
class GitRepository:
    """The repository a file is in, found once (``find_repository``) before any program
    ran; every later question goes to this repository alone (``--git-dir`` and
    ``--work-tree`` given, so git never discovers a repository a program planted later,
    nearer to the file)."""

    git: str
    """The git executable found then."""
    git_dir: Path
    work_tree: Path

    def _run(self, *args: str) -> tuple[int, str]:
        env = _git_env(str(self.work_tree.parent))
        env.update(GIT_DIR=str(self.git_dir), GIT_WORK_TREE=str(self.work_tree))
        return _git(self.git, self.work_tree, env, f"--git-dir={self.git_dir}",
                    f"--work-tree={self.work_tree}", *args)

    def status(self, path: Path) -> str | None:
        """``path``'s state in this repository: ``"modified"`` (the working copy differs
        from the index), ``"staged"`` (only the index differs from HEAD), ``"untracked"``,
        or None: clean, ignored, outside this work tree, git failing. Never raises, and
        never runs a hook, filter, fsmonitor or transport command of the repository (the
        working copy is compared byte for byte, without filters)."""
        try:
            p = Path(path).absolute()
            rel = os.path.relpath(os.path.join(os.path.realpath(p.parent), p.name),
                                  self.work_tree)
            if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir:
                return None
            name = Path(rel).as_posix()
            # A name is a name, not a pattern (`*.py`, `:(glob)...`).
            code, staged = self._run("--literal-pathspecs", "ls-files", "--stage", "--", name)
            if code != 0:
                return None
            if not staged:  # not in the index: untracked, or ignored
                # (no pathspec magic here: "./" keeps a leading ":" a name)
                code, _ = self._run("check-ignore", "-q", "--", f"./{name}")
                return None if code == 0 else "untracked"
            index_id = staged.split()[1]
            code, work_id = self._run("hash-object", "--no-filters", "--", name)
            if code != 0:
                return None
            if work_id != index_id:
                return "modified"
            code, head_id = self._run("rev-parse", "--verify", "--quiet", f"HEAD:{name}")
            return None if code == 0 and head_id == index_id else "staged"
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            return None


def find_repository(path: Path) -> GitRepository | None:
    """The git work tree ``path`` (a file) is in, or None: not in one, git missing or
    failing. Call it before a program runs in the file's directory (``oci fix`` does, when
    it opens the script): afterwards, ask :meth:`GitRepository.status`. Never raises."""
    try:
        git = _find_git()
        if git is None:
            return None
        start = Path(path).absolute().parent
        # The user's own ceiling, if any, still bounds the search.
        env = _git_env(os.environ.get("GIT_CEILING_DIRECTORIES"))
        code, out = _git(git, start, env, "rev-parse", "--is-inside-work-tree",
                         "--absolute-git-dir", "--show-toplevel")
        lines = out.split("\n")
        if code != 0 or len(lines) != 3 or lines[0] != "true":
            return None
        git_dir, top = Path(lines[1]), Path(lines[2])
        if not (git_dir.is_absolute() and top.is_absolute()):
            return None
        return GitRepository(git, git_dir, top)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def git_status(path: Path, repository: GitRepository | None = None) -> str | None:
    """The file's state in git: ``"modified"``, ``"staged"``, ``"untracked"``, or None
    (see :meth:`GitRepository.status`). Without ``repository``, the repository is found
    now: pass the one :func:`find_repository` found before a program ran wherever a
    program may have written the file's directory since. Never raises."""
    repo = repository if repository is not None else find_repository(path)
    return repo.status(path) if repo is not None else None
