"""oci fix's own git call, against a repository a program planted (issue 34, item 1).

A candidate that really fixes the script can also run `git init` in the script's directory,
commit the script, delete the commit object and configure a promisor remote whose
`uploadpack` is a shell command: asked about the file, git discovers that repository (it is
nearer than the project's), misses the commit, fetches it lazily and runs the command.
oci finds the repository before anything runs and asks only that one afterwards, and its git
calls may use no transport at all. Real git, real repositories, real attack; skipped where
git is missing.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oci_interpreter.core.git import find_repository, git_status

pytestmark = [pytest.mark.spawns,
              pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")]

_IDENTITY = ("-c", "user.name=oci", "-c", "user.email=oci@example.invalid",
             "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main")


@pytest.fixture(autouse=True)
def quiet_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's own git calls read no config of the machine's."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *_IDENTITY, *args], cwd=cwd, check=True,
                          capture_output=True, text=True)
    return proc.stdout.strip()


def project(tmp_path: Path) -> Path:
    """``project/`` (a repository) with ``pkg/s.py`` committed; returns the script."""
    top = tmp_path / "project"
    (top / "pkg").mkdir(parents=True)
    git(top, "init", "-q")
    script = top / "pkg" / "s.py"
    script.write_text("print(1)\n")
    git(top, "add", ".")
    git(top, "commit", "-q", "-m", "init")
    return script


PLANT = """\
import os, subprocess
def g(*args):
    return subprocess.run(["git", "-c", "user.name=x", "-c", "user.email=x@y.invalid",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main",
                           *args], check=True, capture_output=True, text=True).stdout.strip()
if not os.path.isdir(".git"):
    g("init", "-q")
    g("add", {name!r})
    g("commit", "-q", "-m", "x")
    commit = g("rev-parse", "HEAD")
    os.remove(os.path.join(".git", "objects", commit[:2], commit[2:]))
    g("config", "core.repositoryformatversion", "1")
    g("config", "extensions.partialClone", "origin")
    g("config", "remote.origin.url", {url!r})
    g("config", "remote.origin.promisor", "true")
    g("config", "remote.origin.uploadpack", {command!r})
"""


def plant(directory: Path, name: str, marker: Path) -> None:
    """The attack, in ``directory`` (as the program would run it there)."""
    code = PLANT.format(name=name, url=str(directory.parent),
                        command=f"touch {marker}; false")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run([sys.executable, "-c", code], cwd=directory, env=env, check=True)


def assert_live(directory: Path, name: str, marker: Path) -> None:
    """The planted repository does run its command for a plain git (so a test that sees
    no marker proves something), then the marker is removed again."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"HEAD:./{name}"],
                   cwd=directory, env=env, capture_output=True, check=False)
    assert marker.exists(), "the planted repository did not run its command: test is void"
    marker.unlink()


def test_a_repository_planted_after_the_one_found_is_never_asked(tmp_path: Path) -> None:
    script = project(tmp_path)
    marker = tmp_path / "MARKER"
    found = find_repository(script)  # before the program runs
    assert found is not None and found.work_tree == (tmp_path / "project").resolve()
    plant(script.parent, script.name, marker)
    assert_live(script.parent, script.name, marker)

    assert found.status(script) is None  # committed and unchanged in the project
    assert git_status(script, found) is None
    script.write_text("print(2)\n")
    assert found.status(script) == "modified"
    assert not marker.exists()


def test_no_lazy_fetch_even_in_the_repository_that_was_found(tmp_path: Path) -> None:
    """The planted repository is the one found (a chat cell ran before /fix; or in
    `none` mode the program rewrote the project's own .git): still nothing runs."""
    work = tmp_path / "work"
    work.mkdir()
    script = work / "s.py"
    script.write_text("print(1)\n")
    marker = tmp_path / "MARKER"
    plant(work, "s.py", marker)
    assert_live(work, "s.py", marker)

    assert git_status(script) == "staged"  # HEAD cannot be read: not clean
    found = find_repository(script)
    assert found is not None and found.status(script) == "staged"
    assert not marker.exists()


