from __future__ import annotations

from pathlib import Path

import pytest

from oci_interpreter.core import paths
from oci_interpreter.core.config import Settings, load_settings
from oci_interpreter.core.errors import ConfigError


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(oci_home: Path) -> None:
    loaded = load_settings(environ={})
    assert loaded.settings == Settings()
    assert set(loaded.sources.values()) == {"default"}
    assert loaded.config_path == oci_home / "config.toml"


def test_flags_beat_env_beat_file_beat_defaults() -> None:
    write_config('n_ctx = 4096\ntemperature = 0.5\nseed = 7\nmodel = "from-file"\n')
    env = {"OCI_TEMPERATURE": "0.7", "OCI_SEED": "8"}
    loaded = load_settings({"seed": 9, "model": None}, environ=env)
    s = loaded.settings
    assert (s.n_ctx, s.temperature, s.seed, s.model) == (4096, 0.7, 9, "from-file")
    assert loaded.sources["n_ctx"].startswith("config file")
    assert loaded.sources["temperature"] == "environment (OCI_TEMPERATURE)"
    assert loaded.sources["seed"] == "command line"
    assert loaded.sources["max_tokens"] == "default"


def test_bool_env_values() -> None:
    assert load_settings(environ={"OCI_FLASH_ATTN": "off"}).settings.flash_attn is False
    assert load_settings(environ={"OCI_VERBOSE": "yes"}).settings.verbose is True


@pytest.mark.parametrize(
    ("text", "env", "match"),
    [
        ("n_ctx = [", {}, "not valid TOML"),
        ("colour = 1", {}, "unknown setting 'colour'"),
        ("n_ctxx = 1", {}, "unknown setting 'n_ctxx'.*Did you mean 'n_ctx'"),
        ('n_ctx = "big"', {}, "n_ctx = 'big' is not a valid int"),
        ("", {"OCI_THREADS": "many"}, "OCI_THREADS: threads = 'many'"),
        ("", {"OCI_TEMPERATURE": "9"}, "temperature"),
        ("n_ctx = 10", {}, "at least 256"),
        ('mmap = "sometimes"', {}, "mmap = 'sometimes' .*use auto, on or off"),
    ],
)
def test_bad_config_is_one_clear_error(text: str, env: dict[str, str], match: str) -> None:
    write_config(text)
    with pytest.raises(ConfigError, match=match) as info:
        load_settings(environ=env)
    assert "\n" not in info.value.one_line()


def test_oci_home_redirects_everything(oci_home: Path) -> None:
    assert paths.config_dir() == oci_home
    assert paths.models_dir() == oci_home / "models"
    assert paths.data_dir() == oci_home / "data"


def test_the_model_file_is_mapped_only_for_gpu_layers_unless_set() -> None:
    from oci_interpreter.backend.llama import _use_mmap

    assert _use_mmap("auto", 0) is False  # CPU: read it, one copy beside the repacked weights
    assert _use_mmap("auto", -1) is True and _use_mmap("auto", 20) is True
    assert _use_mmap("on", 0) is True and _use_mmap("off", -1) is False
    assert load_settings(environ={"OCI_MMAP": "on"}).settings.mmap == "on"


def test_each_setting_is_declared_once_and_documented() -> None:
    """The commands' options come from the declarations; the docs name every setting."""
    from oci_interpreter.core.config import FIELD_NAMES, describe

    usage = (Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text()
    missing = [name for name in FIELD_NAMES if f"`{name}`" not in usage]
    assert not missing, f"docs/usage.md does not mention {missing}"
    for name in FIELD_NAMES:
        decl = describe(name)
        assert decl["help"] and decl["env"] == "OCI_" + name.upper()


def test_command_options_show_the_declared_defaults(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.cli.main import main_with_status

    monkeypatch.setenv("COLUMNS", "200")
    for command, flag, default in (("run", "--n-ctx", "8192"), ("fix", "--candidates", "3"),
                                   ("chat", "--rounds", "5"), ("exec", "--memory", "1G")):
        assert main_with_status([command, "--help"]) == 0
        out = capsys.readouterr().out
        line = next(ln for ln in out.splitlines() if flag in ln)
        assert f"[default: {default}]" in line, line
