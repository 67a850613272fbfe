"""Attacks on the copy-on-write working directory (issue 34, second adversarial review).

Under ``bwrap`` and ``unshare`` a program sees its working directory through an overlay;
oci applies the upper layer to the real directory by an allowlist (writeback.py) and a
kernel cell ends only when the supervisor sees the kernel stop itself. Each test below is
a hostile program run through ``run_program`` or ``Kernel``, under every sealed mode, and
-- where it says something -- in the islands fallback (``workspace == "direct"``) too. The
assertions are about the host: the files on disk, and whether a real ``git status`` (what
a shell prompt runs) runs anything a program planted.

Tests marked ``xfail(strict=True)`` are bugs found by this review: each reason says what
holds instead of what should.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oci_interpreter.core import paths
from oci_interpreter.sandbox.limits import ExecResult, Limits
from tests.test_sandbox_attacks import SEALED, attack, force_islands, git, refused

pytestmark = pytest.mark.spawns

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
each_sealed_mode = pytest.mark.parametrize("mode", SEALED)


def views(islands_bug: str | None = None, *, islands_in: list[str] | None = None,
          strict: bool = True) -> pytest.MarkDecorator:
    """Every sealed mode with the overlay, and in the islands fallback (``islands_in``: only
    those modes); ``islands_bug``: the fallback does not stop this attack (a strict xfail
    that says why)."""
    params = []
    for mode in SEALED:
        params.append(pytest.param(mode, "overlay", id=f"{mode}-overlay"))
        if islands_in is not None and mode not in islands_in:
            continue
        marks = ([pytest.mark.xfail(strict=strict, reason=islands_bug)]
                 if islands_bug else [])
        params.append(pytest.param(mode, "islands", id=f"{mode}-islands", marks=marks))
    return pytest.mark.parametrize("mode,view", params)


@pytest.fixture(autouse=True)
def _view(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("view") == "islands":
        force_islands(monkeypatch)


def check_view(result: ExecResult, view: str) -> None:
    """The run really used the view the test is about (no silent fallback)."""
    expected = "overlay" if view == "overlay" else "direct"
    assert result.workspace == expected, (result.workspace, result.warnings)


def prompt_git(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``git status`` as a shell prompt runs it in ``where`` (exit status not checked):
    no GIT_* variables, neither the system's nor the user's global config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *(args or ("status",))], cwd=where, env=env,
                          capture_output=True, text=True, timeout=30, check=False)


def fsmonitor(marker: Path) -> str:
    return f"[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch {marker}\n"


def make_repo(work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    git(work, "init", "-q")
    (work / "app.py").write_text("print('hi')\n")
    git(work, "add", "app.py")
    git(work, "commit", "-q", "-m", "one")
    return work


def sandbox_home() -> Path:
    return paths.data_dir() / "sandbox-home"


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


# --------------------------------- 2. many files, then the repository's config --

MANY_FILES = """
import os
made = 0
def position():
    for n, entry in enumerate(os.scandir(".")):
        if entry.name == ".git":
            return n
    return -1
# 25,000 (past the old scan's 20,000 entries); where the program writes the real directory
# (islands), on until .git is listed after the scan's bound there.
while made < 25_000 or ({past_bound} and position() <= 20_500 and made < 120_000):
    for _ in range(5_000):
        open(f"f{{made:06d}}", "w").close()
        made += 1
print("MADE", made, "GIT AT", position())
"""


@needs_git
@views(islands_bug="islands fallback: the read-only .git comes from a scan bounded at 20,000 "
                   "entries; once .git is listed after that bound it is writable (item 2)",
       islands_in=SEALED[:1])  # oci's scan, the same in every mode: once is enough
def test_many_files_do_not_open_the_repository_to_a_later_run(tmp_path: Path, mode: str,
                                                              view: str) -> None:
    repo = make_repo(tmp_path / "project")
    marker = tmp_path / "pwned"
    config = (repo / ".git" / "config").read_bytes()
    first = attack(MANY_FILES.format(past_bound=view == "islands"), repo, mode,
                   timeout=60)
    check_view(first, view)
    assert first.exit_code == 0 and "MADE" in first.stdout, first.stderr
    assert len(list(repo.glob("f0*"))) >= 25_000  # applied: the next run sees them
    second = attack(f"""
