"""The `--json` outputs of oci run, oci fix and oci exec have exactly the fields
docs/usage.md documents (the tables under each command), whatever happened."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oci_interpreter.cli.main import main_with_status

pytestmark = pytest.mark.spawns

USAGE = (Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text()


def documented(heading: str, after: str = "") -> set[str]:
    """The backticked names in the first column of the first table after ``heading``
    (and after the text ``after`` within that section)."""
    section = USAGE[USAGE.index(heading):]
    if after:
        section = section[section.index(after):]
    table = re.search(r"\n\| field \|[^\n]*\n\| --- \|[^\n]*\n((?:\|[^\n]*\n)+)", section)
    assert table is not None, heading
    names: set[str] = set()
    for row in table.group(1).splitlines():
        first = row.split("|")[1]
        names.update(re.findall(r"`([a-z_]+)`", first))
    return names


def oci_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    main_with_status(list(args))
    out, _err = capsys.readouterr()
    data = json.loads(out.strip().splitlines()[-1])
    assert isinstance(data, dict)
    return data


def fake(tmp_path: Path, *replies: str) -> str:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(list(replies)))
    return f"fake:{path}"


def test_oci_run_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    model = fake(tmp_path, "```python\nprint(sum(range(4)))\n```", "6.")
    data = oci_json(capsys, "run", "sum 0..3", "--json", "--model", model)
    assert set(data) == documented("## `oci run`")


@pytest.mark.parametrize("case", ["fixed", "nothing_to_fix", "not_fixed"])
def test_oci_fix_json_has_the_documented_fields_whatever_happened(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "s.py"
    script.write_text("print(1)\n" if case == "nothing_to_fix" else "x = 1\nprint(y)\n")
    reply = "```python\nx = 1\nprint(x)\n```" if case == "fixed" else "```python\nprint(y)\n```"
    data = oci_json(capsys, "fix", str(script), "--json", "--yes", "--rounds", "1",
                    "--candidates", "1", "--model", fake(tmp_path, reply))
    assert set(data) == documented("## `oci fix`", after="`--json` prints one object")
    assert data["success"] is (case != "not_fixed")


def test_oci_exec_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.py").write_text("print(1)\n")
    data = oci_json(capsys, "exec", "s.py", "--json")
    assert set(data) == documented("### `--json`")


def test_oci_bench_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    model = fake(tmp_path, "```python\ndef f():\n    pass\n```")
    sample = Path(__file__).parent / "data" / "mbpp-sample.json"
    data = oci_json(capsys, "bench", "mbpp", "--data", str(sample), "--model", model,
                    "--limit", "2", "--rounds", "1", "--no-speed", "--json")
    documented_fields = documented("## `oci bench`", after="--json` prints one object")
    optional = {"speed", "throughput"}  # only with speed measured, or --jobs 1,4
    assert set(data) <= documented_fields
    assert documented_fields - set(data) <= optional
    column = data["execution_feedback"]
    assert isinstance(column, dict)
    assert {"pass_at_1", "passed", "by_round", "fixed_vs_single"} <= set(column)
