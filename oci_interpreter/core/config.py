"""Settings: defaults < config file < OCI_* environment < command-line flags.

Each setting is declared once, as a field of :class:`Settings` made by :func:`setting`: its
type (a ``Literal`` lists its choices), default, help, flags, bounds. Everything else is
derived from that declaration (:data:`DECLARATIONS`): the validation and its messages, the
help text's list of choices, the commands' options (cli/options.py) and the defaults of the
library's own option types (``Limits``, ``GenerationOptions``, ``LoopOptions``, through
:func:`default_of`).

``load_settings()`` returns the effective :class:`Settings` and, for each field,
where its value came from (``oci config show`` prints both).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from oci_interpreter.core import paths
from oci_interpreter.core.errors import ConfigError, UsageError
from oci_interpreter.core.sizes import KiB, MiB, parse_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ENV_PREFIX = "OCI_"

# The settings whose value is one of a few words: each list is written once, here, as the
# setting's type; validation ("use a, b or c") and the help text's list come from it.
Strategy = Literal["conversation", "fresh", "explain"]
"""How a failed attempt goes back to the model (agent/loop.py)."""
MmapMode = Literal["auto", "on", "off"]
SandboxMode = Literal["auto", "bwrap", "unshare", "none"]
"""The containment modes (sandbox/containment.py's ``MODES``; a test keeps the two equal)."""
EditingMode = Literal["emacs", "vi"]
FigureMode = Literal["auto", "sixel", "kitty", "blocks", "off"]


def setting(default: Any, *, help: str, flags: tuple[str, ...] = (),
            shown: str | None = None, notes: Mapping[str, str] | None = None,
            minimum: float | None = None, maximum: float | None = None,
            above: float | None = None, size: bool = False,
            check: Callable[[Any], bool] | None = None, invalid: str | None = None) -> Any:
    """One setting's declaration (a dataclass field of :class:`Settings`).

    ``default``, ``help`` and ``flags`` (none: config file and environment only); ``shown``:
    the default in words where the value alone would not say it. The choices are the
    field's type (a ``Literal``); ``notes`` say what some of them mean, and the help text
    lists them all after ``help`` ("help: a (note), b or c"). ``minimum`` and ``maximum``
    bound a number (inclusive; for a ``size``, such as ``512M``, in bytes), ``above`` is a
    bound it must be more than; ``check`` tests what bounds cannot say. ``invalid`` is what
    a bad value is told where the words derived from the bounds ("must be at least 1",
    "use a number from 1 to 16", "use a, b or c") would not fit.
    """
    metadata: dict[str, Any] = {
        "help": help, "flags": flags, "shown": shown, "notes": dict(notes or {}),
        "minimum": minimum, "maximum": maximum, "above": above, "size": size,
        "check": check, "invalid": invalid,
    }
    return field(default=default, metadata=metadata)


def _is_http_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _is_variable_name(value: str) -> bool:
    return bool(value.strip()) and "=" not in value


@dataclass(frozen=True)
class Settings:
    """Every user-tunable setting, declared once (:func:`setting`): type (a ``Literal``
    for a choice), default, help, bounds here; the environment variable is ``OCI_`` + the
    name in capitals; ``flags`` names its command-line option (the commands take the groups
    in ``cli/options.py``), ``shown`` says the default in words where the value alone
    would not."""

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
        minimum=256,
        invalid="the context must be at least 256 tokens",
    )
    threads: int = setting(
        0,
        help="CPU threads for generation; 0 = physical cores",
        flags=("--threads",),
        minimum=0,
        invalid="use 0 for automatic, or a positive number",
    )
    gpu_layers: int = setting(
        -1,
        help="layers offloaded to the GPU; -1 = all when llama.cpp has GPU support",
        flags=("--gpu-layers",),
        minimum=-1,
        invalid="use -1 for automatic, 0 for none, or a layer count",
    )
    flash_attn: bool = setting(
        True,
        help="use flash attention",
    )
    mmap: MmapMode = setting(
        "auto",
        help="map the model file instead of reading it into memory",
        notes={"auto": "only when layers go to a GPU: on the CPU, llama.cpp keeps a repacked "
                       "copy of most weights, and the mapped pages would stay resident "
                       "beside it"},
    )
    temperature: float = setting(
        0.0,
        help="sampling temperature",
        flags=("--temperature", "-t"),
        minimum=0.0,
        maximum=5.0,
        invalid="use a value between 0 and 5",
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
        minimum=1,
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
        check=_is_http_url,
        invalid="give the server's http(s) address, e.g. http://127.0.0.1:8080/v1",
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
        check=_is_variable_name,
        invalid="name an environment variable, e.g. OCI_API_KEY",
    )
    server_timeout: float = setting(
        300.0,
        help="seconds to wait for the server's next reply event",
        above=0.0,
        invalid="must be more than 0 seconds",
    )
    # The sandbox that runs model-written code (see docs/security.md).
    timeout: float = setting(
        30.0,
        help="wall-clock seconds per program (in the chat: per program it runs)",
        flags=("--timeout",),
        above=0.0,
        invalid="must be more than 0 seconds",
    )
    cpu_time: float = setting(
        0.0,
        help="CPU seconds per program; 0 = timeout + 1",
        flags=("--cpu",),
        minimum=0.0,
        invalid="use 0 for timeout + 1, or a number of seconds",
    )
    memory: str = setting(
        "1G",
        help="memory per program (address space and resident)",
        flags=("--memory",),
        size=True,
        minimum=32 * MiB,
    )
    max_processes: int = setting(
        64,
        help="processes a program may run at once",
        flags=("--max-processes",),
        minimum=1,
    )
    max_file_size: str = setting(
        "256M",
        help="largest file a program may write",
        flags=("--max-file-size",),
        size=True,
        minimum=1,
    )
    max_open_files: int = setting(
        256,
        help="open files per process",
        flags=("--max-open-files",),
        minimum=16,
    )
    max_output: str = setting(
        "1M",
        help="output kept per stream (head and tail)",
        flags=("--max-output",),
        size=True,
        minimum=KiB,
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
    sandbox: SandboxMode = setting(
        "auto",
        help="containment",
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
        minimum=1,
    )
    strategy: Strategy = setting(
        "conversation",
        help="after a failed run",
        notes={"conversation": "append the result",
               "fresh": "restate task, program and failure in a new short context",
               "explain": "the model first traces the failure step by step in a short "
                          "context, then repairs"},
        flags=("--strategy",),
    )
    candidates: int = setting(
        3,
        help="programs tried per failed round (extra ones sampled)",
        flags=("--candidates",),
        minimum=1,
        maximum=16,
    )
    agree: int = setting(
        0,
        help=("after a clean run, up to N more programs for the same request are run and "
              "the answer most of them print is kept, the vote shown (`oci run`; 0 = off)"),
        flags=("--agree",),
        shown="0 (off)",
        minimum=0,
        maximum=8,
        invalid="use 0 (off) or a number from 1 to 8",
    )
    max_time: float = setting(
        0.0,
        help="seconds `oci run` or `oci fix` may take in all (model and programs); 0 = no limit",
        flags=("--max-time",),
        shown="no limit",
        minimum=0.0,
        invalid="use 0 for no limit, or a number of seconds",
    )

    # `oci chat` (see docs/usage.md).
    chat_rounds: int = setting(
        5,
        help="execution rounds per message in `oci chat`",
        flags=("--rounds", "-r"),
        minimum=1,
    )
    auto_run: bool = setting(
        False,
        help="`oci chat` runs programs without asking (like --yes)",
    )
    editing_mode: EditingMode = setting(
        "emacs",
        help="key bindings at the chat prompt",
    )
    figures: FigureMode = setting(
        "auto",
        help="how `oci chat` shows the images a program saves",
        notes={"auto": "drawn where the terminal draws images: sixel, kitty",
               "blocks": "coloured character cells, any colour terminal",
               "off": "the path only"},
    )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


FIELD_NAMES = tuple(f.name for f in fields(Settings))


def env_var(name: str) -> str:
    return ENV_PREFIX + name.upper()


def words(items: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return " or ".join(filter(None, (", ".join(items[:-1]), items[-1]))) if items else ""


@dataclass(frozen=True)
class Declaration:
    """One setting as :func:`setting` declared it, with what follows from that: the help
    text with its choices, the default in words, and :meth:`problem`, the one validation."""

    name: str
    type: str
    """The type as the messages say it: ``int``, ``float``, ``bool``, ``str``, ``str | None``
    (a choice is a ``str``)."""
    default: Any
    help: str
    """The declared help, followed by the choices where there are some."""
    flags: tuple[str, ...]
    shown: str
    """The default as help texts show it (``[default: ...]``)."""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    size: bool = False
    """A size such as ``512M``; ``minimum`` is in bytes."""
    check: Callable[[Any], bool] | None = None
    invalid: str | None = None

    @property
    def env(self) -> str:
        return env_var(self.name)

    def within(self, number: float) -> bool:
        """Whether ``number`` (for a size: its bytes) is within the declared bounds; NaN is
        not."""
        return not math.isnan(number) and (
            (self.minimum is None or number >= self.minimum)
            and (self.maximum is None or number <= self.maximum)
            and (self.above is None or number > self.above))

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this setting, in the words an error message
        gives after the value (``use auto, on or off``), or None when it is valid."""
        if value is None or isinstance(value, bool):
            return None  # an optional setting left unset; a flag
        if self.choices:
            return None if value in self.choices else f"use {words(self.choices)}"
        if self.size:
            number = parse_size(value)
            if number is None:
                return "write a size such as 512M or 1G"
            return None if self.within(number) else self.invalid or _size_floor(self.minimum)
        if isinstance(value, (int, float)) and not self.within(value):
            return self.invalid or self._bounds()
        if self.check is not None and not self.check(value):
            return self.invalid or "not a valid value"
        return None

    def _bounds(self) -> str:
        if self.above is not None:
            return f"must be more than {self.above:g}"
        if self.minimum is not None and self.maximum is not None:
            return f"use a number from {self.minimum:g} to {self.maximum:g}"
        if self.maximum is not None:
            return f"must be at most {self.maximum:g}"
        return f"must be at least {self.minimum:g}"


def _size_floor(minimum: float | None) -> str:
    least = int(minimum or 0)
    return (f"must be at least {least // MiB}M" if least >= MiB
            else f"must be at least {least // KiB}K" if least >= KiB
            else "must be more than 0")


def _type_text(hint: Any) -> str:
    if get_origin(hint) is Literal:
        return "str"
    args = get_args(hint)
    if type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return f"{_type_text(inner)} | None"
    return str(hint.__name__)


def _declare(f: dataclasses.Field[Any], hint: Any) -> Declaration:
    meta = f.metadata
    choices = tuple(get_args(hint)) if get_origin(hint) is Literal else ()
    notes: dict[str, str] = meta["notes"]
    if set(notes) - set(choices):
        raise TypeError(f"setting {f.name}: notes on {sorted(set(notes) - set(choices))}, "
                        f"which are not among its choices {choices}")
    help_text = meta["help"]
    if choices:
        help_text += ": " + words([f"{c} ({notes[c]})" if c in notes else c for c in choices])
    default = f.default
    shown = meta["shown"]
    if shown is None:
        shown = ("yes" if default else "no") if isinstance(default, bool) else (
            f"{default:g}" if isinstance(default, float) else str(default))
    return Declaration(
        name=f.name, type=_type_text(hint), default=default, help=help_text,
        flags=meta["flags"], shown=shown, choices=choices, minimum=meta["minimum"],
        maximum=meta["maximum"], above=meta["above"], size=meta["size"], check=meta["check"],
        invalid=meta["invalid"])


_HINTS = get_type_hints(Settings)
DECLARATIONS: dict[str, Declaration] = {
    f.name: _declare(f, _HINTS[f.name]) for f in fields(Settings)}
"""Every setting's :class:`Declaration`, in the order of :class:`Settings`."""


def declaration(name: str) -> Declaration:
    """One setting's :class:`Declaration` (KeyError for an unknown name)."""
    return DECLARATIONS[name]


def default_of(name: str) -> Any:
    """The declared default of setting ``name``: what the library's own option types
    (``Limits``, ``GenerationOptions``, ``LoopOptions``) take as theirs."""
    return DECLARATIONS[name].default


def describe(name: str) -> dict[str, Any]:
    """One setting's declaration: type, default, help, flags, environment variable and the
    default as shown in help texts (``[default: ...]``), its choices and bounds."""
    decl = DECLARATIONS[name]
    return {"name": name, "type": decl.type, "default": decl.default, "help": decl.help,
            "flags": decl.flags, "env": decl.env, "shown": decl.shown,
            "choices": decl.choices, "minimum": decl.minimum, "maximum": decl.maximum,
            "above": decl.above, "size": decl.size}


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: dict[str, str]
    config_path: Path


def coerce(name: str, value: Any, origin: str) -> Any:
    """Convert ``value`` (from TOML or an environment string) to the field's type."""
    kind = DECLARATIONS[name].type
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
    flags = DECLARATIONS[name].flags
    return str(flags[0]).split("/")[0] if flags else f"--{name.replace('_', '-')}"


def _validate(s: Settings, sources: Mapping[str, str]) -> None:
    """The first setting, in declaration order, whose value its declaration refuses."""
    for name, decl in DECLARATIONS.items():
        value = getattr(s, name)
        why = decl.problem(value)
        if why is None:
            continue
        if sources[name] == "command line":  # a bad flag value is a usage error (exit 2)
            raise UsageError(f"{_flag(name)} {value}: {why}")
        raise ConfigError(f"{name} = {value!r} from {sources[name]}: {why}")