try:
    with open(".git/config", "a") as fh:
        fh.write({fsmonitor(marker)!r})
    print("WROTE")
except OSError as exc:
    print("REFUSED", exc)
""", repo, mode)
    check_view(second, view)
    assert (repo / ".git" / "config").read_bytes() == config
    prompt_git(repo)
    assert not marker.exists()
    if view == "overlay":
        assert "WROTE" in second.stdout  # its view is writable; the repository is not
        assert refused(second, repo / ".git"), second.refused


# ---------------------------- 3. a nested repository moved away and rebuilt --

NESTED = """
import errno, os, shutil
try:
    os.rename("vendor/lib", "vendor/lib-old")
    print("RENAMED")
    os.makedirs("node_modules", exist_ok=True)
    os.rename("vendor/lib-old", "node_modules/lib")
except OSError as exc:
    print("RENAME", errno.errorcode[exc.errno])
    shutil.move("vendor/lib", "node_modules/lib")  # copies, then deletes
    print("MOVED")
os.makedirs("vendor/lib/.git/objects", exist_ok=True)
os.makedirs("vendor/lib/.git/refs/heads", exist_ok=True)
with open("vendor/lib/.git/HEAD", "w") as fh:
    fh.write("ref: refs/heads/master\\n")
with open("vendor/lib/.git/config", "w") as fh:
    fh.write({config!r})
with open("vendor/lib/lib.py", "w") as fh:
    fh.write("LIB = 2\\n")
print(sorted(os.listdir("vendor/lib")), sorted(os.listdir("node_modules/lib")))
"""


@needs_git
@views(islands_bug="islands fallback: renaming vendor/lib moves its read-only .git with it; "
                   "the rebuilt vendor/lib/.git is writable and a top-level git status runs "
                   "its fsmonitor (item 3)")
def test_a_nested_repository_cannot_be_moved_away_and_rebuilt(tmp_path: Path, mode: str,
                                                              view: str) -> None:
    repo = tmp_path / "project"
    lib = repo / "vendor" / "lib"
    make_repo(lib)
    (repo / "main.py").write_text("import vendor\n")
    git(repo, "init", "-q")
    git(repo, "add", "main.py", "vendor/lib")  # a gitlink: top-level status looks inside
    git(repo, "commit", "-q", "-m", "top")
    marker = tmp_path / "pwned"
    config = (lib / ".git" / "config").read_bytes()
    result = attack(NESTED.format(config=fsmonitor(marker)), repo, mode)
    check_view(result, view)
    assert result.exit_code == 0, result.stderr
    if view == "overlay":
        assert "RENAME EXDEV" in result.stdout and "MOVED" in result.stdout, result.stdout
    assert (lib / ".git" / "config").read_bytes() == config
    assert not (repo / "node_modules").exists()
    prompt_git(repo)
    prompt_git(lib)
    assert not marker.exists()
    assert refused(result, repo / "node_modules"), result.refused
    assert refused(result, lib / ".git"), result.refused
    # The check above can see the attack: with the planted config git does run it.
    (lib / ".git" / "config").write_text(fsmonitor(marker))
    prompt_git(repo)
    assert marker.exists()


# ----------------------------------------- 4. .tox, .nox, node_modules/.bin --

@views(islands_bug="islands fallback: .tox/.nox are not virtualenvs to the scan (the .pth "
                   "lands) and node_modules/.bin is writable (item 4)")
def test_tox_nox_and_node_modules_bin_are_never_written(tmp_path: Path, mode: str,
                                                        view: str) -> None:
    work = tmp_path / "project"
    site = work / ".tox" / "py311" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (work / ".tox" / "py311" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    jest = work / "node_modules" / ".bin" / "jest"
    jest.parent.mkdir(parents=True)
    jest.write_text("#!/bin/sh\nexec node jest.js \"$@\"\n")
    jest.chmod(0o755)
    original = jest.read_bytes()
    result = attack("""
