"""The hostile battery: programs a model might write, and what the sandbox must do.

Every test runs under each containment available here (bubblewrap, unshare,
plain processes) and checks: the run returns within its limit plus a small
margin, the result names the cause, and no process of the run is left.
"""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from oci_interpreter.core.errors import SandboxError, UsageError
from oci_interpreter.sandbox import containment
from oci_interpreter.sandbox.environment import MARKER
from oci_interpreter.sandbox.limits import ExecResult, Limits, MiB
from oci_interpreter.sandbox.runner import run_program

pytestmark = pytest.mark.spawns

MARGIN = 3.0  # seconds a run may take beyond its own limit on a busy 2-core machine


def _available(mode: str) -> bool:
    try:
        return containment.probe(mode).mode == mode
    except UsageError:
        return False


MODES = [m for m in ("bwrap", "unshare", "none") if _available(m)]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# Every program these tests start inherits this variable: the leftovers check looks only
# at them, not at the sandboxed programs of other work on the machine (a running
# `oci bench`, another checkout's tests).
RUN_ID = uuid.uuid4().hex
os.environ["SANDBOX_TESTS_RUN"] = RUN_ID


def leftovers() -> list[psutil.Process]:
    """Sandboxed processes of these tests still alive: every one carries the sandbox's
    environment marker and this test run's id.

    (The tests run one at a time, so after a run there must be none at all.)
    """
    found = []
    for proc in psutil.process_iter():
        try:
            env = proc.environ()
            if (proc.pid != os.getpid() and MARKER in env
                    and env.get("SANDBOX_TESTS_RUN") == RUN_ID
                    and proc.status() != psutil.STATUS_ZOMBIE):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def hostile(code: str, mode: str, cwd: Path, **limits: object) -> tuple[ExecResult, float]:
    """Run code; assert nothing of it survives; return the result and wall time."""
    source = textwrap.dedent(code)
    start = time.monotonic()
    result = run_program(code=source, cwd=cwd, limits=Limits(**limits), sandbox=mode)  # type: ignore[arg-type]
    elapsed = time.monotonic() - start
    assert leftovers() == [], f"processes left behind: {leftovers()}"
    return result, elapsed


# ----------------------------------------------------------------- basics --


def test_output_exit_code_and_traceback_without_sandbox_frames(mode: str, tmp_path: Path) -> None:
    result, _ = hostile("""
        import sys
        print("hello")
        print("oops", file=sys.stderr)
        def f():
            return 1 / 0
        f()
    """, mode, tmp_path)
    assert result.stdout == "hello\n"
    assert result.exit_code == 1
    assert result.limit is None and not result.timed_out
    assert "ZeroDivisionError: division by zero" in result.stderr
    assert "return 1 / 0" in result.stderr  # source lines are shown for code strings
    assert "_inside" not in result.stderr and "runpy" not in result.stderr  # no frame of oci's
    assert result.error == "ZeroDivisionError: division by zero"
    assert result.sandbox == mode
    assert result.peak_memory_bytes > 1 * MiB


