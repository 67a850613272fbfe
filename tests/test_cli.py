"""The CLI in process (through the same error boundary as the console script)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oci_interpreter.cli.main import main_with_status
from oci_interpreter.core import paths


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main_with_status(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("oci ")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for word in ("chat", "models", "config"):
        assert word in out


@pytest.mark.parametrize("command", [["run"], ["fix"], ["chat"], ["exec"], ["serve"],
                                     ["bench", "humaneval"], ["bench", "mbpp"],
                                     ["bench", "speed"], ["models", "pull"]])
def test_help_speaks_one_style(capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert not re.search(r"<[a-z ]+>", out)  # no <bool>, <int range>, ...: NAME, N, ...
    assert ",--" not in out  # option names joined without a space
    if "--seed" in out:
        assert "[default: 1234]" in out.split("--seed", 1)[1].splitlines()[0]
    if command[0] in ("run", "fix", "exec"):
        assert "cell" not in out.lower()  # the chat's word, not these commands'
    if command[0] == "fix":
        assert "--diff " in out and "(also --dry-run)" in out


def test_wrong_flag_is_one_line_with_usage_exit(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "models", "list", "--bogus")
    assert code == 2
    assert err.strip() == "oci: No such option: --bogus (see `oci models list --help`)"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["models", "info", "nosuch"], 3, "unknown model 'nosuch'"),
        (["models", "info", "/no/such/file.gguf"], 3, "model file not found"),
        (["models", "pull", "nosuch:Q4"], 3, "unknown model"),
        (["chat", "--model", "/no/such/file.gguf"], 3, "model file not found"),
    ],
)
@pytest.mark.spawns
def test_bad_input_gets_one_line_errors(capsys: pytest.CaptureFixture[str], args: list[str],
                                        code: int, needle: str) -> None:
    got, _, err = run(capsys, *args)
    assert got == code
    assert needle in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


@pytest.mark.spawns
def test_not_a_gguf_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model")
    code, _, err = run(capsys, "chat", "--model", str(bad))
    assert code == 3
    assert "is not a GGUF model file" in err and len(err.strip().splitlines()) == 1


def test_traceback_flag_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--traceback", "models", "info", "nosuch")
    assert code == 3
    assert "Traceback" in err and "unknown model" in err


def test_bad_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    paths.config_file().write_text("n_ctx = [\n")
    code, _, err = run(capsys, "config", "show")
    assert code == 4
    assert "not valid TOML" in err and len(err.strip().splitlines()) == 1


def test_config_show_json_names_the_sources(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    paths.config_file().write_text("n_ctx = 2048\n")
    monkeypatch.setenv("OCI_SEED", "5")
    code, out, _ = run(capsys, "config", "show", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["settings"]["n_ctx"]["value"] == 2048
    assert data["settings"]["n_ctx"]["source"].startswith("config file")
    assert data["settings"]["seed"] == {"value": 5, "source": "environment (OCI_SEED)"}
    assert data["settings"]["temperature"]["source"] == "default"


def test_models_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "list", "--json")
    rows = json.loads(out)
    assert code == 0
    names = [r["name"] for r in rows]
    assert "qwen2.5-coder-0.5b:Q4_K_M" in names
    assert "opencodeinterpreter-ds-6.7b:Q4_K_M" in names
    assert not any(r["present"] for r in rows)  # fresh OCI_HOME
    from oci_interpreter.core import catalog, store

    if not all(store.embedded_installed(m) for m in catalog.embedded_models()):
        pytest.skip("needs the model and model-small extras installed (./quickstart.sh test)")
    # The installed embedded models come first, larger first; the default is marked.
    assert [(r["name"], r["ready"], r["default"]) for r in rows[:2]] == [
        ("qwen2.5-coder-1.5b:Q4_K_M", True, True), ("qwen2.5-coder-0.5b:Q4_K_M", True, False)]
    assert [r["aliases"] for r in rows[:2]] == [["default"], ["small"]]
    assert not any(r["ready"] or r["default"] for r in rows[2:])


def test_models_list_marks_the_default_the_settings_choose(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_MODEL", "small")
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    marked = [line for line in out.splitlines() if line.startswith("*  ")]
    assert len(marked) == 1 and "qwen2.5-coder-0.5b:Q4_K_M" in marked[0]
    assert "* the default, set by the environment (OCI_MODEL)" in out
    monkeypatch.setenv("OCI_MODEL", "/models/mine.gguf")
    code, out, _ = run(capsys, "models", "list")
    assert not [line for line in out.splitlines() if line.startswith("*  ")]
    assert "default: /models/mine.gguf, set by the environment (OCI_MODEL)" in out


@pytest.mark.slow
def test_models_pull_small_then_list_and_info(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "pull", "small")
    assert code == 0
    path = Path(out.strip())
    assert path.is_file() and path.parent == paths.models_dir()
    code, out, _ = run(capsys, "models", "list", "--json")
    present = [r for r in json.loads(out) if r["present"]]
    assert [r["name"] for r in present] == ["qwen2.5-coder-0.5b:Q4_K_M"]
    code, out, _ = run(capsys, "models", "info", "small", "--json")
    info = json.loads(out)
    assert info["architecture"] == "qwen2"
    assert info["quantization"] == "Q4_K_M"
    assert info["context_length"] == 32768
    assert info["complete"] is True
    assert "<|im_start|>" in info["chat_template"]
    assert info["special_tokens"]["eos"].startswith("<|im_end|>")


@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--timeout", "-1", "must be more than 0"),
    ("--memory", "lots", "write a size such as 512M"),
    ("--memory", "-5M", "write a size such as 512M"),
    ("--memory", "1K", "at least 32M"),
    ("--max-output", "0", "write a size"),
    ("--sandbox", "docker", "use auto, bwrap, unshare or none"),
    ("--max-processes", "0", "at least 1"),
    ("--max-time", "-3", "no limit"),
])
def test_every_bad_flag_value_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, flag: str, value: str,
                                               says: str) -> None:
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    command = ["run", "x"] if flag == "--max-time" else ["exec", str(script)]
    code, _out, err = run(capsys, *command, flag, value)
    assert code == 2, err
    assert err.startswith(f"oci: {flag} ") and says in err
    assert len(err.strip().splitlines()) == 1


def test_models_info_reads_and_never_writes(capsys: pytest.CaptureFixture[str],
                                            oci_home: Path) -> None:
    from oci_interpreter.core import catalog, store

    if not store.embedded_installed(catalog.lookup("default")):
        pytest.skip("needs the model extra installed")
    code, out, _ = run(capsys, "models", "info", "default", "--json")
    info = json.loads(out)
    assert code == 0 and info["architecture"] == "qwen2" and info["complete"] is None
    assert info["path"].startswith("not assembled yet")
    assert not (oci_home / "models").exists() or not any((oci_home / "models").iterdir())


def test_config_show_names_the_model_in_use_and_a_missing_file(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "show", "--json")
    data = json.loads(out)
    assert code == 0 and data["config_file_exists"] is False
    assert data["model_in_use"]["value"] in (None, "qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b")
    code, out, _ = run(capsys, "config", "show")
    assert "(does not exist yet)" in out


def test_piped_tables_keep_whole_lines_and_the_default_comes_first(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_MODEL", "small")
    code, out, _ = run(capsys, "models", "list")
    rows = [line for line in out.splitlines()[1:] if line.strip()]
    assert code == 0 and rows[0].lstrip().startswith("*  qwen2.5-coder-0.5b")
    # Piped: every row one line, however long (an 80-column terminal would fold them).
    assert all(len(line.rstrip()) > 80 for line in rows[:2])
    code, out, _ = run(capsys, "config", "show")
    line = next(line for line in out.splitlines() if line.startswith("model "))
    assert "0.5b" in line or "small" in line


def test_fix_m_with_a_model_name_says_it_is_the_description(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.py").write_text("total = 5\nprint('T' + total)\n")
    for name in ("small", "qwen2.5-coder-1.5b:Q4_K_M", "./my-model.gguf"):
        code, out, err = run(capsys, "fix", "t.py", "-m", name)
        assert code == 2 and out == ""
        assert f"-m {name} names a model" in err and f"use --model {name}" in err