import os
payload = "import os; os.system('touch /tmp/pwned')\\n"
for rel in (".tox/py311/lib/python3.11/site-packages/evil.pth",
            ".tox/py312/lib/python3.12/site-packages/evil.pth",
            ".nox/tests/lib/python3.11/site-packages/evil.pth"):
    os.makedirs(os.path.dirname(rel), exist_ok=True)
    with open(rel, "w") as fh:
        fh.write(payload)
with open("node_modules/.bin/jest", "w") as fh:
    fh.write("#!/bin/sh\\ntouch /tmp/pwned\\n")
with open("node_modules/.bin/vitest", "w") as fh:
    fh.write("#!/bin/sh\\ntouch /tmp/pwned\\n")
print("WROTE")
""", work, mode)
    check_view(result, view)
    assert "WROTE" in result.stdout, result.stderr
    assert not (site / "evil.pth").exists()
    assert not (work / ".tox" / "py312").exists()
    assert not (work / ".nox").exists()
    assert jest.read_bytes() == original
    assert not (jest.parent / "vitest").exists()
    for path in (site / "evil.pth", work / ".tox" / "py312", work / ".nox", jest,
                 jest.parent / "vitest"):
        assert refused(result, path), (path, result.refused)
    assert all(line.partition(": ")[2].strip() for line in result.refused), result.refused


# ---------------------- 5. the kernel: what the user does between cells --

@views()
def test_a_kernel_cell_sees_what_the_user_made_between_cells(tmp_path: Path, mode: str,
                                                            view: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    work = tmp_path / "project"
    work.mkdir()
    with Kernel(work, Limits(timeout=10), sandbox=mode) as kernel:
        first = kernel.execute("""
import os
try:
    print(open("late.txt").read())
except FileNotFoundError:
    print("MISSING")
""")
        check_view(first, view)
        assert first.stdout == "MISSING\n", first.stderr
        (work / "late.txt").write_text("made on the host\n")
        (work / "sub").mkdir()
        (work / "sub" / "new.txt").write_text("also\n")
        second = kernel.execute("print(open('late.txt').read() + open('sub/new.txt').read())")
        assert second.stdout == "made on the host\nalso\n\n", second.stderr
        assert not second.state_lost


@needs_git
@views(islands_bug="islands fallback: a kernel's read-only islands are fixed when it starts; a "
                   ".git or virtualenv the user makes during the chat is writable (item 5)")
def test_a_kernel_cell_cannot_write_a_repository_or_virtualenv_made_during_the_chat(
        tmp_path: Path, mode: str, view: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    work = tmp_path / "project"
    work.mkdir()
    marker = tmp_path / "pwned"
    with Kernel(work, Limits(timeout=10), sandbox=mode) as kernel:
        first = kernel.execute("import os\nprint(sorted(os.listdir('.')))")
        check_view(first, view)
        assert first.stdout == "[]\n", first.stderr
        git(work, "init", "-q")
        (work / "venv2").mkdir()
        (work / "venv2" / "pyvenv.cfg").write_text("home = /usr/bin\n")
        config = (work / ".git" / "config").read_bytes()
        second = kernel.execute(f"""
import os
with open(".git/config", "a") as fh:
    fh.write({fsmonitor(marker)!r})
os.makedirs("venv2/lib", exist_ok=True)
with open("venv2/lib/x.pth", "w") as fh:
    fh.write("import os; os.system('touch {marker}')\\n")
print("WROTE")
""")
        assert "WROTE" in second.stdout, second.stderr
    assert (work / ".git" / "config").read_bytes() == config
    assert not (work / "venv2" / "lib").exists()
    prompt_git(work)
    assert not marker.exists()
    assert refused(second, work / ".git") and refused(second, work / "venv2"), second.refused


# ---------------------------------------------- 6. a symbolic link as .git --

@needs_git
@views(islands_bug="islands fallback: only the target of a .git link is protected (and it is "
                   "outside the working directory); the link itself can be replaced by a .git "
                   "directory, and no warning says so (item 6)")
def test_a_symlinked_dot_git_cannot_be_replaced(tmp_path: Path, mode: str, view: str) -> None:
    work = tmp_path / "project"
    work.mkdir()
    real = tmp_path / "store" / "project.git"
    real.parent.mkdir()
    git(work, "init", "-q")
    os.rename(work / ".git", real)
    os.symlink(real, work / ".git")
    (work / "app.py").write_text("print('hi')\n")
    git(work, "add", "app.py")
    git(work, "commit", "-q", "-m", "one")
    marker = tmp_path / "pwned"
    result = attack(f"""
