"""`oci run` never calls an apology an answer (issue 37): a program whose output reports a
failure it caught (a missing module, no network, a missing file, its own "Error:") or
that did not make the file the task asks for is a failed round; with no better round the
run is not solved (exit 1), with the reason in one line, in text and in --json."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from oci_interpreter.agent.answers import error_report, named_outputs
from oci_interpreter.backend.base import Backend
from oci_interpreter.cli.environment import Environment
from oci_interpreter.cli.main import main_with_status
from tests.test_run_fix_cli import fake, py

# ------------------------------------------------------------ pure checks --


def test_a_caught_import_error_printed_is_a_report() -> None:
    code = ("try:\n    import pandas\nexcept ModuleNotFoundError:\n"
            "    print(\"The 'pandas' module is not installed. Please install it.\")\n")
    report = error_report(code, "The 'pandas' module is not installed. Please install it.\n",
                          (1, 2, 3, 4))
    assert report is not None and report.kind == "module" and report.module == "pandas"


def test_a_narrow_network_except_printed_is_a_report() -> None:
    code = ("import urllib.request, urllib.error\ntry:\n"
            "    urllib.request.urlopen('https://example.com')\n"
            "except urllib.error.URLError as e:\n    print(f'Error: {e}')\n")
    out = "Error: <urlopen error [Errno -3] Temporary failure in name resolution>\n"
    report = error_report(code, out, (1, 2, 3, 4, 5))
    assert report is not None and report.kind == "network"


def test_a_handler_that_did_not_run_is_no_report() -> None:
    code = "try:\n    x = int('4')\nexcept ValueError:\n    print('Error: bad number')\nprint(x)\n"
    assert error_report(code, "4\n", (1, 2, 5)) is None


def test_data_that_looks_like_an_error_is_no_report_when_the_task_asks_for_it() -> None:
    code = ("lines = open('app.log').read().splitlines()\n"
            "for line in lines:\n    if line.startswith('Error:'):\n        print(line)\n")
    out = "Error: disk full\n"
    assert error_report(code, out, (1, 2, 3, 4), task="print the Error: lines of app.log") \
        is None
    # Output that is data, not the program's own words or a caught error: no report.
    assert error_report("print(open('a.txt').read())\n", "Error: disk full\n", (1,)) is None


def test_skipping_bad_rows_is_not_an_error_report() -> None:
    code = ("total = 0\nfor v in ['1', 'x', '3']:\n    try:\n        total += int(v)\n"
            "    except ValueError:\n        continue\nprint(total)\n")
    assert error_report(code, "4\n", (1, 2, 3, 4, 5, 6, 7)) is None


def test_named_outputs_are_files_the_task_asks_to_make(tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text("region,amount\n")
    task = ("read sales.csv and save a bar chart of the total amount per region to "
            "regions.png; print the totals")
    assert named_outputs(task, tmp_path) == ("regions.png",)
    assert named_outputs("print the first line of notes.txt", tmp_path) == ()


# -------------------------------------------------------- through oci run --

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def oci(oci_bin: str, tmp_path: Path) -> Run:
    """The installed `oci` (a subprocess: the user's path) in ``tmp_path``: exit status,
    stdout, stderr."""
    def run(*args: str) -> tuple[int, str, str]:
        proc = subprocess.run([oci_bin, *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout, proc.stderr

    return run


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


APOLOGY = ("try:\n    import surely_not_installed_here\nexcept ModuleNotFoundError:\n"
           "    print(\"The 'surely_not_installed_here' module is not installed. Please "
           "install it using pip install surely_not_installed_here.\")")


@pytest.mark.spawns
def test_a_missing_module_reported_is_not_solved(oci: Run, tmp_path: Path) -> None:
    model = fake(tmp_path, py(APOLOGY), "Sorry.")
    code, out, err = oci("run", "make a chart", "--json", "--rounds", "1",
                         "--candidates", "1", "--model", model)
    report = json.loads(out)
    assert code == 1 and report["success"] is False
    assert "surely_not_installed_here is not installed where programs run" in report["message"]
    code, out, err = oci("run", "make a chart", "--rounds", "1", "--candidates", "1",
                         "--model", fake(tmp_path, py(APOLOGY)))
    assert code == 1 and out == ""
    assert "not solved" in err and "is not installed where programs run" in err
    assert err.count("\n") == 1


@pytest.mark.spawns
def test_a_network_error_reported_is_not_solved(oci: Run, tmp_path: Path) -> None:
    program = ("import urllib.request, urllib.error\ntry:\n"
               "    print(urllib.request.urlopen('http://example.com', timeout=3).read()[:50])\n"
               "except urllib.error.URLError as e:\n    print(f'Error: {e}')")
    code, out, _ = oci("run", "print the title of http://example.com", "--json",
                       "--rounds", "1", "--candidates", "1", "--model",
                       fake(tmp_path, py(program)))
    report = json.loads(out)
    assert code == 1 and "the network is off where programs run" in report["message"]


@pytest.mark.spawns
def test_a_missing_file_reported_is_not_solved(oci: Run, tmp_path: Path) -> None:
    program = ("try:\n    print(len(open('data.csv').read()))\n"
               "except FileNotFoundError:\n    print('Error: data.csv not found')")
    code, out, _ = oci("run", "count the bytes of the data file", "--json",
                       "--rounds", "1", "--candidates", "1", "--model",
                       fake(tmp_path, py(program)))
    assert code == 1 and "missing or unreadable" in json.loads(out)["message"]


@pytest.mark.spawns
def test_a_file_the_task_names_must_exist(oci: Run, tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text("region,amount\nnorth,3\nsouth,4\n")
    task = "read sales.csv, save the total per region to totals.json and print the totals"
    lazy = ("import csv\nfor row in csv.DictReader(open('sales.csv')):\n"
            "    print(row['region'], row['amount'])")
    code, out, _ = oci("run", task, "--json", "--rounds", "1", "--candidates", "1",
                       "--model", fake(tmp_path, py(lazy)))
    assert code == 1 and "asks for totals.json" in json.loads(out)["message"]
    done = ("import csv, json\nrows = list(csv.DictReader(open('sales.csv')))\n"
            "totals = {r['region']: int(r['amount']) for r in rows}\n"
            "json.dump(totals, open('totals.json', 'w'))\nprint(totals)")
    code, out, _ = oci("run", task, "--json", "--rounds", "1", "--candidates", "1",
                       "--model", fake(tmp_path, py(done), "Done."))
    assert code == 0 and json.loads(out)["success"] is True
    assert (tmp_path / "totals.json").exists()


@pytest.mark.spawns
def test_printing_error_lines_the_task_asks_for_is_solved(oci: Run, tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text("ok: start\nError: disk full\nok: end\n")
    program = ("for line in open('app.log'):\n    if line.startswith('Error:'):\n"
               "        print(line.strip())")
    code, out, _ = oci("run", "print the lines of app.log that start with Error:",
                       "--rounds", "1", "--candidates", "1", "--model",
                       fake(tmp_path, py(program), "Done."))
    assert code == 0 and out == "Error: disk full\n"


# ----------------------------------------------------------- the data stack --

def test_the_model_is_told_which_packages_programs_may_import() -> None:
    from oci_interpreter.agent.contracts import LoopOptions
    from oci_interpreter.agent.execute import ScriptedExecutor
    from oci_interpreter.agent.solve import solve
    from oci_interpreter.backend.fake import FakeBackend

    model = FakeBackend([py("print(2)"), "It is 2."])
    solve(model, ScriptedExecutor({"print(2)": "2\n"}), "one plus one", LoopOptions(max_rounds=1),
          modules=("numpy", "pandas", "matplotlib"))
    system = model.calls[0][0].content
    assert "these packages are installed: numpy, pandas, matplotlib" in system
    assert "Use only the standard library" not in system


def test_the_default_install_gives_programs_the_data_stack() -> None:
    """`./quickstart.sh` installs the `data` extra: pandas and matplotlib, with numpy."""
    from oci_interpreter.agent.hints import installed_modules, installed_phrase

    assert {"numpy", "pandas", "matplotlib"} <= set(installed_modules())
    assert installed_phrase().startswith("installed: the standard library, numpy, pandas")


def test_a_missing_module_hint_names_what_is_installed() -> None:
    from oci_interpreter.agent.hints import hint

    text = hint("Traceback (most recent call last):\n  File \"main.py\", line 1, in <module>\n"
                "ModuleNotFoundError: No module named 'seaborn'\n", "import seaborn\n")
    assert text is not None and "`seaborn` is not installed where programs run" in text
    assert "pandas" in text and "tell the user" not in text


def test_the_docs_no_longer_say_stdin_is_closed() -> None:
    root = Path(__file__).resolve().parents[1]
    from oci_interpreter.cli import exec_cmd

    assert "Stdin is closed" not in (exec_cmd.exec_.__doc__ or "")
    assert "stdin closed" not in (root / "README.md").read_text()


# ------------------------------------------------------------- piped data --

def piped_world(data: bytes, model: Backend) -> tuple[Environment, io.StringIO, io.StringIO]:

    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.TextIOWrapper(io.BytesIO(data)), stdout=out, stderr=err,
                      stdin_isatty=False, stdout_isatty=False, stderr_isatty=False,
                      stdin_is_data=True, load_backend=lambda settings, progress: model)
    return env, out, err


@pytest.mark.spawns
def test_binary_piped_data_is_described_not_pasted(tmp_path: Path) -> None:
    from oci_interpreter.backend.fake import FakeBackend

    model = FakeBackend([py("import sys\nprint(len(sys.stdin.buffer.read()))"), "3 bytes."])
    env, out, _ = piped_world(b"\x00\x01\x02", model)
    code = main_with_status(["run", "how many bytes came in?", "--model", "x"], env=env)
    request = model.calls[0][-1].content
    assert code == 0 and out.getvalue() == "3\n"
    assert "Binary data was piped to this command (3 B; not shown)" in request
    assert "\x00" not in request


@pytest.mark.spawns
def test_run_code_with_piped_data_asks_for_a_program_that_reads_stdin(tmp_path: Path) -> None:
    from oci_interpreter.backend.fake import FakeBackend

    program = "import sys\nprint(sum(int(l.split(',')[1]) for l in sys.stdin))"
    model = FakeBackend([py(program), "It is 3."])
    env, out, _ = piped_world(b"a,1\nb,2\n", model)
    code = main_with_status(["run", "sum the second column", "--code", "--model", "x"],
                            env=env)
    request = model.calls[0][-1].content
    assert code == 0 and out.getvalue() == program + "\n"
    assert "standard input (read sys.stdin)" in request and "stdin.txt" not in request


def test_saying_the_network_is_off_is_a_report() -> None:
    """Found by benchmarks/error_reports.py with the default model: told that the network
    is off, it printed exactly that and the run was called solved."""
    code = ("import urllib.request\ntry:\n    urllib.request.urlopen('https://example.com')\n"
            "except Exception:\n    print('Network is off. Please turn the network on.')\n")
    report = error_report(code, "Network is off. Please turn the network on.\n",
                          (1, 2, 3, 4, 5))
    assert report is not None and report.kind == "network"