def test_the_user_s_global_config_is_not_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    script = project(tmp_path)
    (script.parent / "new.py").write_text("x = 1\n")
    ignore = tmp_path / "ignore"
    ignore.write_text("new.py\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {ignore}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("GIT_CONFIG_GLOBAL")
    assert git(script.parent, "check-ignore", "new.py") == "new.py"  # git itself reads it
    assert git_status(script.parent / "new.py") == "untracked"  # oci's call does not


def test_a_git_in_the_working_directory_is_not_the_one_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH with a relative entry would find a `git` a program left in the directory."""
    script = project(tmp_path)
    marker = tmp_path / "MARKER"
    fake_git = script.parent / "git"
    fake_git.write_text(f"#!/bin/sh\ntouch {marker}\n")
    fake_git.chmod(0o755)
    monkeypatch.chdir(script.parent)
    monkeypatch.setenv("PATH", os.pathsep.join([".", os.environ["PATH"]]))
    found = find_repository(script)
    assert found is not None and found.status(script) is None
    assert not marker.exists()


def test_states_are_still_reported_for_a_normal_repository(tmp_path: Path) -> None:
    script = project(tmp_path)
    found = find_repository(script)
    assert found is not None
    assert found.status(script) is None
    script.write_text("print(2)\n")
    assert found.status(script) == "modified"
    git(script.parent, "add", "s.py")
    assert found.status(script) == "staged"
    other = script.parent / "other.py"
    other.write_text("x = 1\n")
    assert found.status(other) == "untracked"
    (script.parent / ".gitignore").write_text("ignored.py\n")
    (script.parent / "ignored.py").write_text("x = 1\n")
    assert found.status(script.parent / "ignored.py") is None
    odd = script.parent / ":(glob)*.py"  # pathspec magic in a name: taken literally
    odd.write_text("x = 1\n")
    assert found.status(odd) == "untracked"
    assert found.status(tmp_path / "elsewhere.py") is None  # outside the work tree
    assert find_repository(tmp_path / "elsewhere.py") is None


# ---------------------------------------------------------- the whole of `oci fix` --

BROKEN = "total = 5\nprint('Total: ' + total)\n"
FIXED = "total = 5\nprint('Total: ' + str(total))\n"


@pytest.mark.parametrize("mode", ["none", "auto"])
def test_oci_fix_runs_no_command_of_a_repository_a_candidate_planted(
        tmp_path: Path, mode: str) -> None:
    """The candidate fixes the bug and plants the attack in the script's directory; oci
    fix then asks git whether the file has uncommitted changes."""
    from oci_interpreter.agent.fix import FixJob
    from oci_interpreter.backend.fake import FakeBackend
    from oci_interpreter.core.config import Settings

    script = project(tmp_path)
    script.write_text(BROKEN)
    git(script.parent, "commit", "-q", "-am", "broken")
    marker = tmp_path / "MARKER"
    attack = PLANT.format(name=script.name, url=str(script.parent.parent),
                          command=f"touch {marker}; false")
    job = FixJob(script, [], Settings(sandbox=mode, rounds=1, candidates=1))
    original = job.run_original()
    assert not original.ok
    outcome = job.repair(FakeBackend([f"```python\n{FIXED}{attack}```"]))
    assert outcome.fixed, outcome.to_dict()["message"]
    assert not marker.exists()
    assert outcome.git is None  # clean in the project's repository, as it was
    if (script.parent / ".git").is_dir():  # the attack landed (it does in `none`)
        assert_live(script.parent, script.name, marker)
    else:
        assert mode != "none"


def test_oci_fix_diff_with_a_planted_repository(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.cli.main import main_with_status

    script = project(tmp_path)
    script.write_text(BROKEN)
    git(script.parent, "commit", "-q", "-am", "broken")
    marker = tmp_path / "MARKER"
    attack = PLANT.format(name=script.name, url=str(script.parent.parent),
                          command=f"touch {marker}; false")
    replies = tmp_path / f"replies-{random.randrange(10**9)}.json"
    replies.write_text(json.dumps([f"```python\n{FIXED}{attack}```"]))
    monkeypatch.chdir(tmp_path)
    code = main_with_status(["fix", str(script), "--diff", "--sandbox", "none",
                             "--candidates", "1", "--model", f"fake:{replies}"])
    out, err = capsys.readouterr()
    assert code == 7, err
    assert "+print('Total: ' + str(total))" in out
    assert not marker.exists()
    assert_live(script.parent, script.name, marker)  # the attack was in place
