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

from oci_interpreter.core import paths
from oci_interpreter.core.errors import ConfigError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ENV_PREFIX = "OCI_"


def setting(default: Any, *, help: str, flags: tuple[str, ...] = (),
            shown: str | None = None) -> Any:
    """One setting's declaration (a dataclass field): its default, its help, its command-line
    flags (none: config file and environment only) and, where the value alone would not say
    it, the default in words."""
    metadata: dict[str, Any] = {"help": help, "flags": flags}
    if shown is not None:
        metadata["shown"] = shown
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Every user-tunable setting, declared once: type, default and help here; the
    environment variable is ``OCI_`` + the name in capitals; ``flags`` names its
    command-line option (the commands take the groups in ``cli/options.py``), ``shown``
    says the default in words where the value alone would not."""

    model: str | None = setting(
        None,
        help="model name from the catalog, or a path to a .gguf file",
        flags=("--model", "-m"),
        shown="the one `oci models list` marks",
    )
    n_ctx: int = setting(
        8192,
        help="context window in tokens (capped by the model's own)",
        flags=("--n-ctx",),
    )
    threads: int = setting(
        0,
        help="CPU threads for generation; 0 = physical cores",
        flags=("--threads",),
    )
    gpu_layers: int = setting(
        -1,
        help="layers offloaded to the GPU; -1 = all when llama.cpp has GPU support",
        flags=("--gpu-layers",),
    )
    flash_attn: bool = setting(
        True,
        help="use flash attention",
    )
    mmap: str = setting(
        "auto",
        help=("map the model file instead of reading it into memory: auto = only when layers go"
             " to a GPU (on the CPU, llama.cpp keeps a repacked copy of most weights, and the "
             "mapped pages would stay resident beside it), on, off"),
    )
    temperature: float = setting(
        0.0,
        help="sampling temperature",
        flags=("--temperature", "-t"),
    )
    seed: int = setting(
        1234,
        help="sampling seed",
        flags=("--seed",),
    )
    max_tokens: int = setting(
        1024,
        help="longest reply, in tokens",
        flags=("--max-tokens",),
    )
    verbose: bool = setting(
        False,
        help="show llama.cpp's own log",
        flags=("--verbose/--quiet",),
        shown="quiet",
    )
    # A model server instead of a local model (see docs/scale-out.md).
    base_url: str | None = setting(
        None,
        help=("OpenAI-compatible model server to use instead of a local model, e.g. "
             "http://127.0.0.1:8080/v1"),
        flags=("--base-url",),
        shown="none: the model runs in oci",
    )
    server_model: str | None = setting(
        None,
        help="model name on the server",
        flags=("--server-model",),
        shown="the first it lists",
    )
    api_key_env: str = setting(
        "OCI_API_KEY",
        help=("environment variable that holds the server's API key (the key itself is never "
             "stored in settings)"),
    )
    server_timeout: float = setting(
        300.0,
        help="seconds to wait for the server's next reply event",
    )
    # The sandbox that runs model-written code (see docs/security.md).
    timeout: float = setting(
        30.0,
        help="wall-clock seconds per program (in the chat: per program it runs)",
        flags=("--timeout",),
    )
    cpu_time: float = setting(
        0.0,
        help="CPU seconds per program; 0 = timeout + 1",
        flags=("--cpu",),
    )
    memory: str = setting(
        "1G",
        help="memory per program (address space and resident)",
        flags=("--memory",),
    )
    max_processes: int = setting(
        64,
        help="processes a program may run at once",
        flags=("--max-processes",),
    )
    max_file_size: str = setting(
        "256M",
        help="largest file a program may write",
        flags=("--max-file-size",),
    )
    max_open_files: int = setting(
        256,
        help="open files per process",
        flags=("--max-open-files",),
    )
    max_output: str = setting(
        "1M",
        help="output kept per stream (head and tail)",
        flags=("--max-output",),
    )
    allow_network: bool = setting(
        False,
        help="let programs use the network",
        flags=("--allow-network/--no-network",),
        shown="no",
    )
    allow_home: bool = setting(
        False,
        help=("let your home directory itself be the working directory (its dot-files stay "
             "read-only under bubblewrap)"),
        flags=("--allow-home",),
        shown="no",
    )
    sandbox: str = setting(
        "auto",
        help="containment: auto, bwrap, unshare or none",
        flags=("--sandbox",),
    )
    python: str | None = setting(
        None,
        help="interpreter for programs",
        flags=("--python",),
        shown="the one running oci",
    )

    # The refine loop (see docs/loop.md).
    rounds: int = setting(
        3,
        help="execution rounds per task for `oci run` and `oci fix`",
        flags=("--rounds", "-r"),
    )
    strategy: str = setting(
        "conversation",
        help=("after a failed run: conversation (append the result), fresh (restate task, "
             "program and failure in a new short context) or explain (the model first "
             "traces the failure step by step in a short context, then repairs)"),
        flags=("--strategy",),
    )
    candidates: int = setting(
        3,
        help="programs tried per failed round (extra ones sampled)",
        flags=("--candidates",),
    )
    agree: int = setting(
        0,
        help=("after a clean run, up to N more programs for the same request are run and "
              "the answer most of them print is kept, the vote shown (`oci run`; 0 = off)"),
        flags=("--agree",),
        shown="0 (off)",
    )
    max_time: float = setting(
        0.0,
        help="seconds `oci run` or `oci fix` may take in all (model and programs); 0 = no limit",
        flags=("--max-time",),
        shown="no limit",
    )

    # `oci chat` (see docs/usage.md).
    chat_rounds: int = setting(
        5,
        help="execution rounds per message in `oci chat`",
        flags=("--rounds", "-r"),
    )
    auto_run: bool = setting(
        False,
        help="`oci chat` runs programs without asking (like --yes)",
    )
    editing_mode: str = setting(
        "emacs",
        help="key bindings at the chat prompt: emacs or vi",
    )
    figures: str = setting(
        "auto",
        help="how `oci chat` shows the images a program saves: auto (drawn where the "
             "terminal draws images: sixel, kitty), sixel, kitty, blocks (coloured "
             "character cells, any colour terminal) or off (the path only)",
    )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


FIELD_NAMES = tuple(f.name for f in fields(Settings))


def env_var(name: str) -> str:
    return ENV_PREFIX + name.upper()


def describe(name: str) -> dict[str, Any]:
    """One setting's declaration: type, default, help, flags, environment variable and the
    default as shown in help texts (``[default: ...]``)."""
    for f in fields(Settings):
        if f.name == name:
            default = f.default
            shown = f.metadata.get("shown")
            if shown is None:
                shown = ("yes" if default else "no") if isinstance(default, bool) else (
                    f"{default:g}" if isinstance(default, float) else str(default))
            return {"name": name, "type": str(f.type), "default": default,
                    "help": f.metadata.get("help", ""), "flags": f.metadata.get("flags", ()),
                    "env": env_var(name), "shown": shown}
    raise KeyError(name)


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
            if not text and "None" not in kind:
                raise ValueError(value)
            return text or None
    except (TypeError, ValueError):
        expected = kind.replace(" | None", "")
        if origin.startswith("option "):
            raise UsageError(f"{_flag(name)} {value}: not a valid {expected}") from None
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
        import difflib

        close = difflib.get_close_matches(unknown[0], FIELD_NAMES, n=1, cutoff=0.6)
        hint = (f"Did you mean {close[0]!r}? " if close else "") + (
            f"Known settings: {', '.join(FIELD_NAMES)}.")
        raise ConfigError(f"config file {path}: unknown setting {unknown[0]!r}", hint)
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
        var = env_var(name)
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


def _flag(name: str) -> str:
    flags = describe(name)["flags"]
    return str(flags[0]).split("/")[0] if flags else f"--{name.replace('_', '-')}"


def _validate(s: Settings, sources: Mapping[str, str]) -> None:
    def bad(name: str, why: str) -> ConfigError | UsageError:
        value = getattr(s, name)
        if sources[name] == "command line":  # a bad flag value is a usage error (exit 2)
            return UsageError(f"{_flag(name)} {value}: {why}")
        return ConfigError(f"{name} = {value!r} from {sources[name]}: {why}")

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
    if s.timeout <= 0:
        raise bad("timeout", "must be more than 0 seconds")
    if s.server_timeout <= 0:
        raise bad("server_timeout", "must be more than 0 seconds")
    if s.base_url is not None and not s.base_url.startswith(("http://", "https://")):
        raise bad("base_url", "give the server's http(s) address, e.g. http://127.0.0.1:8080/v1")
    if not s.api_key_env.strip() or "=" in s.api_key_env:
        raise bad("api_key_env", "name an environment variable, e.g. OCI_API_KEY")
    if s.cpu_time < 0:
        raise bad("cpu_time", "use 0 for timeout + 1, or a number of seconds")
    if s.max_time < 0:
        raise bad("max_time", "use 0 for no limit, or a number of seconds")
    if s.rounds < 1:
        raise bad("rounds", "must be at least 1")
    if s.strategy not in ("conversation", "fresh", "explain"):
        raise bad("strategy", "use conversation, fresh or explain")
    if not 1 <= s.candidates <= 16:
        raise bad("candidates", "use a number from 1 to 16")
    if not 0 <= s.agree <= 8:
        raise bad("agree", "use 0 (off) or a number from 1 to 8")
    if s.chat_rounds < 1:
        raise bad("chat_rounds", "must be at least 1")
    if s.editing_mode not in ("emacs", "vi"):
        raise bad("editing_mode", "use emacs or vi")
    if s.figures not in ("auto", "sixel", "kitty", "blocks", "off"):
        raise bad("figures", "use auto, sixel, kitty, blocks or off")
    if s.mmap not in ("auto", "on", "off"):
        raise bad("mmap", "use auto, on or off")
    if s.sandbox not in ("auto", "bwrap", "unshare", "none"):
        raise bad("sandbox", "use auto, bwrap, unshare or none")
    from oci_interpreter.core.sizes import parse_size

    for name in ("memory", "max_file_size", "max_output"):
        if parse_size(getattr(s, name)) is None:
            raise bad(name, "write a size such as 512M or 1G")
    from oci_interpreter.core.sizes import KiB, MiB

    least = {"memory": 32 * MiB, "max_output": KiB, "max_file_size": 1}
    for name, minimum in least.items():
        size = parse_size(getattr(s, name)) or 0
        if size < minimum:
            raise bad(name, f"must be at least {minimum // MiB}M" if minimum >= MiB
                      else f"must be at least {minimum // KiB}K" if minimum >= KiB
                      else "must be more than 0")
    if s.max_processes < 1:
        raise bad("max_processes", "must be at least 1")
    if s.max_open_files < 16:
        raise bad("max_open_files", "must be at least 16")