def test_file_with_arguments_and_exit_status(mode: str, tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text("import sys\nprint(sys.argv[1:])\nraise SystemExit(7)\n")
    result = run_program(path=script, args=["a b", "--flag"], cwd=tmp_path, sandbox=mode)
    assert result.stdout == "['a b', '--flag']\n"
    assert result.exit_code == 7


def test_a_long_program_is_not_limited_by_argv(mode: str, tmp_path: Path) -> None:
    body = "".join(f"v{i} = {i}\n" for i in range(40_000))  # ~400 KiB of code
    result, _ = hostile(body + "print(v39999)", mode, tmp_path)
    assert result.stdout == "39999\n"


def test_script_outside_the_working_directory(mode: str, tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "work").mkdir()
    script = tmp_path / "code" / "s.py"
    script.write_text("import os\nprint(os.getcwd())\n")
    result = run_program(path=script, cwd=tmp_path / "work", sandbox=mode)
    assert result.stdout == f"{tmp_path / 'work'}\n", result.stderr


def test_os_exit_and_death_by_signal(mode: str, tmp_path: Path) -> None:
    assert hostile("import os; os._exit(3)", mode, tmp_path)[0].exit_code == 3
    result, _ = hostile("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", mode, tmp_path)
    assert result.exit_code == -15
    assert result.describe() == "killed by signal SIGTERM"


def test_stdin_is_closed_input_gets_eof_at_once(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("name = input('Your name: ')\nprint(name)", mode, tmp_path,
                              timeout=10)
    assert elapsed < 5
    assert result.stdin_read
    assert "EOFError" in result.stderr


def test_segfault_and_deep_recursion(mode: str, tmp_path: Path) -> None:
    result, _ = hostile("import ctypes; ctypes.string_at(0)", mode, tmp_path)
    assert result.exit_code == -11
    assert result.limit is None
    assert "Segmentation fault" in result.stderr  # faulthandler shows where
    result, _ = hostile("def f(n): return f(n + 1)\nf(0)", mode, tmp_path)
    assert result.exit_code == 1 and "RecursionError" in result.stderr


def test_changes_directory_and_deletes_files_inside_workdir(mode: str, tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("bye")
    (tmp_path / "sub").mkdir()
    result, _ = hostile("""
        import os
        os.remove("old.txt")
        os.chdir("sub")
        open("new.txt", "w").write("hi")
        print(os.getcwd().endswith("sub"))
    """, mode, tmp_path)
    assert result.stdout == "True\n"
    assert not (tmp_path / "old.txt").exists()
    assert result.files == (str(tmp_path / "sub" / "new.txt"),)


def test_escape_sequences_are_kept_for_the_model(mode: str, tmp_path: Path) -> None:
    result, _ = hostile(r"print('\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m')", mode, tmp_path)
    assert "\x1b]0;pwned\x07" in result.stdout  # the UI sanitizes before display


def test_environment_is_scrubbed(mode: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_API_KEY", "sk-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-secret")
    monkeypatch.setenv("HARMLESS_SETTING", "kept")
    result, _ = hostile("""
        import os
        print(sorted(k for k in os.environ if "SECRET" in os.environ[k]))
        print(os.environ.get("HARMLESS_SETTING"))
        print(os.environ["HOME"] != os.path.expanduser("~root"))
    """, mode, tmp_path)
    assert result.stdout.splitlines() == ["[]", "kept", "True"]


# ------------------------------------------------------------- time & cpu --


def test_infinite_loop_hits_the_wall_clock(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("while True:\n    pass", mode, tmp_path, timeout=1.5)
    assert result.limit == "time" and result.timed_out
    assert 1.4 < elapsed < 1.5 + MARGIN
    assert result.exit_code < 0


def test_busy_loop_ignoring_sigterm(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("""
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            time.sleep(0)
    """, mode, tmp_path, timeout=1.5)
    assert result.limit == "time"
    assert elapsed < 1.5 + MARGIN


def test_cpu_limit(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("while True:\n    pass", mode, tmp_path, timeout=20, cpu=1)
    assert result.limit == "cpu"
    assert elapsed < 1 + MARGIN + 2


# ------------------------------------------------------------------ memory --


def test_one_huge_allocation(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("x = bytearray(8 * 1024**3)", mode, tmp_path, memory=256 * MiB)
    assert result.limit == "memory"
    assert "MemoryError" in result.stderr
    assert elapsed < MARGIN


def test_slow_memory_growth(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("""
        chunks = []
        while True:
            chunks.append(b"x" * 4_000_000)
    """, mode, tmp_path, memory=256 * MiB, timeout=20)
    assert result.limit == "memory"
    assert result.peak_memory_bytes > 128 * MiB
    assert elapsed < 10


def test_memory_spread_over_processes(mode: str, tmp_path: Path) -> None:
    # Each process stays under the per-process limit; together they pass it.
    result, elapsed = hostile("""
        import os, time
        for _ in range(6):
            if os.fork() == 0:
                block = b"x" * 150_000_000
                time.sleep(30)
                os._exit(0)
        time.sleep(30)
    """, mode, tmp_path, memory=512 * MiB, timeout=20)
    assert result.limit == "memory"
    assert elapsed < 15


# --------------------------------------------------------------- processes --


def test_fork_bomb(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("""
        import os, time
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.01)
    """, mode, tmp_path, processes=32, timeout=20)
    assert result.limit == "processes"
    assert elapsed < 10


def test_daemon_grandchild_in_new_session_is_killed(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                while True:
                    with open("beat.txt", "a") as fh:
                        fh.write("x")
                    time.sleep(0.05)
            os._exit(0)
        time.sleep(0.3)
        print("parent done")
    """, mode, tmp_path, timeout=10)
    assert result.exit_code == 0 and result.stdout == "parent done\n"
    beat = tmp_path / "beat.txt"
    size = beat.stat().st_size
    time.sleep(0.3)
    assert beat.stat().st_size == size, "the daemon kept running after the result"
    assert elapsed < 5


def test_grandchild_holding_the_pipes_does_not_hang_the_run(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                         start_new_session=True)
        print("started")
    """, mode, tmp_path, timeout=20)
    assert result.exit_code == 0 and result.stdout == "started\n"
    assert elapsed < 5


# ------------------------------------------------------------------ output --


def test_stdout_flood_is_capped_and_killed(mode: str, tmp_path: Path) -> None:
    me = psutil.Process()
    before = me.memory_info().rss
    result, elapsed = hostile("""
        while True:
            print("spam " * 20)
    """, mode, tmp_path, max_output=256 * 1024, flood_factor=64, timeout=30)
    grown = me.memory_info().rss - before
    assert result.limit == "output"
    assert result.stdout_bytes >= 256 * 1024 * 64 - 200_000
    assert len(result.stdout) < 256 * 1024 + 1000
    assert "bytes of output elided" in result.stdout
    assert result.stdout.startswith("spam spam")
    assert grown < 32 * MiB, f"oci grew by {grown} bytes reading a 16 MiB flood"
    assert elapsed < 30


def test_stderr_flood(mode: str, tmp_path: Path) -> None:
    result, _ = hostile("""
        import sys
        while True:
            sys.stderr.write("err " * 100 + "\\n")
    """, mode, tmp_path, max_output=64 * 1024, timeout=30)
    assert result.limit == "output"
    assert len(result.stderr) < 64 * 1024 + 1000


def test_large_output_below_the_flood_limit_keeps_head_and_tail(mode: str, tmp_path: Path) -> None:
    result, _ = hostile("""
        for i in range(100_000):
            print(f"line {i}")
    """, mode, tmp_path, max_output=64 * 1024, flood_factor=100)
    assert result.limit is None and result.exit_code == 0
    assert result.stdout.startswith("line 0\nline 1\n")
    assert result.stdout.endswith("line 99999\n")
    assert "elided" in result.stdout
    assert result.output_capped


def test_one_enormous_line_without_newline(mode: str, tmp_path: Path) -> None:
    result, _ = hostile("""
        import sys
        sys.stdout.write("A" * 3_000_000 + "END")
    """, mode, tmp_path, max_output=64 * 1024, flood_factor=100)
    assert result.stdout.startswith("AAAA") and result.stdout.endswith("END")
    assert len(result.stdout) < 64 * 1024 + 1000


def test_binary_and_invalid_utf8_output(mode: str, tmp_path: Path) -> None:
    result, _ = hostile(r"""
        import sys
        sys.stdout.buffer.write(b"ok \xff\xfe\x00\x80 bytes\n" + bytes(range(256)))
    """, mode, tmp_path)
    assert result.exit_code == 0
    assert result.stdout.startswith("ok \ufffd\ufffd\x00\ufffd bytes\n")


# ------------------------------------------------------------------- files --


def test_huge_file_hits_the_file_size_limit(mode: str, tmp_path: Path) -> None:
    result, elapsed = hostile("""
        with open("big.bin", "wb") as fh:
            while True:
                fh.write(b"\\0" * 1_000_000)
    """, mode, tmp_path, file_size=8 * MiB)
    assert result.limit == "file_size"
    assert (tmp_path / "big.bin").stat().st_size <= 8 * MiB
    assert elapsed < MARGIN


def test_too_many_open_files(mode: str, tmp_path: Path) -> None:
    result, _ = hostile("""
        handles = [open("f.txt", "w") for _ in range(10_000)]
    """, mode, tmp_path, open_files=64)
    assert result.limit == "open_files"


# ----------------------------------------------------------- containment --


def _listener() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    threading.Thread(target=lambda: [server.accept() for _ in range(2)], daemon=True).start()
    return server, server.getsockname()[1]


def test_network_is_off_unless_allowed(mode: str, tmp_path: Path) -> None:
    server, port = _listener()
    code = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            print("connected")
        except OSError as exc:
            print("blocked", exc.errno)
    """
    try:
        off, _ = hostile(code, mode, tmp_path)
        on, _ = hostile(code, mode, tmp_path, allow_network=True)
    finally:
        server.close()
    assert on.stdout == "connected\n" and on.network == "on"
    if mode == "none":
        assert off.network == "not enforced"
        assert containment.probe("none").note  # said, not pretended
    else:
        assert off.stdout.startswith("blocked") and off.network == "off"


def test_program_cannot_see_or_signal_oci(mode: str, tmp_path: Path) -> None:
    if mode == "none":
        pytest.skip("without a PID namespace the program can signal oci (documented)")
    result, _ = hostile(f"""
        import os, signal
        try:
            os.kill({os.getpid()}, signal.SIGKILL)
            print("sent")
        except ProcessLookupError:
            print("not visible")
        os.kill(-1, signal.SIGKILL)
    """, mode, tmp_path)
    assert result.stdout == "not visible\n"


@pytest.mark.parametrize("sealed", [m for m in MODES if m in ("bwrap", "unshare")])
def test_the_file_system_is_read_only_outside_the_working_directory(sealed: str,
                                                                     tmp_path: Path) -> None:
    """bubblewrap builds it; under unshare the supervisor builds the same view."""
    # a name of its own: a /tmp/x that something else left on the host proves nothing
    probe = f"/tmp/oci-probe-{uuid.uuid4().hex}"
    result, _ = hostile(f"""
        import os, stat
        for path in ("/etc/oci-test", "/usr/oci-test", "/dev/oci-test", "{probe}",
                     "/dev/shm/x", "here.txt"):
            try:
                open(path, "w").write("x")
                print("wrote", path)
            except OSError:
                print("refused", path)
        print("proc/sys read-only", bool(os.statvfs("/proc/sys").f_flag & os.ST_RDONLY))
        # a /dev of its own: no disks, no terminals of the user's
        disks = [n for n in os.listdir("/dev") if stat.S_ISBLK(os.lstat("/dev/" + n).st_mode)]
        print("block devices", disks, "ptys", sorted(os.listdir("/dev/pts"))[:3])
        open("/dev/null", "w").write("fine")
        print("random", len(open("/dev/urandom", "rb").read(8)))
    """, sealed, tmp_path)
    assert result.stdout.splitlines() == [
        "refused /etc/oci-test", "refused /usr/oci-test", "refused /dev/oci-test",
        f"wrote {probe}", "wrote /dev/shm/x", "wrote here.txt", "proc/sys read-only True",
        "block devices [] ptys ['ptmx']", "random 8"], result.stderr
    assert not Path(probe).exists(), "the program wrote the host's /tmp"
    assert (tmp_path / "here.txt").read_text() == "x"


def test_missing_workdir_is_a_sandbox_error(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="does not exist"):
        run_program(code="pass", cwd=tmp_path / "nope")


def test_plots_are_saved_as_png(mode: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    if os.environ.get("SANDBOX_TEST_PACKAGES_FROM_PYTHONPATH"):
        # test_sandbox_nonroot.py fell back to a system interpreter and reaches this venv's
        # packages through PYTHONPATH, which the sandbox does not pass on to programs.
        pytest.skip("matplotlib is not installed for the interpreter programs run with")
    result, _ = hostile("""
        import matplotlib.pyplot as plt
        plt.plot([1, 2, 3], [1, 4, 9])
        plt.show()
        plt.figure()
        plt.bar(["a", "b"], [3, 5])
        print("done")
    """, mode, tmp_path, timeout=60)
    assert result.exit_code == 0, result.stderr
    assert result.plots == (str(tmp_path / "figure-1.png"), str(tmp_path / "figure-2.png"))
    assert set(result.plots) <= set(result.files)
    for plot in result.plots:
        assert Path(plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_limits_are_validated() -> None:
    with pytest.raises(UsageError, match="memory"):
        Limits(memory=1024)
    assert Limits(timeout=5).cpu_seconds == 6


def test_python_is_the_running_interpreter(tmp_path: Path) -> None:
    result = run_program(code="import sys; print(sys.executable)", cwd=tmp_path)
    assert Path(result.stdout.strip()).resolve() == Path(sys.executable).resolve()