import os
os.unlink(".git")
os.makedirs(".git/objects")
os.makedirs(".git/refs/heads")
with open(".git/HEAD", "w") as fh:
    fh.write("ref: refs/heads/master\\n")
with open(".git/config", "w") as fh:
    fh.write({fsmonitor(marker)!r})
print("REPLACED", os.path.islink(".git"))
""", work, mode)
    check_view(result, view)
    assert "REPLACED False" in result.stdout, result.stderr
    assert os.path.islink(work / ".git") and os.readlink(work / ".git") == str(real)
    prompt_git(work)
    assert not marker.exists()
    assert refused(result, work / ".git"), result.refused


# ----------------------- a repository by its shape: HEAD, objects/, refs/ --

BARE = """
import os
os.makedirs({top!r} + "/objects", exist_ok=True)
os.makedirs({top!r} + "/refs/heads", exist_ok=True)
os.makedirs({top!r} + "/src", exist_ok=True)
with open({top!r} + "/HEAD", "w") as fh:
    fh.write("ref: refs/heads/main\\n")
with open({top!r} + "/config", "w") as fh:
    fh.write("[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n"
             "\\tworktree = {worktree}\\n\\tfsmonitor = touch {marker}\\n")
print("PLANTED")
"""


@needs_git
@views(islands_bug="islands fallback: a git repository needs no .git name (a directory "
                   "with HEAD, objects/, refs/ and a config is one to git); the scan knows "
                   "repositories by name, and the program writes the directory itself")
@pytest.mark.parametrize("where", ["top", "subdir"])
def test_a_repository_made_by_shape_not_by_name_is_not_applied(tmp_path: Path, mode: str,
                                                               view: str, where: str) -> None:
    work = tmp_path / "project"
    marker = tmp_path / "pwned"
    if where == "top":
        # A scratch directory, as docs/security.md advises: the program makes the directory
        # itself a repository; the user's prompt there runs git in it.
        work.mkdir()
        top, worktree, inside = ".", "src", work
    else:
        make_repo(work)
        top, worktree, inside = "tools", "..", work / "tools"
    result = attack(BARE.format(top=top, worktree=worktree, marker=marker), work, mode)
    check_view(result, view)
    assert "PLANTED" in result.stdout, result.stderr
    prompt_git(inside)
    assert not marker.exists(), (result.files, result.refused, result.warnings)


# ------------- sitecustomize.py in a directory an editable install puts on sys.path --

# Not strict: whether the plain virtualenv of this test picks the file up depends on the
# interpreter it was made from (the ordinary-user run's does not).
@views(islands_bug="islands fallback: a sitecustomize.py that does not exist yet cannot be "
                   "made read-only; the program writes the directory itself", strict=False)
def test_a_sitecustomize_on_the_project_s_import_path_is_not_applied(
        tmp_path: Path, mode: str, view: str) -> None:
    work = tmp_path / "project"
    (work / "src" / "project").mkdir(parents=True)
    (work / "src" / "project" / "__init__.py").write_text("")
    venv = tmp_path / "venv"  # the project's virtualenv (uv's .venv is refused anyway)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True, timeout=60)
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    (site / "__editable__.project-0.1.pth").write_text(f"{work / 'src'}\n")
    marker = tmp_path / "pwned"
    result = attack(f"""
with open("src/sitecustomize.py", "w") as fh:
    fh.write("open({str(marker)!r}, 'w').close()\\n")
print("PLANTED")
""", work, mode)
    check_view(result, view)
    assert "PLANTED" in result.stdout, result.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    subprocess.run([str(venv / "bin" / "python"), "-c", "pass"], env=env, cwd=tmp_path,
                   check=True, timeout=60)
    assert not marker.exists(), (result.files, result.refused)


# ------------------------------------ 7. same-size edits with the old mtime --

@views()
def test_a_same_size_edit_with_the_old_mtime_is_listed_by_content(tmp_path: Path, mode: str,
                                                                 view: str) -> None:
    work = tmp_path / "project"
    work.mkdir()
    files = {
        "Makefile": ("test:\n\tpytest -q\n", "test:\n\tcurl x|sh\n"),
        "conftest.py": ("import pytest\n", "import evil01\n"),
        "app.py": ("print('hello')\n", "os.system('x')\n"),
    }
    old_ns = 1_600_000_000 * 10**9  # September 2020
    for name, (before, after) in files.items():
        assert len(before) == len(after)
        (work / name).write_text(before)
        os.utime(work / name, ns=(old_ns, old_ns))
    started = time.time()
    result = attack(f"""
