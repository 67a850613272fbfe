"""`oci run` and `oci fix` as commands, with the scripted model (``--model fake:FILE``)
and the real sandbox: output contract, JSON schema, exit codes, and the safety of
fix's writes (atomic, encoding kept, backup, never a truncated file)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oci_interpreter.cli.main import main_with_status
from oci_interpreter.core.errors import ExitStatus


def oci(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main_with_status(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def fake(tmp_path: Path, *replies: str) -> str:
    path = tmp_path / f"replies-{random.randrange(10**9)}.json"
    path.write_text(json.dumps(list(replies)))
    return f"fake:{path}"


def py(code: str) -> str:
    return f"Plan: do it.\n```python\n{code}\n```"


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------ oci run --


@pytest.mark.spawns
def test_run_prints_the_final_output_only(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    model = fake(tmp_path, py("print(sum(int(d) for d in str(2**100)))"), "It is 115.")
    code, out, _err = oci(capsys, "run", "sum of digits of 2**100", "--model", model)
    assert code == 0
    assert out == "115\n"
    assert "\x1b" not in out


@pytest.mark.spawns
def test_run_code_prints_the_program(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    program = "a, b = 0, 1\nfor _ in range(20):\n    a, b = b, a + b\nprint(a)"
    model = fake(tmp_path, py(program), "6765")
    code, out, _ = oci(capsys, "run", "fib", "--code", "--model", model)
    assert code == 0 and out == program + "\n"


@pytest.mark.spawns
def test_run_json_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = fake(tmp_path, py("print(1/0)"), py("print(1/1)"), "It is 1.0.")
    # one program per round, so the second reply is round 2 (the default tries extra
    # candidates in the failed round: see the test after this one)
    code, out, _ = oci(capsys, "run", "divide", "--json", "--candidates", "1", "--model", model)
    assert code == 0
    data = json.loads(out)
    assert data["success"] is True
    assert data["final_code"] == "print(1/1)"
    assert data["final_output"] == "1.0\n"
    assert data["rounds"] == 2
    assert data["stop_reason"] == "done"
    assert data["answer"] == "It is 1.0."
    assert data["stats"]["generations"] == 3 and data["stats"]["executions"] == 2
    kinds = [e["kind"] for e in data["events"]]
    assert kinds.count("execution_end") == 2 and kinds[-1] == "stopped"
    assert "model_text" not in kinds
    failed = next(e for e in data["events"] if e["kind"] == "execution_end")
    assert "ZeroDivisionError" in failed["feedback"]


@pytest.mark.spawns
def test_run_tries_three_candidates_in_a_failed_round_by_default(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = fake(tmp_path, py("print(1/0)"), py("print(2/0)"), py("print(1/1)"), "It is 1.0.")
    code, out, _ = oci(capsys, "run", "divide", "--json", "--model", model)
    data = json.loads(out)
    assert code == 0 and data["final_code"] == "print(1/1)" and data["rounds"] == 1
    runs = [e for e in data["events"] if e["kind"] == "execution_end"]
    assert [e["candidate"] for e in runs] == [0, 1, 2]


@pytest.mark.spawns
def test_run_not_solved_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = fake(tmp_path, *[py(f"raise RuntimeError({i})") for i in range(3)])
    code, out, err = oci(capsys, "run", "x", "--rounds", "2", "--candidates", "1",
                         "--model", model)
    assert code == 1 and out == ""
    assert "not solved: reached the round limit" in err
    code, out, _ = oci(capsys, "run", "x", "--rounds", "2", "--candidates", "1", "--json",
                       "--model", fake(tmp_path, *[py(f"raise RuntimeError({i})")
                                                   for i in range(3)]))
    data = json.loads(out)
    assert code == 1 and data["success"] is False and data["stop_reason"] == "round_cap"
    assert data["final_code"] is None and data["best_attempt"] == "raise RuntimeError(1)"


@pytest.mark.spawns
def test_run_reads_the_task_from_stdin_and_a_file(tmp_path: Path, oci_bin: str) -> None:
    model = fake(tmp_path, py("print('from stdin')"), "done")
    proc = subprocess.run([oci_bin, "run", "-", "--model", model], input="line one\nline two\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "from stdin\n"
    assert "\x1b" not in proc.stdout + proc.stderr  # no TTY: no colour, no progress
    task = tmp_path / "task.txt"
    task.write_text("print something\n")
    proc = subprocess.run([oci_bin, "run", "-f", str(task), "--model",
                           fake(tmp_path, py("print('from file')"), "ok")],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and proc.stdout == "from file\n"


@pytest.mark.parametrize(("args", "message"), [
    (["run"], "no task given"),
    (["run", "   "], "the task is empty"),
    (["run", "-f", "missing.txt"], "missing.txt: no such file"),
    (["run", "x", "-f", "t.txt"], "not both"),
    (["run", "x", "--rounds", "0"], "rounds"),
    (["run", "x", "--strategy", "magic"], "use conversation, fresh or explain"),
    (["run", "x", "--json", "--code"], "cannot be combined"),
])
def test_run_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str],
                          message: str) -> None:
    code, out, err = oci(capsys, *args)
    assert code in (2, 4) and out == ""
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.spawns
def test_run_programs_run_in_the_current_directory(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    model = fake(tmp_path, py("open('out.txt', 'w').write('hi')\nprint('written')"), "Done.")
    code, _out, _ = oci(capsys, "run", "write a file", "--model", model)
    assert code == 0 and (tmp_path / "out.txt").read_text() == "hi"


# ------------------------------------------------------------------ oci fix --

BROKEN = (
    "# -*- coding: latin-1 -*-\r\n"
    "prices = {'caf\xe9': 3, 'th\xe9': 2}\r\n"
    "total = sum(prices.values())\r\n"
    "print('Total: ' + total)\r\n"
)
FIXED = (
    "# -*- coding: latin-1 -*-\n"
    "prices = {'caf\xe9': 3, 'th\xe9': 2}\n"
    "total = sum(prices.values())\n"
    "print('Total: ' + str(total))\n"
)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "shop.py"
    path.write_bytes(BROKEN.encode("latin-1"))
    path.chmod(0o754)
    return path


@pytest.mark.spawns
def test_fix_writes_with_yes_keeping_encoding_newlines_mode_and_backup(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, broken: Path) -> None:
    model = fake(tmp_path, "Line 4 adds an int to a str.\n```python\n" + FIXED + "```")
    code, out, err = oci(capsys, "fix", str(broken), "--yes", "--model", model)
    assert code == 7, err  # no --test or -m: written, but unverified (exit 7)
    assert "+print('Total: ' + str(total))" in out and "-print('Total: ' + total)" in out
    assert broken.read_bytes() == FIXED.replace("\n", "\r\n").encode("latin-1")
    assert oct(broken.stat().st_mode & 0o777) == oct(0o754)
    assert (tmp_path / "shop.py.orig").read_bytes() == BROKEN.encode("latin-1")
    assert "wrote the change to" in err and "nothing checked what it computes" in err
    assert not list(tmp_path.glob(".shop.oci-*"))  # no temporary copies left


@pytest.mark.spawns
@pytest.mark.parametrize("flag", ["--diff", "--dry-run"])
def test_fix_diff_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 broken: Path, flag: str) -> None:
    model = fake(tmp_path, "```python\n" + FIXED + "```")
    code, out, _err = oci(capsys, "fix", str(broken), flag, "--model", model)
    assert code == 7 and out.startswith("--- a/shop.py\n+++ b/shop.py\n")
    assert broken.read_bytes() == BROKEN.encode("latin-1")
    assert not (tmp_path / "shop.py.orig").exists()


@pytest.mark.spawns
def test_fix_without_a_terminal_or_yes_writes_nothing(tmp_path: Path, broken: Path,
                                                      oci_bin: str) -> None:
    model = fake(tmp_path, "```python\n" + FIXED + "```")
    proc = subprocess.run([oci_bin, "fix", str(broken), "--model", model],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 7  # no --test or -m: written, but unverified (exit 7)
    assert "--yes" in proc.stderr
    assert broken.read_bytes() == BROKEN.encode("latin-1")


@pytest.mark.spawns
def test_fix_failure_leaves_the_file_byte_for_byte(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path, broken: Path) -> None:
    attempts = [f"```python\nprint('Total: ' + total + {i})\n```" for i in range(3)]
    code, out, _err = oci(capsys, "fix", str(broken), "--rounds", "3", "--candidates", "1",
                          "--json", "--model", fake(tmp_path, *attempts))
    data = json.loads(out)
    assert code == 1 and data["success"] is False and data["written"] is False
    assert data["stop_reason"] == "round_cap" and data["rounds"] == 3
    assert data["best_attempt"] and data["diff"]
    assert broken.read_bytes() == BROKEN.encode("latin-1")


@pytest.mark.spawns
def test_fix_merges_a_partial_answer(capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    path = tmp_path / "calc.py"
    path.write_text("def double(x):\n    return x * 2\n\n\ndef half(x):\n    return x / 0\n\n\n"
                    "print(double(3), half(8))\n")
    model = fake(tmp_path, "Only half is wrong:\n```python\ndef half(x):\n    return x / 2\n```")
    code, _out, err = oci(capsys, "fix", str(path), "--yes", "--model", model)
    assert code == 7, err  # no --test or -m: written, but unverified (exit 7)
    assert path.read_text() == ("def double(x):\n    return x * 2\n\n\ndef half(x):\n"
                                "    return x / 2\n\n\nprint(double(3), half(8))\n")


@pytest.mark.spawns
def test_fix_with_a_test_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "mathx.py").write_text("def add(a, b):\n    return a - b\n")
    (tmp_path / "check.py").write_text("from mathx import add\nassert add(2, 3) == 5, add(2, 3)\n"
                                       "print('ok')\n")
    model = fake(tmp_path, "```python\ndef add(a, b):\n    return a + b\n```")
    code, _out, err = oci(capsys, "fix", "mathx.py", "--test", f"{sys.executable} check.py",
                         "--yes", "--model", model)
    assert code == 0, err
    assert (tmp_path / "mathx.py").read_text() == "def add(a, b):\n    return a + b\n"


@pytest.mark.spawns
def test_fix_nothing_to_fix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "ok.py"
    path.write_text("print('fine')\n")
    code, _out, err = oci(capsys, "fix", str(path), "--model", "fake:/nonexistent.json")
    assert code == 0 and "nothing to fix" in err  # the model was never loaded
    assert path.read_text() == "print('fine')\n"


@pytest.mark.spawns
def test_fix_passes_arguments_to_the_script(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    path = tmp_path / "args.py"
    path.write_text("import sys\nprint(int(sys.argv[1]) + 1)\n")
    code, _, err = oci(capsys, "fix", str(path), "--model", "fake:/x.json", "--", "41")
    assert code == 0 and "nothing to fix" in err


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "directory"),
    (lambda p: p.write_bytes(b"\x00\x01\x02binary"), "binary"),
    (lambda p: (p.with_suffix(".txt").write_text("hello"), p.symlink_to(p.with_suffix(".txt"))),
     "symlink"),
])
def test_fix_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path, setup: object,
                       message: str) -> None:
    path = tmp_path / "target.py"
    setup(path)  # type: ignore[operator]
    code, out, err = oci(capsys, "fix", str(path), "--model", "fake:/x.json")
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_fix_not_python(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# notes\n")
    code, _, err = oci(capsys, "fix", str(path), "--model", "fake:/x.json")
    assert code == 2 and "Python" in err


@pytest.mark.spawns
def test_fix_too_large_for_the_context(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    # Only the code the failure involves must fit (issue 36): here one function of
    # 3,000 lines, and the message names it.
    path = tmp_path / "big.py"
    path.write_text("def main():\n" + "    x = 1\n" * 3000 + "    print(y)\n\n\nmain()\n")
    code, _, err = oci(capsys, "fix", str(path), "--n-ctx", "2048", "--model",
                       fake(tmp_path, "no"))
    assert code == 2 and "too large for the model's context" in err
    assert "the largest, `main`, has 3002 lines" in err


@pytest.mark.spawns
def test_fix_of_a_long_script_without_functions_shows_the_lines_near_the_failure(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """3,000 top-level lines, the bug in the last: the request fits a small context, the
    reply of the one changed line is applied there, and the rest stays byte-identical."""
    path = tmp_path / "big.py"
    original = "".join(f"x{i} = {i}\n" for i in range(3000)) + "print('total: ' + x2999)\n"
    path.write_text(original)
    model = fake(tmp_path, "Use str().\n```python\nprint('total: ' + str(x2999))\n```")
    code, _, err = oci(capsys, "fix", str(path), "--n-ctx", "2048", "--model", model,
                       "--yes", "--no-backup")
    assert code == ExitStatus.UNVERIFIED, err
    assert path.read_text() == original.replace("+ x2999)", "+ str(x2999))")


@pytest.mark.spawns
def test_fix_killed_during_the_write_never_truncates(tmp_path: Path, oci_bin: str) -> None:
    """SIGKILL `oci fix --yes` at random moments: the file is always the old or the new."""
    old = "data = [" + ", ".join(str(i) for i in range(60000)) + "]\nprint(undefined)\n"
    new = old.replace("print(undefined)", "print(len(data))")
    model_file = tmp_path / "replies.json"
    model_file.write_text(json.dumps(["```python\n" + new + "```"]))
    target = tmp_path / "big.py"
    command = [oci_bin, "fix", str(target), "--yes", "--n-ctx", "1000000",
               "--model", f"fake:{model_file}"]
    target.write_text(old)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert done.returncode == 7, done.stderr  # written, unverified (no --test or -m)
    whole = time.monotonic() - started
    assert target.read_text() == new
    rng = random.Random(7)
    outcomes = set()
    # Spread the kills over the whole run, the last ones near its end (the write); runs
    # vary in length on a shared machine, so later kills come later until one run got as
    # far as writing (the kill was not always early).
    delays = [0.5 + 0.6 * i / 9 for i in range(10)] + [1.3 + 0.3 * k for k in range(8)]
    for i, fraction in enumerate(delays):
        if i >= 10 and True in outcomes:
            break
        target.write_text(old)
        for leftover in tmp_path.glob("big.py.orig*"):
            leftover.unlink()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(whole * fraction * rng.uniform(0.9, 1.1))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        text = target.read_text()
        assert text in (old, new)
        outcomes.add(text == new)
    assert True in outcomes
    for stray in tmp_path.glob(".big.*"):
        assert stray.name.endswith((".oci-tmp", ".py")), stray  # temp files only, never big.py


@pytest.mark.spawns
def test_a_refused_working_directory_is_said_before_any_model_loads(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "s.py"
    script.write_text("raise SystemExit(1)\n")
    for args in (["run", "x", "--model", "/no/such/model.gguf"],
                 ["chat", "--model", "/no/such/model.gguf"], ["exec", str(script)]):
        code, _out, err = oci(capsys, *args)
        assert code == 2, (args, err)
        assert "home directory" in err and "--allow-home" in err
        assert "model file not found" not in err
    code, _out, err = oci(capsys, "fix", str(script), "--model", "/no/such/model.gguf")
    assert code == 2 and "home directory" in err


# --------------------------------------------------------------- piped data --

@pytest.mark.spawns
def test_piped_data_reaches_the_program_of_oci_run(tmp_path: Path, oci_bin: str) -> None:
    program = ("import sys\nrows = [line.split(',') for line in sys.stdin if line.strip()]\n"
               "print(sum(int(r[1]) for r in rows))")
    model = fake(tmp_path, py(program), "The sum is 6.")
    proc = subprocess.run([oci_bin, "run", "sum the second column of the CSV on stdin",
                           "--json", "--model", model], input="a,1\nb,2\nc,3\n",
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["final_output"] == "6\n"
    first_prompt = report["events"][0]
    assert report["task"].startswith("sum the second column")
    assert "stdin.txt" in report["task"] and "a,1" in report["task"]  # the model was told
    assert not (tmp_path / "stdin.txt").exists()  # oci's file, removed afterwards
    assert first_prompt["kind"] == "model_start"


@pytest.mark.spawns
def test_piped_data_reaches_the_script_of_oci_exec(tmp_path: Path, oci_bin: str) -> None:
    (tmp_path / "inp.py").write_text("name = input()\nprint(f'Hello, {name}!')\n")
    proc = subprocess.run([oci_bin, "exec", "inp.py"], input="Bob\n", capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello, Bob!\n"
    quiet = subprocess.run([oci_bin, "exec", "inp.py"], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert quiet.returncode == 1 and "EOFError" in quiet.stderr  # nothing piped: no input


@pytest.mark.spawns
def test_fix_of_a_script_in_a_subdirectory_names_it_as_given(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    script = sub / "s.py"
    script.write_text("total = 1\nprint(totl)\n")
    model = fake(tmp_path, "```python\ntotal = 1\nprint(total)\n```")
    code, out, err = oci(capsys, "fix", "sub/s.py", "--yes", "--model", model)
    assert code == 7, err  # no --test or -m: written, but unverified (exit 7)
    assert out.startswith("--- a/sub/s.py\n+++ b/sub/s.py\n")  # patch -p1 applies it
    assert "sub/s.py.orig" in " ".join(err.split())


@pytest.mark.spawns
def test_fix_refuses_to_write_a_read_only_file(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    script = tmp_path / "ro.py"
    script.write_text("total = 1\nprint(totl)\n")
    script.chmod(0o444)
    model = fake(tmp_path, "```python\ntotal = 1\nprint(total)\n```")
    code, _out, err = oci(capsys, "fix", str(script), "--yes", "--model", model)
    assert code == 2 and "read-only" in err and "nothing written" in err
    assert script.read_text() == "total = 1\nprint(totl)\n"
    assert not (tmp_path / "ro.py.orig").exists()


@pytest.mark.spawns
def test_fix_with_a_test_command_that_is_not_there(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("total = 5\nprint('Total: ' + total)\n")
    code, out, err = oci(capsys, "fix", "t.py", "--test", "nosuch-tester -q", "--yes",
                         "--model", fake(tmp_path, "no"))
    assert code == 2 and out == ""
    assert "the --test command can never pass: `nosuch-tester` was not found (exit 127)" in err
    assert (tmp_path / "t.py").read_text() == "total = 5\nprint('Total: ' + total)\n"


@pytest.mark.spawns
def test_the_diff_of_a_crlf_file_applies_with_git_and_patch(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = b"total = 5\r\nprint('Total: ' + total)\r\nprint('done')\r\n"
    (tmp_path / "w.py").write_bytes(broken)
    model = fake(tmp_path, py("total = 5\nprint('Total: ' + str(total))\nprint('done')"))
    code, out, _ = oci(capsys, "fix", "w.py", "--diff", "--model", model)
    assert code == ExitStatus.UNVERIFIED and "\r\n" in out
    (tmp_path / "fix.diff").write_bytes(out.encode())
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run(["git", "apply", "--check", "fix.diff"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    if shutil.which("patch"):
        proc = subprocess.run(["patch", "-p1", "--dry-run", "-i", "fix.diff"], cwd=tmp_path,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    subprocess.run(["git", "apply", "fix.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "w.py").read_bytes() == broken.replace(b"+ total)", b"+ str(total))")
