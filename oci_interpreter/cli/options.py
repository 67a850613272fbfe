"""Options shared by the commands that load a model."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from oci_interpreter.core.errors import UsageError

if TYPE_CHECKING:
    from oci_interpreter.cli.environment import Environment

# Settings as command-line options: each is declared once, in core/config.py's Settings
# (type, default, help, flags); a command names the groups it takes and gets the flags
# that were given as one dict, ``flags`` (None = not given, so the config file and OCI_*
# variables still apply). The differences between commands: docs/usage.md, "Settings".
MODEL = ("model", "base_url", "server_model", "n_ctx", "threads", "gpu_layers",
         "temperature", "seed", "max_tokens", "verbose")
"""The model and how it generates (run, fix, chat, serve, bench take some or all)."""
SANDBOX = ("timeout", "cpu_time", "memory", "max_processes", "max_file_size",
           "max_open_files", "max_output", "allow_network", "allow_home", "sandbox", "python")
"""The sandbox's limits (every command that runs code)."""
LOOP = ("rounds", "strategy", "candidates", "max_time")
"""The refine loop of `oci run` and `oci fix` (`oci chat` takes chat_rounds as --rounds)."""

AGREE = ("agree",)
"""`oci run`'s output vote (agent/agreement.py)."""

_PANELS = {MODEL: "Model", SANDBOX: "Sandbox", LOOP: "Refine loop", AGREE: "Refine loop"}
F = TypeVar("F", bound=Callable[..., Any])


def _option_type(kind: str) -> type:
    for name, typ in (("bool", bool), ("int", int), ("float", float)):
        if kind.startswith(name):
            return typ
    return str


def _help(decl: dict[str, Any]) -> str:
    text = decl["help"]
    text = text[:1].upper() + text[1:]
    return f"{text} [default: {decl['shown']}]."


def _own_flags(params: list[inspect.Parameter]) -> set[str]:
    """The option names a command declares itself (``--message``, ``-m``, ...)."""
    taken: set[str] = set()
    for param in params:
        for meta in getattr(param.annotation, "__metadata__", ()):
            for decl in getattr(meta, "param_decls", None) or ():
                taken.update(part for part in str(decl).split("/") if part)
    return taken


def takes_settings(*groups: Sequence[str]) -> Callable[[F], F]:
    """Give a command one option per setting in ``groups``; it receives the given ones as
    ``flags``. The options come from the settings' own declarations, so a help text and
    its ``[default: ...]`` cannot drift from the value the setting really has."""
    from oci_interpreter.core.config import describe

    names = [name for group in groups for name in group]
    panels = {name: _PANELS.get(tuple(group), "Settings") for group in groups for name in group}

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)
        params = [p for p in signature.parameters.values() if p.name != "flags"]
        taken = _own_flags(params)  # a command's own option keeps its short flag
        for name in names:
            decl = describe(name)
            flags = [f for f in decl["flags"] if f not in taken]
            option = typer.Option(*flags, help=_help(decl), show_default=False,
                                  rich_help_panel=panels[name])
            kind = _option_type(decl["type"])
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=Annotated[kind | None, option]))

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name, None) for name in names}
            return func(*args, flags={k: v for k, v in given.items() if v is not None},
                        **kwargs)

        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return command  # type: ignore[return-value]

    return decorate


# Where programs run.
CwdOpt = Annotated[
    Path | None, typer.Option("--cwd", help="Directory the programs run in [default: the "
                              "current one].", show_default=False)
]


def working_dir(cwd: Path | None) -> Path:
    """``--cwd`` (or the current directory), which must exist."""
    workdir = (cwd or Path.cwd()).expanduser()
    if not workdir.is_dir():
        raise UsageError(f"--cwd {workdir}: no such directory", "Create it first.")
    return workdir


def read_description(message: str | None, env: Environment) -> str | None:
    """`oci fix`'s ``-m TEXT``, or ``-m -``: the text on stdin. A model name is refused:
    ``-m`` is ``--model`` in `oci run` and `oci chat`, and `oci fix x.py -m small` would
    otherwise write a check from the word "small"."""
    if message is not None and message.strip() == "-":
        if env.stdin_isatty:
            raise UsageError("-m - reads the description from stdin, but stdin is a terminal",
                             "Pipe it in, or give it as -m \"...\".")
        message = env.stdin.read()
    if message is not None and not message.strip():
        raise UsageError("-m is empty", "Say what the script does wrong, in a sentence.")
    if message is not None and _names_a_model(message.strip()):
        raise UsageError(f"-m {message.strip()} names a model, but in oci fix -m is what the "
                         "script does wrong", f"For the model, use --model {message.strip()}; "
                         "for a description, say it in a sentence.")
    return message.strip() if message is not None else None


def _names_a_model(text: str) -> bool:
    """A catalog name or alias (``small``, ``qwen2.5-coder-1.5b:Q4_K_M``) or a .gguf path."""
    if " " in text:
        return False
    if text.lower().endswith(".gguf"):
        return True
    from oci_interpreter.core.catalog import lookup, split_spec
    from oci_interpreter.core.errors import OciError

    try:
        lookup(split_spec(text)[0])
    except OciError:  # not a model name: a description
        return False
    return True
