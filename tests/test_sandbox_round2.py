"""The second adversarial review of the sandbox (issue 34), items about host data and
resources: the kernel's keyrings, SysV IPC memory, threads without a PID namespace,
inotify, oci's own /proc entry, the host's network interfaces. Each test is an attack
program, run under every containment that is available (and, through
test_sandbox_nonroot.py, as an ordinary user too)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oci_interpreter.sandbox import containment
from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import run_program

pytestmark = pytest.mark.spawns


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
SEALED = [m for m in MODES if m != "none"]
each_mode = pytest.mark.parametrize("mode", MODES)
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def attack(code: str, cwd: Path, mode: str, **limits: object) -> ExecResult:
    return run_program(code=textwrap.dedent(code), cwd=cwd, limits=Limits(**limits),  # type: ignore[arg-type]
                       sandbox=mode)


# ------------------------------------------------------------- 9. the keyrings --

_LIBC = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
_KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}


def _host_key(description: bytes, secret: bytes) -> int | None:
    """A user key in this (the host's) session keyring, as a credential helper keeps one."""
    numbers = _KEYCTL.get(os.uname().machine)
    if numbers is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    key = libc.syscall(numbers[0], b"user", description, secret, len(secret), -3)
    return key if key > 0 else None


@linux_only
@each_mode
def test_the_program_reaches_no_keyring(tmp_path: Path, mode: str) -> None:
    numbers = _KEYCTL.get(os.uname().machine)
    if numbers is None:
        pytest.skip("keyctl numbers for this architecture are not in the test")
    add_key, keyctl = numbers
    key = _host_key(b"oci-test-host-secret", b"hunter2")
    program = _LIBC + f"""
import subprocess, sys
buf = ctypes.create_string_buffer(64)
# read the host's key by id, find it by name, leave a key of its own behind
print("read", libc.syscall({keyctl}, 11, {key or 0}, buf, 64), buf.raw[:7])
print("search", libc.syscall({keyctl}, 10, -3, b"user", b"oci-test-host-secret", 0))
print("add", libc.syscall({add_key}, b"user", b"oci-left", b"x", 1, -3))
print("session", libc.syscall({keyctl}, 0, -3, 0))
# and the same from a process it starts (the filter is inherited)
code = "import ctypes; l = ctypes.CDLL(None); print('child', l.syscall({keyctl}, 0, -3, 0))"
print(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
"""
    result = attack(program, tmp_path, mode)
    assert result.ok, result.stderr
    assert "hunter2" not in result.stdout
    for line in ("read -1", "search -1", "add -1", "session -1", "child -1"):
        assert line in result.stdout, result.stdout
    # nothing was left in the host's session keyring
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(keyctl, 10, -3, b"user", b"oci-left", 0) == -1


# ------------------------------------------------------- 14. SysV shared memory --

SHM_HOARD = _LIBC + """
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
made = []
for i in range(6):   # 6 x 150 MiB = 900 MiB, each attached, filled and detached
    size = 150 << 20
    ident = libc.shmget(0, size, 0o1600)   # IPC_PRIVATE, IPC_CREAT | 0600
    if ident < 0:
        print("shmget failed", os.strerror(ctypes.get_errno()), flush=True)
        break
    made.append(ident)
    print("segment", ident, flush=True)
    addr = libc.shmat(ident, None, 0)
    ctypes.memset(addr, 1, size)
    libc.shmdt(addr)
import time
time.sleep(3)
print("HELD", len(made))
"""


def _host_segments() -> set[int]:
    try:
        rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return set()
    return {int(row.split()[1]) for row in rows if row.split()}


@linux_only
@each_mode
def test_sysv_shared_memory_counts_against_the_memory_limit(tmp_path: Path,
                                                            mode: str) -> None:
    before = _host_segments()
    result = attack(SHM_HOARD, tmp_path, mode, memory=256 << 20, timeout=20)
    assert "HELD" not in result.stdout, result.stdout
    assert result.limit == "memory", (result.limit, result.stdout, result.stderr)
    assert result.peak_memory_bytes > 256 << 20
    # nothing stays on the host: a namespace's segments die with it, and without one
    # oci removes the segments the run's processes made
    leftover = _host_segments() - before
    assert not leftover, leftover


# -------------------------------------------------- 14. threads without a namespace --

THREADS = """
import threading, time
threading.stack_size(256 * 1024)  # not the address space: the process limit must stop it
stop = threading.Event()
started = []
for i in range(40):
    try:
        t = threading.Thread(target=stop.wait, daemon=True)
        t.start()
        started.append(t)
    except RuntimeError as exc:
        print("refused at", i, exc, flush=True)
        break
time.sleep(2)
print("THREADS", len(started))
"""


@each_mode
def test_threads_count_against_the_process_limit_in_every_mode(tmp_path: Path,
                                                               mode: str) -> None:
    result = attack(THREADS, tmp_path, mode, processes=4, timeout=20, memory=4 << 30)
    assert "THREADS 40" not in result.stdout, result.stdout
    assert result.limit == "processes" or "refused at" in result.stdout, result


# ----------------------------------------------------------------- 15. inotify --

INOTIFY = _LIBC + """
held = []
for i in range(40):
    fd = libc.inotify_init1(0)
    if fd < 0:
        print("refused at", i, os.strerror(ctypes.get_errno()), flush=True)
        break
    libc.inotify_add_watch(fd, b".", 0x100)
    held.append(fd)
import time
time.sleep(2)
print("HELD", len(held))
"""


@linux_only
@pytest.mark.parametrize("mode", SEALED)
def test_a_program_cannot_hold_the_user_s_inotify_instances(tmp_path: Path,
                                                            mode: str) -> None:
    result = attack(INOTIFY, tmp_path, mode, timeout=20)
    assert "HELD 40" not in result.stdout
    assert result.limit == "inotify", (result.limit, result.stdout, result.stderr)
    assert "inotify" in result.describe()


@linux_only
@pytest.mark.parametrize("mode", SEALED)
def test_a_kernel_cell_cannot_hold_them_for_the_whole_chat(tmp_path: Path,
                                                           mode: str) -> None:
    with Kernel(tmp_path, sandbox=mode) as kernel:
        result = kernel.execute(INOTIFY.replace("time.sleep(2)", "time.sleep(0.5)"),
                                timeout=20)
        assert result.limit == "inotify" and result.state_lost, result
        assert kernel.execute("print('fresh')").stdout == "fresh\n"


# --------------------------------------------------- 13. oci's own /proc entry --

FIND_OCI = """
import os
def parent(pid):
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])
oci = parent(parent(os.getpid()))   # the program -> the supervisor -> oci
try:
    fd = os.open(f"/proc/{oci}/fd/1", os.O_WRONLY)
    os.write(fd, b'{"exit_code": 0, "stdout": "forged"}\\n')
    print("WROTE oci's stdout")
except OSError as exc:
    print("refused", type(exc).__name__)
"""


@linux_only
@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any process's fds (ptrace "
                    "capability): documented; the ordinary-user run checks it")