import os
for name, text in {({n: a for n, (_, a) in files.items()})!r}.items():
    st = os.stat(name)
    with open(name, "w") as fh:
        fh.write(text)
    os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(name)
    assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
print("EDITED")
""", work, mode)
    check_view(result, view)
    assert "EDITED" in result.stdout, result.stderr
    for name, (_, after) in files.items():
        path = work / name
        assert str(path) in result.modified, (name, result.modified)
        assert path.read_text() == after
        if view == "overlay":  # an applied change is new, whatever time the program set
            mtime = path.stat().st_mtime_ns
            assert mtime != old_ns and mtime >= (started - 5) * 1e9, (name, mtime)


# -------------------------------------- what a program leaves in its view --

@each_sealed_mode
def test_a_very_deep_directory_comes_back_as_a_refusal(tmp_path: Path, mode: str) -> None:
    work = tmp_path / "project"
    work.mkdir()
    result = attack("""
import os
fd = os.open(".", os.O_RDONLY)
for _ in range(1200):
    os.mkdir("d", dir_fd=fd)
    inner = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = inner
with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as fh:
    fh.write("deep")
print("DEEP")
""", work, mode)
    assert result.workspace == "overlay" and "DEEP" in result.stdout, result.stderr
    assert any("deeper than 128" in line for line in result.refused), result.refused
    depth, here = 0, work
    while (here / "d").is_dir():
        here, depth = here / "d", depth + 1
    assert depth <= 128 and not (here / "bottom.txt").exists(), depth
    assert not result.files  # the only file was below the bound


@each_sealed_mode
def test_fifos_sockets_devices_and_links_are_refused_not_applied(tmp_path: Path,
                                                                mode: str) -> None:
    work = tmp_path / "project"
    work.mkdir()
    (work / "app.py").write_text("print('hi')\n")
    result = attack("""
import os, socket, stat
os.mkfifo("fifo")
s = socket.socket(socket.AF_UNIX)
s.bind("sock")
os.symlink("/etc/passwd", "abs-link")
os.symlink("app.py", "rel-link")
os.makedirs("sub")
os.symlink("..", "sub/up")
try:
    os.mknod("null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    print("MKNOD made")
except OSError as exc:
    print("MKNOD", exc.errno)
print("MADE")
""", work, mode)
    assert result.workspace == "overlay" and "MADE" in result.stdout, result.stderr
    for name in ("fifo", "sock", "abs-link", "rel-link", "sub/up", "null"):
        assert not os.path.lexists(work / name), name
    for name in ("fifo", "sock", "abs-link", "rel-link", "sub/up"):
        assert refused(result, work / name), (name, result.refused)
    if "MKNOD made" in result.stdout:
        assert refused(result, work / "null"), result.refused


@each_sealed_mode
def test_a_directory_deleted_and_made_again_loses_its_old_contents(tmp_path: Path,
                                                                   mode: str) -> None:
    work = tmp_path / "project"
    (work / "build" / "sub").mkdir(parents=True)
    (work / "build" / "top.o").write_text("old")
    (work / "build" / "sub" / "old.o").write_text("old")
    result = attack("""
import os, shutil
shutil.rmtree("build")
os.makedirs("build/sub")
with open("build/sub/new.o", "w") as fh:
    fh.write("new")
print(sorted(os.listdir("build/sub")))
""", work, mode)
    assert result.workspace == "overlay" and result.stdout == "['new.o']\n", result.stderr
    assert not (work / "build" / "top.o").exists()
    assert sorted(p.name for p in (work / "build" / "sub").iterdir()) == ["new.o"]
    assert str(work / "build" / "sub" / "old.o") in result.deleted, result.deleted


# ------------------------- 10. native threads and POSIX timers between cells --

NATIVE = r"""
import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
HOME = os.path.expanduser("~")
WORK = os.getcwd()

def on_timer(signum, frame):
    with open(HOME + "/timer.log", "a") as fh:
        fh.write("t")

signal.signal(signal.SIGUSR1, on_timer)

class sigevent(ctypes.Structure):
    _fields_ = [("value", ctypes.c_void_p), ("signo", ctypes.c_int),
                ("notify", ctypes.c_int), ("pad", ctypes.c_byte * 48)]

class timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]

