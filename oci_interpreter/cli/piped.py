"""Data piped to a command whose task (or script) comes from elsewhere: the program's stdin.

`cat data.csv | oci run "sum the second column"`: the task is the argument, so stdin is
data. It is read once (bounded), kept in a file the program reads as its standard input
(and, for `oci run`, by name in the working directory), and removed when the command ends.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oci_interpreter.cli.environment import Environment
from oci_interpreter.core.errors import UsageError
from oci_interpreter.core.sizes import format_decimal

MAX_PIPED_BYTES = 64 * 1024 * 1024
"""More than this is cut (and the command says so): a program's input, not a data lake."""


@dataclass(frozen=True)
class PipedData:
    path: Path
    size: int
    """Bytes kept."""
    cut: bool
    """More came than :data:`MAX_PIPED_BYTES`; the rest was dropped."""

    @property
    def binary(self) -> bool:
        """Not text: NUL bytes, or not UTF-8, in the first 4 KiB."""
        with self.path.open("rb") as fh:
            raw = fh.read(4096)
        if b"\0" in raw:
            return True
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start < len(raw) - 4  # a character cut at the 4 KiB edge is text
        return False

    def text(self, limit: int) -> str:
        """The data as text, at most ``limit`` characters (a marker says what was cut)."""
        with self.path.open("rb") as fh:
            raw = fh.read(limit * 4 + 4)
        text = raw.decode("utf-8", "replace")
        if len(text) > limit or self.size > len(raw):
            return text[:limit] + f"\n[... the rest not shown: {self.size:,} bytes in all]"
        return text

    def head(self, lines: int = 5, width: int = 200) -> str:
        with self.path.open("rb") as fh:
            raw = fh.read(4096)
        text = raw.decode("utf-8", "replace").splitlines()[:lines]
        return "\n".join(line[:width] for line in text)


@contextlib.contextmanager
def piped_data(directory: Path | None = None, *, name: str = "stdin.txt",
               env: Environment | None = None) -> Iterator[PipedData | None]:
    """Read stdin (when it is data: ``env.stdin_is_data``) into a new file -- in
    ``directory`` under a name no file there has (``stdin.txt``, ``stdin-1.txt``, ...),
    else a temporary file -- and remove it afterwards. None when nothing was piped."""
    env = env if env is not None else Environment()
    if not env.stdin_is_data:
        yield None
        return
    data = env.stdin.buffer.read(MAX_PIPED_BYTES + 1)
    if not data:
        yield None
        return
    cut = len(data) > MAX_PIPED_BYTES
    data = data[:MAX_PIPED_BYTES]
    if directory is not None:
        fd, path = _new_file(directory, name)
    else:
        fd, tmp = tempfile.mkstemp(prefix="oci-stdin-", suffix=".txt")
        path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield PipedData(path, len(data), cut)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


MAX_NAMES = 1000
_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
           | getattr(os, "O_CLOEXEC", 0))


def _new_file(directory: Path, name: str) -> tuple[int, Path]:
    """A new file ``name`` (``stdin.txt``, else ``stdin-1.txt``, ...) in ``directory``,
    created exclusively: any entry already there under a name (a file, a directory, a
    symlink, a dangling one a program left) makes the next name be tried; a link is never
    followed."""
    stem, dot, ext = name.partition(".")
    for n in range(MAX_NAMES):
        path = directory / (name if n == 0 else f"{stem}-{n}{dot}{ext}")
        if os.path.lexists(path):
            continue
        try:
            return os.open(path, _CREATE, 0o644), path
        except FileExistsError:  # appeared meanwhile (or a link: O_EXCL never follows)
            continue
        except OSError as exc:
            raise UsageError(f"cannot keep the piped data in {directory}: "
                             f"{exc.strerror or exc}",
                             "Check that the directory is writable, or use --cwd.") from None
    raise UsageError(f"{directory} already has {stem}.{ext} to {stem}-{MAX_NAMES - 1}.{ext}",
                     f"Remove old {stem}*.{ext} files there.")


def describe(piped: PipedData) -> str:
    return format_decimal(piped.size)