def test_without_a_namespace_the_program_cannot_write_oci_s_stdout(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        from oci_interpreter.sandbox.runner import run_program
        result = run_program(code={FIND_OCI!r}, cwd={str(tmp_path)!r}, sandbox="none")
        print("RESULT", result.stdout.strip())
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert "forged" not in proc.stdout, proc.stdout
    assert "RESULT refused" in proc.stdout, proc.stdout + proc.stderr


# ------------------------------------------------ 17. the host's network interfaces --

@linux_only
@pytest.mark.parametrize("mode", SEALED)
def test_the_host_s_network_interfaces_are_not_listed(tmp_path: Path, mode: str) -> None:
    host = sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else []
    physical = [name for name in host if name != "lo"]
    if not physical:
        pytest.skip("this machine has no interface but lo")
    result = attack("""
        import os
        seen = set(os.listdir("/sys/class/net"))
        for root, dirs, _ in os.walk("/sys/devices"):  # each device's net/ directory
            if os.path.basename(root) == "net":
                seen.update(dirs)
        print("SEEN", sorted(seen))
    """, tmp_path, mode, timeout=60)
    assert result.ok, result.stderr
    for name in physical:
        assert f"'{name}'" not in result.stdout, result.stdout


# ------------------------------------------------ what the overlay must not change --

@pytest.mark.skipif("bwrap" not in MODES, reason="bubblewrap is not available here")
def test_under_bubblewrap_the_program_keeps_your_uid(tmp_path: Path) -> None:
    """bubblewrap makes the supervisor root to mount the overlay; the program gets your
    own ids back, as without an overlay."""
    (tmp_path / "mine.txt").write_text("x")
    result = attack("""
        import os
        print(os.getuid(), os.getgid(), os.stat("mine.txt").st_uid)
        open("made.txt", "w").write("y")
    """, tmp_path, "bwrap")
    assert result.ok and result.workspace == "overlay", result
    uid, gid = os.getuid(), os.getgid()
    assert result.stdout.split() == [str(uid), str(gid), str(uid)]
    assert (tmp_path / "made.txt").stat().st_uid == uid


@pytest.mark.parametrize("mode", MODES)
def test_a_kernel_keeps_the_directory_a_cell_went_to(tmp_path: Path, mode: str) -> None:
    (tmp_path / "sub").mkdir()
    with Kernel(tmp_path, sandbox=mode) as kernel:
        assert kernel.execute("import os\nos.chdir('sub')").ok
        result = kernel.execute("print(os.getcwd())\n_ = open('here.txt', 'w').write('1')")
        assert result.stdout.strip() == str(tmp_path / "sub"), result
    assert (tmp_path / "sub" / "here.txt").read_text() == "1"


@pytest.mark.parametrize("mode", SEALED)
def test_where_the_overlay_cannot_be_mounted_the_run_falls_back_and_says_so(
        tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The supervisor's mount fails (here: the upper layer is missing); the run starts
    again without an overlay, the result says so once, and a kernel does the same."""
    from oci_interpreter.sandbox import runner
    from oci_interpreter.sandbox.layers import Layers

    monkeypatch.setattr(runner, "_OVERLAY_BROKEN", {})
    monkeypatch.setattr(runner, "_NOTED", set())
    monkeypatch.setattr(Layers, "new", lambda self: "missing")
    (tmp_path / "data.txt").write_text("x")
    result = attack("open('out.txt', 'w').write('y')", tmp_path, mode)
    assert result.ok and result.workspace == "direct", result
    assert any("copy-on-write" in w for w in result.warnings), result.warnings
    assert (tmp_path / "out.txt").read_text() == "y"
    again = attack("print(1)", tmp_path, mode)  # remembered: no second try, no second note
    assert again.workspace == "direct" and not again.warnings
    runner._OVERLAY_BROKEN.clear()
    with Kernel(tmp_path, sandbox=mode) as kernel:
        cell = kernel.execute("open('k.txt', 'w').write('z')")
        assert cell.ok and cell.workspace == "direct", cell
    assert (tmp_path / "k.txt").read_text() == "z"


# ------------------------------ the kernel surface the program does not need (seccomp) --

_SURFACE = {"x86_64": {"io_uring_setup": 425, "userfaultfd": 323, "perf_event_open": 298,
                       "clone3": 435, "clone": 56},
            "aarch64": {"io_uring_setup": 425, "userfaultfd": 282, "perf_event_open": 241,
                        "clone3": 435, "clone": 220}}


@linux_only
@each_mode
def test_no_user_namespace_io_uring_userfaultfd_or_perf_events(tmp_path: Path,
                                                               mode: str) -> None:
    numbers = _SURFACE.get(os.uname().machine)
    if numbers is None:
        pytest.skip("the system call numbers for this architecture are not in the test")
    program = _LIBC + f"""
import subprocess, sys, threading
def call(name, *args):
    print(name, libc.syscall(*args), ctypes.get_errno())
call("io_uring_setup", {numbers['io_uring_setup']}, 1, None)
call("userfaultfd", {numbers['userfaultfd']}, 0)
call("perf_event_open", {numbers['perf_event_open']}, None, 0, -1, -1, 0)
call("clone3", {numbers['clone3']}, None, 0)
call("clone_newuser", {numbers['clone']}, 0x10000000 | 17, None, None, None, None)
print("unshare_newuser", libc.unshare(0x10000000), ctypes.get_errno())
# what a program does need still works: threads, processes, fork
t = threading.Thread(target=lambda: None); t.start(); t.join()
print(subprocess.run([sys.executable, "-c", "print('child')"], capture_output=True,
                     text=True).stdout.strip())
pid = os.fork()
if pid == 0:
    os._exit(7)
print("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""
    result = attack(program, tmp_path, mode)
    assert result.ok, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    import errno

    for name in ("io_uring_setup", "userfaultfd", "perf_event_open", "clone3"):
        assert lines[name] == f"-1 {errno.ENOSYS}", (name, result.stdout)
    assert lines["clone_newuser"] == f"-1 {errno.EPERM}", result.stdout
    assert lines["unshare_newuser"] == f"-1 {errno.EPERM}", result.stdout
    assert "child" in result.stdout.splitlines() and lines["fork"] == "7", result.stdout