class itimerspec(ctypes.Structure):
    _fields_ = [("interval", timespec), ("value", timespec)]

event = sigevent(None, signal.SIGUSR1, 0)  # SIGEV_SIGNAL
timer = ctypes.c_void_p()
assert libc.timer_create(1, ctypes.byref(event), ctypes.byref(timer)) == 0  # MONOTONIC
every = itimerspec(timespec(0, 50_000_000), timespec(0, 50_000_000))
assert libc.timer_settime(timer, 0, ctypes.byref(every), None) == 0

def loop(arg):
    while True:
        for path in (HOME + "/thread.log", WORK + "/thread.txt"):
            try:
                with open(path, "a") as fh:
                    fh.write("n")
            except OSError:
                pass
        time.sleep(0.05)

CALLBACK = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
keep = CALLBACK(loop)
thread = ctypes.c_ulong()
assert libc.pthread_create(ctypes.byref(thread), None, keep, None) == 0
time.sleep(0.5)
print("TIMER", os.path.getsize(HOME + "/timer.log") > 0,
      "THREAD", os.path.getsize(HOME + "/thread.log") > 0)
"""


@each_sealed_mode
def test_native_threads_and_posix_timers_do_nothing_between_cells(tmp_path: Path,
                                                                 mode: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    work = tmp_path / "project"
    work.mkdir()
    with Kernel(work, Limits(timeout=10), sandbox=mode) as kernel:
        first = kernel.execute(NATIVE)
        assert first.stdout == "TIMER True THREAD True\n", first.stderr
        home = sandbox_home()
        watched = (home / "timer.log", home / "thread.log", work / "thread.txt")
        at_end = [size(p) for p in watched]
        assert at_end[0] > 0 and at_end[1] > 0, at_end
        time.sleep(2.0)
        assert [size(p) for p in watched] == at_end  # nothing ran while no cell did
        second = kernel.execute("import time\ntime.sleep(0.5)\nprint('two')")
        assert "two" in second.stdout, second.stderr
        if second.state_lost:  # restarted because of what cell 1 left: said plainly
            assert any("thread" in w for w in first.warnings + second.warnings)
        else:
            thread_file = str(work / "thread.txt")
            assert thread_file in second.modified + second.files, second
            assert size(work / "thread.txt") > at_end[2]


# ------------------------------ a process of a cell that outlives its end --

HOPPERS = r'''
import os, subprocess, sys, time
HOP = """
import os, sys, time
log, end, last = sys.argv[1], time.monotonic() + 6, 0.0
while time.monotonic() < end:
    try:
        if os.fork():
            os._exit(0)   # the parent goes; the child, a new pid, goes on
    except OSError:
        continue
    now = time.monotonic()
    if now - last > 0.02:
        last = now
        with open(log, "a") as fh:
            fh.write("h")
"""
for _ in range(30):  # listed (and killed) before the hoppers: a wider window
    subprocess.Popen(["sleep", "30"])
for _ in range(6):
    subprocess.Popen([sys.executable, "-S", "-c", HOP, os.path.expanduser("~/hop.log")])
time.sleep(0.3)
print("STARTED")
'''


@each_sealed_mode
def test_no_process_of_a_cell_survives_its_end(tmp_path: Path, mode: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    work = tmp_path / "project"
    work.mkdir()
    log = sandbox_home() / "hop.log"
    with Kernel(work, Limits(timeout=10), sandbox=mode) as kernel:
        for _ in range(5):
            result = kernel.execute(HOPPERS)
            assert "STARTED" in result.stdout or result.state_lost, result.stderr
            at_end = size(log)
            time.sleep(0.3)
            grew = size(log) - at_end
            assert grew == 0, f"a process of the cell wrote {grew} bytes between cells"


# ------------------------------------ 11. forged ends of a cell --

FIND_PIPES = """
import os, stat
def pipes():
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd < 3:
            continue
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                found.append(fd)
        except OSError:
            pass
    return found
