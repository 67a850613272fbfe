"""`oci exec`: the sandbox as a command, with its JSON result and exit status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from oci_interpreter.cli.main import main_with_status
from tests.test_sandbox import MODES

pytestmark = pytest.mark.spawns

FIELDS = {"exit_code", "stdout", "stderr", "timed_out", "limit", "duration_s",
          "peak_memory_bytes", "files"}


def oci(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main_with_status(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "prog.py"
    path.write_text("import sys\nprint('args', sys.argv[1:])\n"
                    "print('warn', file=sys.stderr)\nraise SystemExit(int(sys.argv[1]))\n")
    return path


def test_json_has_every_field_and_mirrors_the_exit_code(capsys: pytest.CaptureFixture[str],
                                                        script: Path) -> None:
    code, out, _ = oci(capsys, "exec", str(script), "--json", "--", "3", "--flag")
    data = json.loads(out)
    assert set(data) >= FIELDS
    assert data["exit_code"] == 3 and code == 3
    assert data["stdout"] == "args ['3', '--flag']\n" and data["stderr"] == "warn\n"
    assert data["timed_out"] is False and data["limit"] is None
    assert data["duration_s"] > 0 and data["peak_memory_bytes"] > 0
    assert data["files"] == []


@pytest.mark.parametrize(
    ("code", "flags", "limit"),
    [
        ("while True: pass", ["--timeout", "1"], "time"),
        ("x = bytearray(4 * 1024**3)", ["--memory", "128M"], "memory"),
        ("open('f', 'wb').write(b'0' * 10_000_000)", ["--max-file-size", "1M"], "file_size"),
        ("while True: print('y' * 1000)", ["--max-output", "4K"], "output"),
        ("import os, time\nfor _ in range(20):\n    os.fork() or time.sleep(5)\ntime.sleep(5)",
         ["--max-processes", "5"], "processes"),
        ("while True: pass", ["--cpu", "1", "--timeout", "20"], "cpu"),
        ("fs = [open('f', 'w') for _ in range(999)]", ["--max-open-files", "32"], "open_files"),
    ],
)
def test_each_limit_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch, code: str, flags: list[str],
                             limit: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(code)
    status, out, _ = oci(capsys, "exec", "bad.py", "--json", *flags)
    data = json.loads(out)
    assert data["limit"] == limit
    assert data["timed_out"] is (limit == "time")
    assert status != 0


def test_plot_files_are_listed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plot.py").write_text(
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('mine.png')\n"
        "plt.figure(); plt.plot([3, 4]); plt.show()\n")
    code, out, _ = oci(capsys, "exec", "plot.py", "--json", "--timeout", "60")
    data = json.loads(out)
    assert code == 0, data["stderr"]
    # show() saves every open figure: the one already saved by the program too.
    assert data["files"] == [str(tmp_path / name)
                             for name in ("figure-1.png", "figure-2.png", "mine.png")]
    assert data["plots"] == data["files"][:2]


def test_human_output_streams_and_ends_with_a_status_line(capsys: pytest.CaptureFixture[str],
                                                          script: Path) -> None:
    code, out, err = oci(capsys, "exec", str(script), "--", "0")
    assert code == 0
    assert out == "args ['0']\n"
    assert "warn\n" in err
    assert "✓ exit code 0" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["exec", "missing.py"], "missing.py: no such file"),
        (["exec", "."], "is not a file"),
        (["exec", "prog.py", "--memory", "lots"], "--memory lots: write a size such as 512M"),
        (["exec", "prog.py", "--sandbox", "jail"], "--sandbox jail: use auto, bwrap"),
        (["exec", "prog.py", "--cwd", "/no/such/dir"], "no such directory"),
        (["exec", "prog.py", "--timeout", "0"], "timeout"),
        (["exec", "prog.py", "--bogus"], "No such option: --bogus"),
    ],
)
def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], script: Path,
                               args: list[str], needle: str) -> None:
    code, _, err = oci(capsys, *args)
    assert code in (2, 4)
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_installed_command_reads_code_from_stdin(oci_bin: str, tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([oci_bin, "exec", "-", "--json"], input="print(6 * 7)\n",
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stdout"] == "42\n"


def test_installed_command_signal_exit_status(oci_bin: str, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(30)\n")
    proc = subprocess.run([oci_bin, "exec", "slow.py", "--timeout", "1"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, check=False)
    assert proc.returncode == 137
    assert "ran past the time limit (1 s)" in proc.stderr


def test_escape_sequences_do_not_reach_a_terminal(tmp_path: Path, oci_bin: str) -> None:
    pexpect = pytest.importorskip("pexpect")
    (tmp_path / "esc.py").write_text(
        "print('A\\x1b]0;pwned\\x07B\\x1b[2JC\\x1b]8;;http://x\\x1b\\\\D\\u202eE')\n")
    child = pexpect.spawn(oci_bin, ["exec", "esc.py"], cwd=str(tmp_path), encoding="utf-8",
                          env={**os.environ, "NO_COLOR": "1", "TERM": "xterm"}, timeout=60)
    child.expect(pexpect.EOF)
    text = child.before
    assert "ABCDE" in text
    assert "\x1b]" not in text and "\x1b[2J" not in text and "\u202e" not in text


@pytest.mark.parametrize("mode", MODES)
def test_program_dies_with_oci(oci_bin: str, tmp_path: Path, mode: str) -> None:
    """If oci itself is killed, nothing it started runs on without its wall clock."""
    # The beat goes to the sandbox home, which the program writes directly (what it writes
    # in the working directory reaches it only when the run ends: a killed run leaves the
    # directory as it was).
    (tmp_path / "beat.py").write_text(
        "import os, time\nwhile True:\n"
        "    open(os.path.expanduser('~/beat.txt'), 'a').write('x')\n    time.sleep(0.05)\n")
    proc = subprocess.Popen([oci_bin, "exec", "beat.py", "--sandbox", mode, "--timeout", "60"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from oci_interpreter.core import paths

    beat = paths.data_dir() / "sandbox-home" / "beat.txt"
    deadline = time.monotonic() + 30
    while not beat.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert beat.exists()
    proc.kill()
    proc.wait()
    time.sleep(1.0)
    size = beat.stat().st_size
    time.sleep(0.5)
    assert beat.stat().st_size == size, "the program kept running after oci was killed"


def test_ctrl_c_stops_the_program_with_status_130(oci_bin: str, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\nprint('go', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([oci_bin, "exec", "slow.py"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "go\n"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130


@pytest.mark.parametrize(("name", "content", "said"), [
    ("a.sh", b"#!/bin/sh\necho hi\n", "is a script for another interpreter (#!/bin/sh)"),
    ("tool", b"\x7fELF\x02\x01\x01\x00\x00\x00", "is not a Python file"),
    ("b.py", b"print(1)\x00\x00", "looks like a binary file"),
])
def test_exec_refuses_what_is_not_a_python_script(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path, name: str, content: bytes,
                                                  said: str) -> None:
    (tmp_path / name).write_bytes(content)
    code = main_with_status(["exec", str(tmp_path / name)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert said in err and err.count("\n") == 1


@pytest.mark.spawns
@pytest.mark.parametrize("mode", ["none", "auto"])
def test_ocis_own_log_in_the_working_directory_is_not_the_programs_change(
        oci_bin: str, tmp_path: Path, mode: str) -> None:
    # The program's stderr is shown live, into oci's stderr: log.txt grows during the run.
    (tmp_path / "s.py").write_text("import sys\nprint('working', file=sys.stderr)\n"
                                   "open('out.txt', 'w').write('x')\n")
    with (tmp_path / "log.txt").open("w") as log:
        proc = subprocess.run([oci_bin, "exec", "s.py", "--sandbox", mode], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=log, text=True, timeout=60)
    said = (tmp_path / "log.txt").read_text()
    assert proc.returncode == 0 and "working" in said and "out.txt" in said
    assert "log.txt" not in said
