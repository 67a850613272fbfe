"""oci_interpreter.core.sourcefile: reading a script and writing a repair back without losing data.

Everything here uses real files in tmp_path; the crash test SIGKILLs a real child process
in the middle of writes, and the git tests run the real git (skipped when it is missing).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oci_interpreter.core import sourcefile
from oci_interpreter.core.errors import OciError, UsageError
from oci_interpreter.core.git import git_status
from oci_interpreter.core.sourcefile import (
    SourceFile,
    read_source,
    unified_diff,
    write_back,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def _files(directory: Path) -> set[str]:
    """Names in ``directory``, less the OCI_HOME the autouse fixture puts in tmp_path."""
    return {p.name for p in directory.iterdir()} - {"oci-home"}


def _tmp_files(directory: Path) -> list[str]:
    return [name for name in _files(directory) if name.endswith(".oci-tmp")]


def _write(path: Path, data: bytes, mode: int = 0o644) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


# --- round trips ------------------------------------------------------------------------

ROUND_TRIPS = {
    "utf-8": (
        "# café\nprint('héllo')\nx = 1\n".encode(),
        "utf-8",
        "\n",
        False,
        True,
    ),
    "utf-8-bom": (
        b"\xef\xbb\xbf" + "print('naïve')\nx = 1\n".encode(),
        "utf-8-sig",
        "\n",
        True,
        True,
    ),
    "latin-1-cookie": (
        "# -*- coding: latin-1 -*-\ns = 'façade ñ ß'\nx = 1\n".encode("latin-1"),
        "iso-8859-1",
        "\n",
        False,
        True,
    ),
    "crlf": (b"import os\r\nprint(os.sep)\r\nx = 1\r\n", "utf-8", "\r\n", False, True),
    "cr-only": (b"import os\rprint(os.sep)\rx = 1\r", "utf-8", "\r", False, True),
    "no-trailing-newline": (b"import os\nprint(os.sep)\nx = 1", "utf-8", "\n", False, False),
}


@pytest.mark.parametrize("case", list(ROUND_TRIPS))
def test_round_trip_keeps_encoding_bom_newlines_and_ending(tmp_path: Path, case: str) -> None:
    raw, encoding, newline, bom, trailing = ROUND_TRIPS[case]
    path = _write(tmp_path / "script.py", raw)

    src = read_source(path)
    assert src.encoding == encoding
    assert src.newline == newline
    assert src.bom is bom
    assert src.trailing_newline is trailing
    assert src.size == len(raw)
    assert "\r" not in src.text
    assert src.path == path.absolute()
    # Unchanged text encodes to the very same bytes.
    assert src.encode(src.text) == raw

    new_text = src.text.replace("x = 1", "x = 2  # fixé")
    backup = write_back(src, new_text)

    fragment_codec = "utf-8" if encoding == "utf-8-sig" else encoding
    expected = raw.replace(b"x = 1", "x = 2  # fixé".encode(fragment_codec))
    assert path.read_bytes() == expected
    assert backup is not None
    assert backup.read_bytes() == raw
    again = read_source(path)
    assert (again.encoding, again.newline, again.bom, again.trailing_newline) == (
        encoding,
        newline,
        bom,
        trailing,
    )
    assert again.text == src.conform(new_text)


def test_new_text_newlines_are_normalised_to_the_files_style(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"a = 1\r\nb = 2\r\n")
    src = read_source(path)
    write_back(src, "a = 1\nb = 3\r\nc = 4\r", backup=False)
    assert path.read_bytes() == b"a = 1\r\nb = 3\r\nc = 4\r\n"


def test_trailing_newline_convention_is_the_originals(tmp_path: Path) -> None:
    with_nl = read_source(_write(tmp_path / "a.py", b"x = 1\n"))
    assert with_nl.encode("x = 2") == b"x = 2\n"
    assert with_nl.encode("x = 2\n") == b"x = 2\n"
    assert with_nl.encode("") == b""
    without = read_source(_write(tmp_path / "b.py", b"x = 1"))
    assert without.encode("x = 2\n") == b"x = 2"
    assert without.encode("x = 2") == b"x = 2"


def test_mixed_newlines_use_the_dominant_style(tmp_path: Path) -> None:
    src = read_source(_write(tmp_path / "m.py", b"a\r\nb\r\nc\nd\r\n"))
    assert src.newline == "\r\n"
    assert src.text == "a\nb\nc\nd\n"
    assert src.encode(src.text) == b"a\r\nb\r\nc\r\nd\r\n"


def test_leading_bom_in_new_text_is_not_doubled(tmp_path: Path) -> None:
    raw = b"\xef\xbb\xbfx = 1\n"
    src = read_source(_write(tmp_path / "b.py", raw))
    assert src.encode("\ufeffx = 1\n") == raw
    plain = read_source(_write(tmp_path / "p.py", b"x = 1\n"))
    assert plain.encode("\ufeffx = 1\n") == b"x = 1\n"


def test_encode_refuses_text_the_encoding_cannot_hold(tmp_path: Path) -> None:
    raw = "# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1")
    src = read_source(_write(tmp_path / "l.py", raw))
    with pytest.raises(UsageError, match=r"U\+2192.*iso-8859-1 cannot encode; nothing written"):
        src.encode(src.text + "# → arrow\n")
    with pytest.raises(UsageError, match="would not read back the same"):
        src.encode("s = 'é'\n")  # the coding line is gone: Python would read it as UTF-8
    # Without the cookie but pure ASCII it still reads back the same: allowed.
    assert src.encode("s = 'e'\n") == b"s = 'e'\n"
    with pytest.raises(UsageError, match="NUL"):
        src.encode("x = '\0'\n")


def test_coding_cookie_and_bom_conflict_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.py", b"\xef\xbb\xbf# coding: latin-1\nx = 1\n")
    with pytest.raises(UsageError, match="declares an encoding Python cannot use"):
        read_source(path)


def test_unknown_coding_cookie_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.py", b"# -*- coding: klingon -*-\nx = 1\n")
    with pytest.raises(UsageError, match=r"declares an encoding.*klingon"):
        read_source(path)


# --- mode and backups -------------------------------------------------------------------


def test_mode_is_preserved(tmp_path: Path) -> None:
    path = _write(tmp_path / "tool.py", b"#!/usr/bin/env python3\nprint(1)\n", 0o755)
    src = read_source(path)
    assert src.mode == 0o755
    backup = write_back(src, "#!/usr/bin/env python3\nprint(2)\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert backup is not None
    assert stat.S_IMODE(backup.stat().st_mode) == 0o755
    assert path.read_bytes() == b"#!/usr/bin/env python3\nprint(2)\n"


def test_private_mode_is_preserved(tmp_path: Path) -> None:
    path = _write(tmp_path / "secret.py", b"KEY = 1\n", 0o600)
    write_back(read_source(path), "KEY = 2\n", backup=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_backups_never_overwrite_each_other(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"v = 0\n")
    mtime_ns = 1_600_000_000_000_000_000
    os.utime(path, ns=(mtime_ns, mtime_ns))

    first = write_back(read_source(path), "v = 1\n")
    assert first == tmp_path / "s.py.orig"
    assert first.read_bytes() == b"v = 0\n"
    assert first.stat().st_mtime_ns == mtime_ns  # the backup keeps the original's times

    second = write_back(read_source(path), "v = 2\n")
    assert second == tmp_path / "s.py.orig.1"
    assert second.read_bytes() == b"v = 1\n"
    assert first.read_bytes() == b"v = 0\n"

    (tmp_path / "s.py.orig.2").write_bytes(b"someone else's\n")
    third = write_back(read_source(path), "v = 3\n")
    assert third == tmp_path / "s.py.orig.3"
    assert (tmp_path / "s.py.orig.2").read_bytes() == b"someone else's\n"
    assert path.read_bytes() == b"v = 3\n"
    assert not _tmp_files(tmp_path)


def test_no_backup_when_asked(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"v = 0\n")
    assert write_back(read_source(path), "v = 1\n", backup=False) is None
    assert _files(tmp_path) == {"s.py"}
    assert path.read_bytes() == b"v = 1\n"


def test_unchanged_text_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"v = 0\n")
    inode = path.stat().st_ino
    assert write_back(read_source(path), "v = 0") is None  # same after the ending rule
    assert _files(tmp_path) == {"s.py"}
    assert path.stat().st_ino == inode


# --- refusals ---------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.py: no such file"):
        read_source(tmp_path / "nope.py")
    with pytest.raises(UsageError, match="no such file"):
        read_source(tmp_path / "missing-dir" / "x.py")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "pkg.py").mkdir()
    with pytest.raises(UsageError, match=r"pkg\.py is a directory") as info:
        read_source(tmp_path / "pkg.py")
    assert "Python script" in str(info.value)


def test_symlink_is_refused_and_names_the_target(tmp_path: Path) -> None:
    target = _write(tmp_path / "real.py", b"x = 1\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    with pytest.raises(UsageError) as info:
        read_source(link)
    text = str(info.value)
    assert "is a symlink pointing to" in text
    assert str(target.resolve()) in text
    assert "Run it on the target instead" in text

    dangling = tmp_path / "dangling.py"
    dangling.symlink_to(tmp_path / "gone.py")
    with pytest.raises(UsageError, match="does not exist"):
        read_source(dangling)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no fifos here")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match=r"not a regular file \(it is a fifo\)"):
        read_source(fifo)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_device_is_refused() -> None:
    with pytest.raises(UsageError, match="character device"):
        read_source("/dev/null")


def test_binary_file_with_nul_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path / "data.py", b"x = 1\n\x00\x01\x02\xff")
    with pytest.raises(UsageError, match=r"binary file \(it contains NUL bytes\)"):
        read_source(path)


def test_undecodable_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.py", b"x = 1\ns = '\xff\xfe'\n")
    with pytest.raises(UsageError) as info:
        read_source(path)
    text = str(info.value)
    assert "not valid utf-8 text" in text
    assert "byte 0xff at offset 11" in text
    assert "coding" in text  # the hint says how to declare an encoding


def test_undecodable_first_line(tmp_path: Path) -> None:
    # tokenize.detect_encoding itself fails on this one ("invalid or missing encoding").
    path = _write(tmp_path / "bad.py", b"# \xff\xfe\nx = 1\n")
    with pytest.raises(UsageError, match="not valid utf-8 text"):
        read_source(path)


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "u16.py", "x = 1\n".encode("utf-16"))
    with pytest.raises(UsageError, match="binary file"):
        read_source(path)


def test_too_large(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.py", b"x = 1\n" * 1000)
    with pytest.raises(UsageError) as info:
        read_source(path, max_bytes=1024)
    text = str(info.value)
    assert "too large" in text
    assert "6,000 bytes" in text
    assert "maximum allowed is 1.0 KiB (1,024 bytes)" in text
    assert read_source(path, max_bytes=6000).size == 6000


def test_not_python(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.txt", b"just some text\n")
    with pytest.raises(UsageError) as info:
        read_source(path)
    text = str(info.value)
    assert "not a Python file" in text
    assert ".py" in text
    assert "shebang" in text
    sh = _write(tmp_path / "run", b"#!/bin/sh\necho hi\n")
    with pytest.raises(UsageError, match="not a Python file"):
        read_source(sh)


@pytest.mark.parametrize(
    "shebang",
    [b"#!/usr/bin/env python3", b"#!/usr/bin/python", b"#!/opt/py/bin/python3.12 -u"],
)
def test_python_shebang_without_extension_is_fine(tmp_path: Path, shebang: bytes) -> None:
    path = _write(tmp_path / "mytool", shebang + b"\nprint('hi')\n", 0o755)
    src = read_source(path)
    assert src.text.startswith("#!")
    write_back(src, src.text.replace("hi", "hello"), backup=False)
    assert path.read_bytes() == shebang + b"\nprint('hello')\n"


def test_upper_case_and_pyw_extensions(tmp_path: Path) -> None:
    assert read_source(_write(tmp_path / "A.PY", b"x = 1\n")).text == "x = 1\n"
    assert read_source(_write(tmp_path / "gui.pyw", b"x = 1\n")).text == "x = 1\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads everything")
def test_permission_denied_real(tmp_path: Path) -> None:
    path = _write(tmp_path / "locked.py", b"x = 1\n", 0o000)
    try:
        with pytest.raises(UsageError, match=r"locked\.py: permission denied"):
            read_source(path)
    finally:
        path.chmod(0o644)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "locked.py", b"x = 1\n")
    real_open = os.open

    def deny(p: object, *args: object, **kwargs: object) -> int:
        if Path(str(p)) == path:
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sourcefile.os, "open", deny)
    with pytest.raises(UsageError) as info:
        read_source(path)
    assert "locked.py: permission denied" in str(info.value)
    assert "permissions" in str(info.value)


def test_refusals_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "d.py").mkdir()
    with pytest.raises(UsageError) as info:
        read_source(tmp_path / "d.py")
    assert "\n" not in info.value.one_line()
    assert info.value.hint


# --- changed since read -----------------------------------------------------------------


def test_changed_since_read_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"x = 1\n")
    src = read_source(path)
    path.write_bytes(b"x = 1  # edited by the user meanwhile\n")
    with pytest.raises(UsageError, match=r"s\.py changed since oci read it; nothing written"):
        write_back(src, "x = 2\n")
    assert path.read_bytes() == b"x = 1  # edited by the user meanwhile\n"
    assert _files(tmp_path) == {"s.py"}


def test_same_size_change_is_detected(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"x = 1\n")
    src = read_source(path)
    st = path.stat()
    path.write_bytes(b"x = 9\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    with pytest.raises(UsageError, match="changed since oci read it"):
        write_back(src, "x = 2\n")
    assert path.read_bytes() == b"x = 9\n"


def test_replaced_by_symlink_since_read_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"x = 1\n")
    src = read_source(path)
    elsewhere = _write(tmp_path / "elsewhere.py", b"x = 1\n")
    path.unlink()
    path.symlink_to(elsewhere)
    with pytest.raises(UsageError, match="now a symlink"):
        write_back(src, "x = 2\n")
    assert elsewhere.read_bytes() == b"x = 1\n"
    assert path.is_symlink()


def test_deleted_since_read_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.py", b"x = 1\n")
    src = read_source(path)
    path.unlink()
    with pytest.raises(UsageError, match="no longer exists; nothing written"):
        write_back(src, "x = 2\n")
    assert _files(tmp_path) == set()


# --- failures while writing -------------------------------------------------------------


def test_failed_replace_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "s.py", b"x = 1\n", 0o640)
    src = read_source(path)

    def broken_replace(a: object, b: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sourcefile.os, "replace", broken_replace)
    with pytest.raises(OciError, match="nothing written") as info:
        write_back(src, "x = 2\n")
    assert isinstance(info.value.__cause__, OSError)
    assert path.read_bytes() == b"x = 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _files(tmp_path) == {"s.py"}  # no temp file, and no backup of an unwritten change


def test_failed_fsync_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "s.py", b"x = 1\n")
    src = read_source(path)

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sourcefile.os, "fsync", broken_fsync)
    with pytest.raises(OciError, match="No space left on device; nothing written"):
        write_back(src, "x = 2\n")
    assert path.read_bytes() == b"x = 1\n"
    assert _files(tmp_path) == {"s.py"}


def test_interrupt_while_writing_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "s.py", b"x = 1\n")
    src = read_source(path)
    real_replace = os.replace

    def interrupted(a: object, b: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sourcefile.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_back(src, "x = 2\n")
    monkeypatch.setattr(sourcefile.os, "replace", real_replace)
    assert path.read_bytes() == b"x = 1\n"
    assert _files(tmp_path) == {"s.py"}


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes everywhere"
)
def test_read_only_directory(tmp_path: Path) -> None:
    d = tmp_path / "ro"
    d.mkdir()
    path = _write(d / "s.py", b"x = 1\n")
    src = read_source(path)
    d.chmod(0o555)
    try:
        with pytest.raises(UsageError, match="permission denied; nothing written"):
            write_back(src, "x = 2\n")
    finally:
        d.chmod(0o755)
    assert path.read_bytes() == b"x = 1\n"
    assert _files(d) == {"s.py"}


# --- crash safety -----------------------------------------------------------------------

_CHILD = """
import sys
from pathlib import Path
from oci_interpreter.core.sourcefile import read_source, write_back

