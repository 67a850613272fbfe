"""Reading a Python script, and writing a repaired version back without losing data.

``read_source`` reads a script exactly as it is on disk: its encoding (a UTF-8 BOM or a
PEP 263 coding cookie), its dominant newline style, whether it ends with a newline, its
permission bits and the sha256 of its bytes. It refuses anything that is not a regular,
readable, Python text file: symlinks, directories, devices and fifos, binary files, files
over a size limit.

``write_back`` writes new text in the original's style and never leaves the file half
written:

1. the new bytes are produced first (and checked to read back as the same text);
2. the file is read again and must still be the regular file with the same sha256;
3. a backup ``NAME.orig`` (or ``NAME.orig.1``, ...; never overwriting one) is written to a
   temporary file and hard-linked into place, so it is complete or absent;
4. the new bytes go to a temporary file in the same directory (``.NAME.XXXX.oci-tmp``),
   flushed, fsynced and given the original's mode, and ``os.replace`` puts it over the
   file in one step; the directory is fsynced last.

A crash at any moment leaves the file either exactly as it was or exactly as new, plus at
worst a stray ``.NAME.*.oci-tmp``. ``os.replace`` makes a new inode: other hard links to
the file keep the old content, and extended attributes and ACLs are not carried over.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import errno
import hashlib
import os
import re
import stat
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oci_interpreter.core import atomic
from oci_interpreter.core.errors import OciError, UsageError
from oci_interpreter.core.sizes import format_size

PYTHON_SUFFIXES = (".py", ".pyw")
TMP_SUFFIX = atomic.TMP_SUFFIX
BACKUP_SUFFIX = ".orig"
MAX_BACKUPS = 1000

_SHEBANG_PYTHON = re.compile(rb"^#![^\r\n]*\b(?:python|pypy)", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n|\r")
_RAW_NEWLINE = re.compile(rb"\r\n|\r|\n")
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_ENCODING_HINT = (
    "Save it as UTF-8, or declare its encoding with a '# -*- coding: NAME -*-' line (PEP 263)."
)


@dataclass(frozen=True)
class SourceFile:
    """A Python script as read from disk, with everything needed to write it back alike."""

    path: Path
    """Absolute (not resolved: never a symlink, ``read_source`` refuses those)."""
    text: str
    """Decoded, without a BOM, newlines normalised to ``"\\n"``."""
    encoding: str
    """As ``tokenize.detect_encoding`` names it: ``utf-8``, ``utf-8-sig`` (BOM), ``iso-8859-1``."""
    newline: str
    """The dominant newline of the file: ``"\\n"``, ``"\\r\\n"`` or ``"\\r"``."""
    bom: bool
    mode: int
    """Permission bits (``stat.S_IMODE``)."""
    sha256: str
    """Of the raw bytes."""
    size: int
    trailing_newline: bool

    def conform(self, new_text: str) -> str:
        """``new_text`` as it will be written, in ``"\\n"`` form.

        Newlines are normalised to ``"\\n"``, a leading U+FEFF is dropped (the BOM is the
        file's, kept from the original) and the original's trailing-newline convention is
        applied: one ``"\\n"`` is added or removed at the end. Empty text stays empty.
        """
        text = _normalise(new_text.removeprefix("\ufeff"))
        if not text:
            return text
        if self.trailing_newline and not text.endswith("\n"):
            text += "\n"
        elif not self.trailing_newline and text.endswith("\n"):
            text = text[:-1]
        return text

    def encode(self, new_text: str) -> bytes:
        """``new_text`` as bytes in this file's encoding, BOM, newline and ending style.

        Raises UsageError when the text cannot be saved so that Python reads it back the
        same: a character the encoding lacks, or a coding line that was removed or
        changed so that it no longer matches the file's encoding.
        """
        text = self.conform(new_text)
        if "\0" in text:
            raise UsageError(
                f"the new text for {self.path.name} contains NUL characters; nothing written",
                "Python source cannot contain NUL; ask for the fix again.",
            )
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        try:
            data = text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            char = exc.object[exc.start]
            raise UsageError(
                f"the new text for {self.path.name} has a character ({char!r}, "
                f"U+{ord(char):04X}) that {self.encoding} cannot encode; nothing written",
                "Keep the script's characters within its declared encoding, "
                "or convert the file to UTF-8 first.",
            ) from None
        try:
            back, _ = _decode(data, self.path.name)
        except UsageError:
            back = None
        if back is None or _normalise(back) != _normalise(text):
            raise UsageError(
                f"the new text for {self.path.name} would not read back the same in "
                f"{self.encoding} (its coding line was removed or changed); nothing written",
                f"Keep the coding line that declares {self.encoding}.",
            )
        return data


def read_source(path: str | Path, *, max_bytes: int | None = None) -> SourceFile:
    """Read a Python script for editing; UsageError (one line) for anything unsuitable."""
    shown = str(path)
    p = Path(path).absolute()
    try:
        lst = os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"{shown}: no such file", "Check the path.") from None
    except PermissionError:
        raise _permission_denied(shown) from None
    if stat.S_ISLNK(lst.st_mode):
        raise _symlink_refused(shown, p)
    if stat.S_ISDIR(lst.st_mode):
        raise UsageError(f"{shown} is a directory", "Give the path of a Python script.")
    if not stat.S_ISREG(lst.st_mode):
        raise UsageError(
            f"{shown} is not a regular file (it is a {_kind(lst.st_mode)})",
            "Give the path of a Python script.",
        )
    try:
        raw, st = _read_regular(p, max_bytes)
    except PermissionError:
        raise _permission_denied(shown) from None
    except FileNotFoundError:
        raise UsageError(f"{shown}: no such file", "Check the path.") from None
    except _NotRegular as exc:
        raise UsageError(
            f"{shown} changed while oci was reading it (it is now a {exc.kind})",
            "Run oci again on a regular file.",
        ) from None
    except _TooLarge as exc:
        raise _too_large(shown, exc.size, exc.limit) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a symlink after lstat
            raise _symlink_refused(shown, p) from None
        raise UsageError(f"cannot read {shown}: {exc.strerror or exc}", "Check the path.") from None

    if not _looks_like_python(p, raw):
        raise UsageError(
            f"{shown} is not a Python file (no .py/.pyw extension and no python shebang line)",
            "oci edits Python scripts only; rename it to NAME.py or start it with "
            "'#!/usr/bin/env python3'.",
        )
    if b"\0" in raw:
        raise UsageError(
            f"{shown} looks like a binary file (it contains NUL bytes)",
            "oci edits Python source text only.",
        )
    decoded, encoding = _decode(raw, shown)
    bom = raw.startswith(codecs.BOM_UTF8)
    text = _normalise(decoded)
    return SourceFile(
        path=p,
        text=text,
        encoding=encoding,
        newline=_dominant_newline(decoded),
        bom=bom,
        mode=stat.S_IMODE(st.st_mode),
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        trailing_newline=text.endswith("\n"),
    )


def unified_diff(old: SourceFile, new_text: str, *, context: int = 3,
                 label: str | None = None) -> str:
    """A unified diff (``--- a/LABEL`` ``+++ b/LABEL``; the file's name by default, the
    path as the user gave it where the caller knows it, so ``patch -p1`` applies it) of the
    file and the text ``write_back`` would write for ``new_text``; ``""`` when they are the
    same. A last line without a newline is marked ``\\ No newline at end of file``, as git
    does. The file's lines end as the file's do (``\\r\\n`` in a CRLF file)."""
    name = label or old.path.name
    new = old.conform(new_text)
    if new == old.text:
        return ""
    out: list[str] = []
    for index, line in enumerate(difflib.unified_diff(
        _split_lines(old.text), _split_lines(new), _quote_path(f"a/{name}"),
        _quote_path(f"b/{name}"), n=context
    )):
        # The file's lines keep its own line ends (CRLF), so `git apply` and `patch` match
        # them; the headers and hunk lines end in "\n", as git writes them.
        body = index >= 2 and not line.startswith("@@")
        if line.endswith("\n"):
            out.append(line[:-1] + old.newline if body else line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


_NEEDS_QUOTING = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029'
                            '\u202a-\u202e\u2066-\u2069\ud800-\udfff]')
_C_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\t": "\\t",
              "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r"}


def _quote_path(name: str) -> str:
    """A path for a diff header, quoted as git quotes one (``"a/x\\ny.py"``: C escapes,
    other bytes in octal) when it holds a line break, a control character, a bidirectional
    override, a quote or a backslash, so a file name cannot add lines to the diff."""
    if not _NEEDS_QUOTING.search(name):
        return name

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in _C_ESCAPES:
            return _C_ESCAPES[char]
        return "".join(f"\\{byte:03o}" for byte in char.encode("utf-8", "surrogateescape"))

    try:
        return '"' + _NEEDS_QUOTING.sub(escape, name) + '"'
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        return '"' + _NEEDS_QUOTING.sub(lambda m: f"\\u{ord(m.group()):04x}", name) + '"'


def write_back(src: SourceFile, new_text: str, *, backup: bool = True) -> Path | None:
    """Write ``new_text`` over ``src.path`` atomically, in the original's style.

    Refuses (UsageError, nothing written) when the file changed since it was read, or is
    no longer a regular file. With ``backup``, the original bytes are kept first as
    ``NAME.orig`` (``NAME.orig.1``, ... when that exists). Returns the backup's path, or
    None: no backup asked for, or the new bytes equal the file's (then nothing is
    written at all). A failure before the new file is in place removes the temporary
    file and the backup made for this call, and leaves the file as it was.
    """
    data = src.encode(new_text)
    path = src.path
    current, st = _recheck(src)
    if data == current:
        return None
    mode = stat.S_IMODE(st.st_mode)
    if not mode & stat.S_IWUSR:  # root could write it anyway: the mode says not to
        raise UsageError(
            f"{path} is read-only (mode {mode:o}); nothing written",
            f"Make it writable (chmod u+w {path}) and run again, or take the diff (--diff).")
    backup_path: Path | None = None
    tmp: Path | None = None
    replaced = False
    try:
        if backup:
            backup_path = _write_backup(path, current, st)
        tmp = _write_temp(path, data, mode, st)
        _recheck(src)  # once more, just before the switch
        os.replace(tmp, path)
        replaced = True
        tmp = None
        atomic.fsync_dir(path.parent)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if backup_path is not None and not replaced:
            with contextlib.suppress(OSError):
                backup_path.unlink()
            backup_path = None
        if isinstance(exc, PermissionError) and not replaced:
            raise UsageError(
                f"cannot write {path}: permission denied; nothing written",
                f"oci needs write access to {path.parent} to replace the file safely.",
            ) from exc
        if isinstance(exc, OSError) and not replaced:
            raise OciError(
                f"cannot write {path}: {exc.strerror or exc}; nothing written",
                "Check the disk and the directory's permissions, then try again.",
            ) from exc
        raise
    return backup_path


# --- reading ----------------------------------------------------------------------------


class _NotRegular(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _TooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size)
        self.size = size
        self.limit = limit


def _read_regular(path: Path, max_bytes: int | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of ``path``, opened without following a symlink and checked to be a
    regular file on the open descriptor (no race with a swap after ``lstat``)."""
    fd = os.open(path, _READ_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _NotRegular(_kind(st.st_mode))
        if max_bytes is not None and st.st_size > max_bytes:
            raise _TooLarge(st.st_size, max_bytes)
        limit = None if max_bytes is None else max_bytes + 1
        chunks: list[bytes] = []
        total = 0
        while limit is None or total < limit:
            want = 1 << 20 if limit is None else min(1 << 20, limit - total)
            block = os.read(fd, want)
            if not block:
                break
            chunks.append(block)
            total += len(block)
        if max_bytes is not None and total > max_bytes:
            raise _TooLarge(total, max_bytes)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def _first_lines(raw: bytes) -> Iterator[bytes]:
    """The first two lines of ``raw``, split at ``\\n``, ``\\r\\n`` or a lone ``\\r``."""
    pos = 0
    for _ in range(2):
        if pos >= len(raw):
            return
        match = _RAW_NEWLINE.search(raw, pos)
        end = match.end() if match else len(raw)
        yield raw[pos:end]
        pos = end


def _decode(raw: bytes, shown: str) -> tuple[str, str]:
    """``raw`` decoded per its BOM or PEP 263 cookie: (text without BOM, encoding)."""
    lines = _first_lines(raw)
    try:
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    except SyntaxError as exc:
        msg = exc.msg or str(exc)
        if msg.startswith("unknown encoding") or msg.startswith("encoding problem"):
            raise UsageError(
                f"{shown} declares an encoding Python cannot use ({msg})",
                "Fix its '# -*- coding: NAME -*-' line.",
            ) from None
        raise _undecodable(shown, raw, "utf-8") from None
    try:
        if "#\n".encode(encoding).removeprefix(codecs.BOM_UTF8) != b"#\n":
            raise LookupError(encoding)  # not ASCII-compatible (utf-16, ...): not source
        return raw.decode(encoding), encoding
    except UnicodeDecodeError:
        raise _undecodable(shown, raw, encoding) from None
    except LookupError:
        raise UsageError(
            f"{shown} declares an encoding Python cannot read source in ({encoding})",
            "Fix its '# -*- coding: NAME -*-' line.",
        ) from None


def _undecodable(shown: str, raw: bytes, encoding: str) -> UsageError:
    where = ""
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        where = f" (byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded)"
    except LookupError:
        pass
    name = "utf-8" if encoding == "utf-8-sig" else encoding
    return UsageError(
        f"{shown} looks like a binary file: it is not valid {name} text{where}", _ENCODING_HINT
    )


def not_python(path: Path, head: bytes) -> str | None:
    """Why ``path`` (whose first bytes are ``head``) is not a Python script to run, or
    None: `oci exec` runs only Python (a .py/.pyw name or a python shebang, no NUL)."""
    if not _looks_like_python(path, head):
        if head.startswith(b"#!"):
            line = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip()[:60]
            return f"{path} is a script for another interpreter ({line})"
        return f"{path} is not a Python file (no .py/.pyw extension and no python shebang line)"
    if b"\0" in head:
        return f"{path} looks like a binary file (it contains NUL bytes)"
    return None


def _looks_like_python(path: Path, raw: bytes) -> bool:
    if path.suffix.lower() in PYTHON_SUFFIXES:
        return True
    return bool(_SHEBANG_PYTHON.match(raw.removeprefix(codecs.BOM_UTF8)))


def _normalise(text: str) -> str:
    return _NEWLINES.sub("\n", text)


def _dominant_newline(text: str) -> str:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    # On a tie the earlier wins: "\n", then "\r\n", then "\r".
    return max((lf, 2, "\n"), (crlf, 1, "\r\n"), (cr, 0, "\r"))[2]


def _split_lines(text: str) -> list[str]:
    """Lines of ``"\\n"``-normalised text, ends kept; only ``"\\n"`` ends a line (unlike
    ``str.splitlines``, which also splits at form feeds and U+2028)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def _symlink_refused(shown: str, path: Path) -> UsageError:
    try:
        target = Path(os.path.realpath(path))
    except (OSError, ValueError):
        target = None
    if target is None:
        where = "elsewhere"
    elif target.exists():
        where = f"to {target}"
    else:
        where = f"to {target} (which does not exist)"
    return UsageError(
        f"{shown} is a symlink pointing {where}; oci does not write through symlinks",
        f"Run it on the target instead: {target if target is not None else 'the real file'}.",
    )


def _permission_denied(shown: str) -> UsageError:
    return UsageError(
        f"{shown}: permission denied", "Check the file's permissions (oci needs to read it)."
    )


def _too_large(shown: str, size: int, limit: int) -> UsageError:
    return UsageError(
        f"{shown} is too large: {format_size(size)} ({size:,} bytes), "
        f"the maximum allowed is {format_size(limit)} ({limit:,} bytes)",
        "Split the script into smaller files, or edit it by hand.",
    )


# --- writing ----------------------------------------------------------------------------


def _recheck(src: SourceFile) -> tuple[bytes, os.stat_result]:
    """The file's bytes now, if it is still the regular file ``src`` was read from."""
    path = src.path
    try:
        lst = os.lstat(path)
        if stat.S_ISLNK(lst.st_mode):
            raise _NotRegular("symlink")
        raw, st = _read_regular(path)
    except FileNotFoundError:
        raise UsageError(
            f"{path} no longer exists; nothing written", "Run oci again if you still want it."
        ) from None
    except _NotRegular as exc:
        raise UsageError(
            f"{path} is now a {exc.kind}, not the regular file oci read; nothing written",
            "oci does not write through symlinks or into special files.",
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink swapped in after lstat
            raise UsageError(
                f"{path} is now a symlink, not the regular file oci read; nothing written",
                "oci does not write through symlinks.",
            ) from None
        if isinstance(exc, PermissionError):
            raise UsageError(
                f"cannot read {path} again to check it: permission denied; nothing written",
                "Check the file's permissions.",
            ) from None
        raise
    if hashlib.sha256(raw).hexdigest() != src.sha256:
        raise UsageError(
            f"{path} changed since oci read it; nothing written",
            "Run oci again on the current version.",
        )
    return raw, st


def _write_temp(path: Path, data: bytes, mode: int, st: os.stat_result) -> Path:
    """``data`` in a new ``.NAME.XXXX.oci-tmp`` beside ``path``: fsynced, with ``mode`` and
    (where allowed) the original's owner and group."""
    with atomic.temp_beside(path, mode=mode, like=st) as (fh, tmp):
        fh.write(data)
    return tmp


def _backup_names(path: Path) -> Iterator[Path]:
    yield path.with_name(path.name + BACKUP_SUFFIX)
    for n in range(1, MAX_BACKUPS):
        yield path.with_name(f"{path.name}{BACKUP_SUFFIX}.{n}")


def _write_backup(path: Path, data: bytes, st: os.stat_result) -> Path:
    """The original bytes as the first free ``NAME.orig[.N]``, complete or not at all:
    written to a temporary file, then hard-linked to a name that must not exist yet."""
    tmp = _write_temp(path, data, stat.S_IMODE(st.st_mode), st)
    try:
        with contextlib.suppress(OSError):
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        use_link = True
        for candidate in _backup_names(path):
            if os.path.lexists(candidate):
                continue
            try:
                if use_link:
                    try:
                        os.link(tmp, candidate)
                    except FileExistsError:
                        raise
                    except OSError:
                        # No hard links here (some network and FAT file systems): create
                        # the name exclusively and copy. Not atomic, but X is untouched.
                        use_link = False
                if not use_link:
                    _write_exclusive(candidate, data, st)
            except FileExistsError:
                continue
            atomic.fsync_dir(path.parent)
            return candidate
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    raise UsageError(
        f"{path} has {MAX_BACKUPS} backups already; nothing written",
        f"Remove old {path.name}{BACKUP_SUFFIX}.* files, or write without a backup.",
    )


def _write_exclusive(candidate: Path, data: bytes, st: os.stat_result) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(candidate, flags | getattr(os, "O_BINARY", 0), stat.S_IMODE(st.st_mode))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            candidate.unlink()
        raise