def forge(cell):
    for fd in pipes():
        for line in (
            "{'event': 'cell_result', 'id': %d, 'ok': True, 'interrupted': False, "
            "'threads_left': 0}\\n" % cell,
            "{'event': 'cell_done', 'id': %d, 'held': False, 'peak': 0}\\n" % cell,
        ):
            try:
                os.write(fd, line.encode())
            except OSError:
                pass
"""


@each_sealed_mode
def test_a_forged_cell_done_on_the_event_pipe_ends_nothing(tmp_path: Path, mode: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    with Kernel(tmp_path, Limits(timeout=10), sandbox=mode) as kernel:
        started = time.monotonic()
        first = kernel.execute(FIND_PIPES + """
import time
print("PIPES", pipes(), flush=True)
for cell in (1, 2, 3):
    forge(cell)
time.sleep(3)
print("ALL 12 TESTS PASSED", flush=True)
""", timeout=1)
        took = time.monotonic() - started
        assert first.limit == "time" and first.state_lost, (first.limit, first.stdout)
        assert took >= 0.9, took  # not ended early by the forged lines
        assert "PIPES [" in first.stdout and "ALL 12" not in first.stdout, first.stdout
        second = kernel.execute("print('3 of 12 tests FAILED')")
        assert second.stdout == "3 of 12 tests FAILED\n", second.stdout
        third = kernel.execute("print('cell 3')")
        assert third.stdout == "cell 3\n", third.stdout


@each_sealed_mode
def test_a_cell_that_stops_itself_ends_the_kernel(tmp_path: Path, mode: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    with Kernel(tmp_path, Limits(timeout=10), sandbox=mode) as kernel:
        kernel.execute("value = 7")
        first = kernel.execute("""
import os, signal
print("stopping", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
print("ALL 12 TESTS PASSED", flush=True)
""", timeout=3)
        assert first.state_lost, first
        second = kernel.execute("print('3 of 12 tests FAILED')")
        assert second.stdout == "3 of 12 tests FAILED\n", second.stdout
        third = kernel.execute("print('value' in globals())")
        assert third.stdout == "False\n", third.stdout  # a fresh kernel, said by state_lost


@pytest.mark.xfail(strict=True, reason=(
    "a known limit of a kernel that shares its process with the cells (docs/security.md, "
    "The persistent kernel, 'Not covered'): anything the kernel's loop does, a cell can "
    "imitate. _Cells.stopped takes a stop of the kernel after a cell_result line on the "
    "program's own pipe as the end of the cell: a cell that writes a cell_result there and "
    "SIGSTOPs itself ends at once (before its time limit); resumed by the next cell's "
    "announcement it reads that cell's code off the control pipe, prints a forged result "
    "and does the same again: cell 2's result is cell 1's text, cell 2's code never runs, "
    "and state_lost is False"))
@each_sealed_mode
def test_a_cell_cannot_stop_itself_after_forging_its_result(tmp_path: Path, mode: str) -> None:
    from oci_interpreter.sandbox.kernel import Kernel

    with Kernel(tmp_path, Limits(timeout=10), sandbox=mode) as kernel:
        started = time.monotonic()
        first = kernel.execute(FIND_PIPES + """
import signal
print("cell one", flush=True)
forge(1)
os.kill(os.getpid(), signal.SIGSTOP)
for fd in pipes():  # resumed for the next cell: take its code off the control pipe
    try:
        os.set_blocking(fd, False)
        os.read(fd, 1 << 16)
    except OSError:
        pass
print("ALL 12 TESTS PASSED", flush=True)
forge(2)
os.kill(os.getpid(), signal.SIGSTOP)
""", timeout=1)
        took = time.monotonic() - started
        assert first.state_lost or took >= 0.9, (took, first)
        second = kernel.execute("print('3 of 12 tests FAILED')")
        assert second.stdout == "3 of 12 tests FAILED\n", (second.stdout, second.state_lost)