target, a_file, b_file = (Path(arg) for arg in sys.argv[1:4])
a, b = a_file.read_text(), b_file.read_text()
print("ready", flush=True)
while True:
    src = read_source(target)
    write_back(src, b if src.text == a else a, backup=False)
    print("wrote", flush=True)
"""


def _big_text(n: int, fmt: str) -> str:
    return "".join(fmt.format(i=i) for i in range(n))


@pytest.mark.spawns
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_writes_never_leaves_a_partial_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    aux = tmp_path / "aux"
    aux.mkdir()
    a_text = _big_text(200_000, "value_{i} = {i}\n")  # ~3.5 MB
    b_text = _big_text(300_000, "value_{i} = {i} * 2  # fixed\n")  # ~8.5 MB
    (aux / "a.txt").write_text(a_text)
    (aux / "b.txt").write_text(b_text)
    (aux / "child.py").write_text(_CHILD)
    a_bytes, b_bytes = a_text.encode(), b_text.encode()
    target = _write(work / "target.py", a_bytes, 0o755)
    leftover = re.compile(r"^\.target\.py\..+\.oci-tmp$")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    writes = kills_mid_write = 0
    for _ in range(30):
        proc = subprocess.Popen(
            [
                sys.executable,
                str(aux / "child.py"),
                str(target),
                str(aux / "a.txt"),
                str(aux / "b.txt"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line != b"ready\n":
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"child did not start (seed {seed}): {err.decode(errors='replace')}")
        time.sleep(rng.uniform(0.0, 0.4))
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        assert alive, f"child died on its own (seed {seed}): {err.decode(errors='replace')}"
        writes += out.count(b"wrote")

        data = target.read_bytes()
        assert data in (a_bytes, b_bytes), (
            f"target is neither old nor new after SIGKILL (seed {seed}, {len(data)} bytes)"
        )
        assert stat.S_IMODE(target.stat().st_mode) == 0o755
        others = _files(work) - {"target.py"}
        assert all(leftover.match(name) for name in others), (seed, others)
        if others:
            kills_mid_write += 1
        for name in others:
            (work / name).unlink()
    assert writes > 0, f"the child never completed a write (seed {seed})"
    print(f"seed {seed}: {writes} writes, {kills_mid_write} kills left a temp file")


# --- diff -------------------------------------------------------------------------------


def test_unified_diff(tmp_path: Path) -> None:
    src = read_source(_write(tmp_path / "s.py", b"a = 1\r\nb = 2\r\nc = 3\r\n"))
    diff = unified_diff(src, "a = 1\nb = 20\nc = 3\n")
    assert diff.splitlines() == [
        "--- a/s.py",
        "+++ b/s.py",
        "@@ -1,3 +1,3 @@",
        " a = 1",
        "-b = 2",
        "+b = 20",
        " c = 3",
    ]
    assert unified_diff(src, src.text) == ""
    assert unified_diff(src, "a = 1\nb = 2\nc = 3") == ""  # the ending rule adds the newline


def test_unified_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    src = read_source(_write(tmp_path / "s.py", b"a = 1\nb = 2"))
    diff = unified_diff(src, "a = 1\nb = 3", context=0)
    assert diff == (
        "--- a/s.py\n+++ b/s.py\n@@ -2 +2 @@\n"
        "-b = 2\n\\ No newline at end of file\n"
        "+b = 3\n\\ No newline at end of file\n"
    )


def test_unified_diff_splits_only_at_newlines(tmp_path: Path) -> None:
    src = read_source(_write(tmp_path / "s.py", "s = 'a\u2028b\x0cc'\nx = 1\n".encode()))
    diff = unified_diff(src, "s = 'a\u2028b\x0cc'\nx = 2\n", context=5)
    assert " s = 'a\u2028b\x0cc'\n" in diff


def test_sourcefile_is_frozen(tmp_path: Path) -> None:
    src = read_source(_write(tmp_path / "s.py", b"x = 1\n"))
    assert isinstance(src, SourceFile)
    with pytest.raises(AttributeError):
        src.text = "y"  # type: ignore[misc]


# --- git --------------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=oci",
            "-c",
            "user.email=oci@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return tmp_path


@pytest.mark.spawns
@needs_git
def test_git_status_states(git_env: Path) -> None:
    repo = git_env / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    path = _write(repo / "s.py", b"x = 1\n")
    assert git_status(path) == "untracked"
    _git(repo, "add", "s.py")
    assert git_status(path) == "staged"
    _git(repo, "commit", "-q", "-m", "add s.py")
    assert git_status(path) is None  # clean

    write_back(read_source(path), "x = 2\n", backup=False)
    assert git_status(path) == "modified"
    _git(repo, "add", "s.py")
    assert git_status(path) == "staged"
    path.write_bytes(b"x = 3\n")
    assert git_status(path) == "modified"  # staged and changed again: the working copy wins

    sub = repo / "new" / "deeper"
    sub.mkdir(parents=True)
    inner = _write(sub / "t.py", b"y = 1\n")
    assert git_status(inner) == "untracked"  # inside a wholly untracked directory


@pytest.mark.spawns
@needs_git
def test_git_status_outside_a_repo(git_env: Path) -> None:
    plain = git_env / "plain"
    plain.mkdir()
    assert git_status(_write(plain / "s.py", b"x = 1\n")) is None


def test_git_status_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert git_status(_write(tmp_path / "s.py", b"x = 1\n")) is None


@pytest.mark.spawns
def test_git_status_never_raises(tmp_path: Path) -> None:
    assert git_status(tmp_path / "missing-dir" / "s.py") is None
