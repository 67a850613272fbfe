"""Settings: defaults < config file < OCI_* environment < command-line flags.

``load_settings()`` returns the effective :class:`Settings` and, for each field,
where its value came from (``oci config show`` prints both).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from oci_cli.core import paths
from oci_cli.core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ENV_PREFIX = "OCI_"


@dataclass(frozen=True)
class Settings:
    """Every user-tunable setting, with its default."""

    model: str | None = field(
        default=None, metadata={"help": "model name from the catalog, or a path to a .gguf file"}
    )
    n_ctx: int = field(
        default=8192, metadata={"help": "context window in tokens (capped by the model's own)"}
    )
    threads: int = field(
        default=0, metadata={"help": "CPU threads for generation; 0 = physical cores"}
    )
    gpu_layers: int = field(
        default=-1,
        metadata={"help": "layers offloaded to the GPU; -1 = all when llama.cpp has GPU support"},
    )
    flash_attn: bool = field(default=True, metadata={"help": "use flash attention"})
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature"})
    seed: int = field(default=1234, metadata={"help": "sampling seed"})
    max_tokens: int = field(default=1024, metadata={"help": "longest reply, in tokens"})
    verbose: bool = field(default=False, metadata={"help": "show llama.cpp's own log"})

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


FIELD_NAMES = tuple(f.name for f in fields(Settings))


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: dict[str, str]
    config_path: Path


def _field_type(name: str) -> str:
    for f in fields(Settings):
        if f.name == name:
            return str(f.type)
    raise KeyError(name)


def coerce(name: str, value: Any, origin: str) -> Any:
    """Convert ``value`` (from TOML or an environment string) to the field's type."""
    kind = _field_type(name)
    try:
        if "bool" in kind:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if kind.startswith("int"):
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind.startswith("float"):
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if "str" in kind:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError(value)
            text = str(value).strip()
            return text or None
    except (TypeError, ValueError):
        expected = kind.replace(" | None", "")
        raise ConfigError(
            f"{origin}: {name} = {value!r} is not a valid {expected}",
            "Fix the value, or remove it to use the default.",
        ) from None
    raise ConfigError(f"{origin}: unsupported setting type for {name}")  # pragma: no cover


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML ({exc})",
            "Fix it, or move it away to start from the defaults.",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    unknown = sorted(set(data) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting {unknown[0]!r}",
            f"Known settings: {', '.join(FIELD_NAMES)}.",
        )
    return data


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Merge defaults, the config file, OCI_* variables and ``overrides`` (flags).

    ``overrides`` values of ``None`` mean "flag not given" and are ignored.
    """
    env = os.environ if environ is None else environ
    path = paths.config_file()
    values: dict[str, Any] = {}
    sources = {name: "default" for name in FIELD_NAMES}

    for name, value in read_config_file(path).items():
        values[name] = coerce(name, value, str(path))
        sources[name] = f"config file ({path})"
    for name in FIELD_NAMES:
        var = ENV_PREFIX + name.upper()
        if var in env and env[var].strip() != "":
            values[name] = coerce(name, env[var], f"environment variable {var}")
            sources[name] = f"environment ({var})"
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in FIELD_NAMES:
            raise KeyError(name)
        values[name] = coerce(name, value, f"option --{name.replace('_', '-')}")
        sources[name] = "command line"

    settings = Settings(**values)
    _validate(settings, sources)
    return LoadedSettings(settings=settings, sources=sources, config_path=path)


def _validate(s: Settings, sources: Mapping[str, str]) -> None:
    def bad(name: str, why: str) -> ConfigError:
        return ConfigError(f"{name} = {getattr(s, name)!r} from {sources[name]}: {why}")

    if s.n_ctx < 256:
        raise bad("n_ctx", "the context must be at least 256 tokens")
    if s.threads < 0:
        raise bad("threads", "use 0 for automatic, or a positive number")
    if s.gpu_layers < -1:
        raise bad("gpu_layers", "use -1 for automatic, 0 for none, or a layer count")
    if not 0.0 <= s.temperature <= 5.0:
        raise bad("temperature", "use a value between 0 and 5")
    if s.max_tokens < 1:
        raise bad("max_tokens", "must be at least 1")
