"""The installed `oci` as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess


def run(oci_bin: str, *args: str, input: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([oci_bin, *args], input=input, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "NO_COLOR": "1"})


def test_help_is_fast_and_does_not_load_llama_cpp(oci_bin: str) -> None:
    code = (
        "import sys; from oci_cli.cli.main import main_with_status;"
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
def test_chat_on_the_default_model_through_a_pipe(oci_bin: str, real_model_path: Path,
                                                  oci_home: Path) -> None:
    result = run(oci_bin, "chat", "--model", str(real_model_path), "--max-tokens", "40",
                 input="What is the capital of France? One word.\n/exit\n", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert "tok/s" in result.stdout
