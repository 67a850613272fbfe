"""Removing a directory tree that a program may have made: any depth, no symlink followed.

``shutil.rmtree`` (and ``tempfile.TemporaryDirectory``'s cleanup) recurse once per level
and fail past ~1,000 levels with RecursionError, and no call can name a path longer than
PATH_MAX: a program that makes a deep directory in a scratch copy would crash the oci
command that cleans up after it.
"""

from __future__ import annotations

import os
import stat

_LONG_PATH = 2048
"""A directory deeper than this (in characters) is moved up before it is emptied."""


def remove_tree(top: str | os.PathLike[str]) -> None:
    """Remove ``top``, a directory oci made, and all in it: iterative (any depth), never
    following a symlink, a directory whose path grows long moved up to ``top`` first (so no
    path reaches PATH_MAX), directories made writable to be emptied. Best effort: what
    cannot be removed stays; never raises."""
    top = os.fspath(top)
    stack: list[str] = [top]
    failed: set[str] = set()
    moved = 0
    while stack:
        here = stack[-1]
        try:
            os.chmod(here, stat.S_IRWXU)
            with os.scandir(here) as found:
                entries = list(found)
        except OSError:
            failed.add(stack.pop())
            continue
        below: list[str] = []
        for entry in entries:
            try:
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.path)
                    continue
                path = entry.path
                if path in failed:
                    continue
                if len(path) > _LONG_PATH:
                    moved += 1
                    path = os.path.join(top, f".oci-deep-{moved}")
                    os.rename(entry.path, path)
                below.append(path)
            except OSError:
                continue
        if below:
            stack.extend(below)
            continue
        try:
            os.rmdir(here)
        except OSError:
            failed.add(here)
        stack.pop()
