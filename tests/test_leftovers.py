"""Files a run leaves behind do not crash a later oci command (issue 34, item 16): a FIFO,
a socket, a 1,200-deep directory and symlinks in the directory `oci fix --test`/`-m` copy;
a dangling `stdin.txt` symlink where `cat x | oci run` keeps the piped data; a file name
that is not UTF-8 in `--json` output."""

from __future__ import annotations

import io
import json
import os
import random
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_interpreter.agent.fixrun import _copy_tree
from oci_interpreter.cli.main import main_with_status
from oci_interpreter.cli.piped import piped_data
from oci_interpreter.core.errors import UsageError
from oci_interpreter.core.trees import remove_tree

DEPTH = 1200


@pytest.fixture(autouse=True)
def _remove_deep_trees(tmp_path: Path) -> Iterator[None]:
    """pytest removes old temporary directories with shutil.rmtree, which fails on the
    trees these tests make: they go at the end of each test."""
    yield
    remove_tree(tmp_path)


def deep(root: Path, depth: int = DEPTH, name: str = "d") -> Path:
    """``root/d/d/.../d`` (``depth`` levels), made one level at a time (os.makedirs
    recurses)."""
    here = root
    for _ in range(depth):
        here = here / name
        here.mkdir()
    return here


def leave_behind(work: Path) -> None:
    """What a program can leave in a directory."""
    (work / "a.txt").write_text("alpha\n")
    os.chmod(work / "a.txt", 0o640)
    os.utime(work / "a.txt", ns=(1_000_000_000, 1_000_000_000))
    (work / "sub").mkdir()
    (work / "sub" / "b.txt").write_text("beta\n")
    os.mkfifo(work / "pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(work / "sock"))
    server.close()
    os.symlink("/etc/hostname", work / "out")  # outside the tree: copied as a link
    os.symlink("loop", work / "loop")
    os.symlink("nowhere", work / "dangling")
    os.symlink("sub", work / "linked-dir")
    (deep(work) / "bottom.txt").write_text("deep\n")
    (work / ".git").mkdir()
    (work / ".git" / "config").write_text("[core]\n")


# ------------------------------------------------------- the copy for --test, -m --

def test_the_copy_leaves_out_fifos_and_sockets_keeps_links_and_goes_deep(
        tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    leave_behind(work)
    dest = tmp_path / "copy"
    started = time.monotonic()
    _copy_tree(work, dest)
    assert time.monotonic() - started < 30
    assert (dest / "a.txt").read_text() == "alpha\n"
    assert stat.S_IMODE((dest / "a.txt").stat().st_mode) == 0o640
    assert (dest / "a.txt").stat().st_mtime_ns == 1_000_000_000
    assert (dest / "sub" / "b.txt").read_text() == "beta\n"
    assert not os.path.lexists(dest / "pipe") and not os.path.lexists(dest / "sock")
    for name, target in (("out", "/etc/hostname"), ("loop", "loop"), ("dangling", "nowhere"),
                         ("linked-dir", "sub")):
        assert (dest / name).is_symlink() and os.readlink(dest / name) == target
    bottom = dest.joinpath(*["d"] * DEPTH, "bottom.txt")
    assert bottom.read_text() == "deep\n"
    assert not (dest / ".git").exists()
    remove_tree(str(dest))
    assert not os.path.lexists(dest)


def test_the_copy_s_caps_are_one_line_errors(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.agent import fixrun as fix

    work = tmp_path / "work"
    work.mkdir()
    for n in range(20):
        (work / f"f{n}").write_bytes(b"x" * 100)
    monkeypatch.setattr(fix, "MAX_COPY_BYTES", 1000)
    with pytest.raises(UsageError, match="more than 0 MiB"):
        _copy_tree(work, tmp_path / "copy1")
    monkeypatch.setattr(fix, "MAX_COPY_BYTES", 10**9)
    monkeypatch.setattr(fix, "MAX_COPY_ENTRIES", 10)
    with pytest.raises(UsageError, match="more than 10 files"):
        _copy_tree(work, tmp_path / "copy2")


def test_a_tree_deeper_than_a_path_can_name_is_a_one_line_error(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # Deeper than PATH_MAX (4096): made through directory descriptors.
    fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(1500):
            os.mkdir("ddd", dir_fd=fd)
            child = os.open("ddd", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
    with pytest.raises(UsageError) as info:
        _copy_tree(work, tmp_path / "copy")
    assert "\n" not in info.value.one_line() and "cannot copy" in info.value.one_line()
    remove_tree(str(work))  # however deep: gone
    assert not os.path.lexists(work)


LITTER = ("import os\nfd = os.open('.', os.O_RDONLY)\nfor _ in range(3000):\n"
          "    os.mkdir('x', dir_fd=fd)\n"
          "    new = os.open('x', os.O_RDONLY, dir_fd=fd)\n    os.close(fd)\n"
          "    fd = new\n")


def fix_in(work: Path, tmp_path: Path, how: str, litter: str = "") -> int:
    (work / "mathx.py").write_text("def add(a, b):\n    return a - b\n")
    (work / "check_mathx.py").write_text("from mathx import add\nassert add(2, 3) == 5\n")
    fixed = f"```python\n{litter}def add(a, b):\n    return a + b\n```"
    replies = [fixed]
    args = ["--test", f"{sys.executable} check_mathx.py", "--diff"]
    if how == "-m":  # --yes accepts the check (and writes the fix)
        replies = ["```python\nfrom mathx import add\nassert add(2, 3) == 5\n```", fixed]
        args = ["-m", "add(2, 3) should be 5", "--yes"]
    model = tmp_path / f"replies-{random.randrange(10**9)}.json"
    model.write_text(json.dumps(replies))
    return main_with_status(["fix", "mathx.py", *args, "--candidates", "1",
                             "--model", f"fake:{model}"])


@pytest.mark.spawns
@pytest.mark.parametrize("how", ["--test", "-m"])
def test_oci_fix_with_leftovers_in_the_directory(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 how: str) -> None:
    """A FIFO, a socket, symlinks and a 1,200-deep directory where `oci fix --test` (or
    `-m`) copies the directory."""
    work = tmp_path / "work"
    work.mkdir()
    leave_behind(work)
    monkeypatch.chdir(work)
    code = fix_in(work, tmp_path, how)
    _out, err = capsys.readouterr()
    assert code == 0, err
    assert "internal error" not in err
    assert not list(Path(tempfile.gettempdir()).glob("oci-fix-*/work")), \
        "the copy was not removed"
    assert os.path.lexists(work / "pipe") and os.path.lexists(work / "sock")


@pytest.mark.spawns
@pytest.mark.parametrize("how", ["--test", "-m"])
def test_a_candidate_s_3000_deep_litter_in_the_copy(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    how: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code = fix_in(work, tmp_path, how, LITTER)
    _out, err = capsys.readouterr()
    assert code == 0, err
    assert not list(Path(tempfile.gettempdir()).glob("oci-fix-*/work")), \
        "the copy was not removed"


def test_the_scratch_copy_is_removed_however_deep(tmp_path: Path) -> None:
    from oci_interpreter.agent.fixrun import _scratch

    with _scratch() as tmp:
        fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
        for _ in range(3000):  # deeper than PATH_MAX, as a program can make it
            os.mkdir("x", dir_fd=fd)
            child = os.open("x", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(fd)
        os.symlink(tmp_path, os.path.join(tmp, "out"))  # never followed
        os.chmod(os.path.join(tmp, "x"), 0o500)  # and a read-only directory
    assert not os.path.lexists(tmp)
    assert tmp_path.is_dir()


# ------------------------------------------------------------- piped data, stdin.txt --

@pytest.fixture
def piped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    handle = open(data)  # noqa: SIM115 - closed at teardown
    monkeypatch.setattr(sys, "stdin", handle)
    yield data
    handle.close()


def test_piped_data_skips_any_existing_name_and_follows_no_link(tmp_path: Path,
                                                                piped: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    os.symlink("nowhere", work / "stdin.txt")  # dangling
    os.symlink(victim, work / "stdin-1.txt")  # to a file of the user's
    (work / "stdin-2.txt").mkdir()
    with piped_data(work) as kept:
        assert kept is not None
        assert kept.path == work / "stdin-3.txt"
        assert kept.path.read_text() == "a,b\n1,2\n"
    assert not os.path.lexists(work / "stdin-3.txt")
    assert os.readlink(work / "stdin.txt") == "nowhere"
    assert victim.read_text() == "keep me\n"


@pytest.mark.spawns
def test_cat_into_oci_run_with_a_dangling_stdin_txt(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path, piped: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    os.symlink("gone", work / "stdin.txt")
    monkeypatch.chdir(work)
    model = tmp_path / f"replies-{random.randrange(10**9)}.json"
    model.write_text(json.dumps(["```python\nimport sys\nprint(sys.stdin.read().split()[-1])\n```",
                                 "The last row is 1,2."]))
    code = main_with_status(["run", "print the last row", "--model", f"fake:{model}"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == "1,2\n"
    assert os.readlink(work / "stdin.txt") == "gone"


# ------------------------------------------------------ --json and a non-UTF-8 name --

MAKE_BAD_NAME = "import os\nos.close(os.open(b'\\xff.txt', os.O_CREAT | os.O_WRONLY))\n"


def bad_name_in(data: object) -> bool:
    return "\\xff.txt" in json.dumps(data, ensure_ascii=False)


@pytest.mark.spawns
def test_oci_exec_json_is_utf8_under_a_strict_stdout(tmp_path: Path, oci_bin: str) -> None:
    (tmp_path / "p.py").write_text(MAKE_BAD_NAME)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    proc = subprocess.run([oci_bin, "exec", "--json", "p.py"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.decode("utf-8"))  # strict: valid UTF-8 throughout
    assert any(name.endswith("/\\xff.txt") for name in data["files"]), data["files"]
    assert os.path.exists(tmp_path / os.fsdecode(b"\xff.txt"))


@pytest.mark.spawns
def test_oci_exec_json_under_a_surrogateescape_stdout_writes_no_raw_byte(
        tmp_path: Path, oci_bin: str) -> None:
    (tmp_path / "p.py").write_text(MAKE_BAD_NAME)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:surrogateescape"}
    proc = subprocess.run([oci_bin, "exec", "--json", "p.py"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert b"\xff" not in proc.stdout
    assert bad_name_in(json.loads(proc.stdout.decode("utf-8")))


def strict_stdout(monkeypatch: pytest.MonkeyPatch) -> io.BytesIO:
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8",
                                                        errors="strict", write_through=True))
    return raw


@pytest.mark.spawns
def test_oci_run_json_with_a_non_utf8_name(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    model = tmp_path / f"replies-{random.randrange(10**9)}.json"
    model.write_text(json.dumps([f"```python\n{MAKE_BAD_NAME}print('made')\n```", "Done."]))
    raw = strict_stdout(monkeypatch)
    code = main_with_status(["run", "make a file", "--json", "--model", f"fake:{model}"])
    sys.stdout.flush()
    assert code == 0
    data = json.loads(raw.getvalue().decode("utf-8"))
    assert data["success"] is True and bad_name_in(data)


@pytest.mark.spawns
def test_oci_fix_json_with_a_non_utf8_name(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.py").write_text("print(1/0)\n")
    model = tmp_path / f"replies-{random.randrange(10**9)}.json"
    model.write_text(json.dumps([f"```python\n{MAKE_BAD_NAME}print(1/1)\n```"]))
    raw = strict_stdout(monkeypatch)
    code = main_with_status(["fix", "s.py", "--json", "--candidates", "1",
                             "--model", f"fake:{model}"])
    sys.stdout.flush()
    assert code == 7
    data = json.loads(raw.getvalue().decode("utf-8"))
    assert data["success"] is True and bad_name_in(data)
