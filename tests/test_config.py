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


# ------------------------------------------------ one declaration per setting --
# core/config.py declares each setting once (type, default, help, flags, choices, bounds);
# the validation, the help text's choices, the library's option types and the commands'
# options all come from there.

CHOICES = {
    "mmap": "use auto, on or off",
    "sandbox": "use auto, bwrap, unshare or none",
    "strategy": "use conversation, fresh or explain",
    "editing_mode": "use emacs or vi",
    "figures": "use auto, sixel, kitty, blocks or off",
}
"""Every setting with choices, and what a value outside them is told (the existing words)."""


def test_the_settings_with_choices_are_typed_by_them() -> None:
    import typing

    from oci_interpreter.core.config import DECLARATIONS, Settings

    with_choices = {name for name, decl in DECLARATIONS.items() if decl.choices}
    assert with_choices == set(CHOICES)
    hints = typing.get_type_hints(Settings)
    for name in with_choices:  # a Literal, so mypy checks every use (no type: ignore)
        assert typing.get_origin(hints[name]) is typing.Literal
        assert typing.get_args(hints[name]) == DECLARATIONS[name].choices


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_every_setting_with_choices_refuses_a_value_outside_them(name: str) -> None:
    from oci_interpreter.core.config import declaration, env_var, load_settings, words
    from oci_interpreter.core.errors import UsageError

    decl = declaration(name)
    assert CHOICES[name] == f"use {words(decl.choices)}"
    var = env_var(name)
    with pytest.raises(ConfigError) as info:
        load_settings(environ={var: "nope"})
    assert info.value.message == f"{name} = 'nope' from environment ({var}): {CHOICES[name]}"
    with pytest.raises(UsageError) as usage:  # a flag: a usage error, named by the flag
        load_settings({name: "nope"}, environ={})
    flag = decl.flags[0] if decl.flags else f"--{name.replace('_', '-')}"
    assert usage.value.message == f"{flag} nope: {CHOICES[name]}"
    for choice in decl.choices:
        assert getattr(load_settings(environ={var: choice}).settings, name) == choice
    assert decl.help == HELP[name]


HELP = {
    "mmap": "map the model file instead of reading it into memory: auto (only when layers go "
            "to a GPU: on the CPU, llama.cpp keeps a repacked copy of most weights, and the "
            "mapped pages would stay resident beside it), on or off",
    "sandbox": "containment: auto, bwrap, unshare or none",
    "strategy": "after a failed run: conversation (append the result), fresh (restate task, "
                "program and failure in a new short context) or explain (the model first "
                "traces the failure step by step in a short context, then repairs)",
    "editing_mode": "key bindings at the chat prompt: emacs or vi",
    "figures": "how `oci chat` shows the images a program saves: auto (drawn where the "
               "terminal draws images: sixel, kitty), sixel, kitty, blocks (coloured "
               "character cells, any colour terminal) or off (the path only)",
}
"""The help texts, with the choices the declarations list."""


@pytest.mark.parametrize(("name", "value", "message"), [
    ("n_ctx", "10", "the context must be at least 256 tokens"),
    ("threads", "-1", "use 0 for automatic, or a positive number"),
    ("gpu_layers", "-2", "use -1 for automatic, 0 for none, or a layer count"),
    ("temperature", "5.5", "use a value between 0 and 5"),
    ("max_tokens", "0", "must be at least 1"),
    ("server_timeout", "0", "must be more than 0 seconds"),
    ("timeout", "-1", "must be more than 0 seconds"),
    ("cpu_time", "-1", "use 0 for timeout + 1, or a number of seconds"),
    ("memory", "31M", "must be at least 32M"),
    ("memory", "lots", "write a size such as 512M or 1G"),
    ("max_output", "1000", "must be at least 1K"),
    ("max_file_size", "0", "write a size such as 512M or 1G"),
    ("max_processes", "0", "must be at least 1"),
    ("max_open_files", "15", "must be at least 16"),
    ("rounds", "0", "must be at least 1"),
    ("candidates", "17", "use a number from 1 to 16"),
    ("candidates", "0", "use a number from 1 to 16"),
    ("agree", "9", "use 0 (off) or a number from 1 to 8"),
    ("max_time", "-1", "use 0 for no limit, or a number of seconds"),
    ("chat_rounds", "0", "must be at least 1"),
    ("base_url", "ftp://x", "give the server's http(s) address, e.g. http://127.0.0.1:8080/v1"),
    ("api_key_env", "A=B", "name an environment variable, e.g. OCI_API_KEY"),
])
def test_a_value_outside_the_declared_bounds_is_refused_in_the_existing_words(
        name: str, value: str, message: str) -> None:
    from oci_interpreter.core.config import env_var

    var = env_var(name)
    with pytest.raises(ConfigError) as info:
        load_settings(environ={var: value})
    assert info.value.message.startswith(f"{name} = ")
    assert info.value.message.endswith(f"from environment ({var}): {message}")


def test_every_declared_default_is_valid_by_its_own_declaration() -> None:
    from oci_interpreter.core.config import DECLARATIONS

    for name, decl in DECLARATIONS.items():
        assert decl.problem(decl.default) is None, name


def test_the_sandbox_choices_are_the_containment_modes() -> None:
    """Core cannot import the sandbox: the setting's Literal and the modes' classes are
    kept equal here."""
    import typing

    from oci_interpreter.core.config import SandboxMode
    from oci_interpreter.sandbox.containment import MODES

    assert typing.get_args(SandboxMode) == MODES


def test_library_defaults_are_the_declared_defaults() -> None:
    """Limits, GenerationOptions, LoopOptions and ChatOptions take their defaults from the
    settings' declarations: a default changed in only one place fails here."""
    from dataclasses import replace

    from oci_interpreter.agent.chat import ChatOptions
    from oci_interpreter.agent.contracts import LoopOptions
    from oci_interpreter.backend.base import GenerationOptions
    from oci_interpreter.core.config import default_of
    from oci_interpreter.sandbox import limits

    defaults = limits.Limits()
    for name, limit in limits.SETTINGS.items():
        declared = default_of(name)
        if name in ("memory", "max_file_size", "max_output"):
            declared = limits.parse_size(declared)
        assert getattr(defaults, limit) == declared, name
    generation = GenerationOptions()
    for name in ("temperature", "seed", "max_tokens"):
        assert getattr(generation, name) == default_of(name), name
    loop = LoopOptions()
    for name, option in (("rounds", "max_rounds"), ("strategy", "strategy"),
                         ("agree", "agree"), ("max_time", "max_seconds")):
        assert getattr(loop, option) == default_of(name), name
    assert loop.generation == generation
    assert ChatOptions().rounds == default_of("chat_rounds")

    # ... and the one function per target makes the defaults from the default settings.
    settings = Settings()
    assert limits.Limits.from_settings(settings) == defaults
    assert GenerationOptions.from_settings(settings) == generation
    for command in ("run", "fix"):  # the library's one candidate; the commands take 3
        made = LoopOptions.from_settings(settings, command)
        assert made == replace(loop, candidates=default_of("candidates"))
    assert LoopOptions.from_settings(settings, "chat") == replace(
        loop, max_rounds=default_of("chat_rounds"))


def test_the_limits_refuse_what_the_settings_refuse() -> None:
    """One minimum per limit (the setting's), in the library's words."""
    from oci_interpreter.core.config import declaration
    from oci_interpreter.core.errors import UsageError
    from oci_interpreter.sandbox import limits

    for name, limit in limits.SETTINGS.items():
        decl = declaration(name)
        least = decl.above if decl.above is not None else decl.minimum
        if least is None:
            continue
        limits.Limits(**{limit: least if decl.above is None else least + 1})
        with pytest.raises(UsageError, match=f"sandbox limit {limit} = .* is too small"):
            limits.Limits(**{limit: least if decl.above is not None else least - 1})
    with pytest.raises(UsageError) as info:
        limits.Limits(memory=16 * 2**20)
    assert (info.value.message, info.value.hint) == (
        "sandbox limit memory = 16.0 MiB is too small", "It must be at least 32.0 MiB.")
    with pytest.raises(UsageError) as info:
        limits.Limits(timeout=0)
    assert (info.value.message, info.value.hint) == (
        "sandbox limit timeout = 0 s is too small", "It must be more than 0 s.")


LOOP_SETTINGS = {"rounds", "strategy", "candidates", "agree", "max_time", "chat_rounds",
                 "temperature", "seed", "max_tokens"}
"""The settings that become the loop's or the model's options."""
READ_ELSEWHERE = {
    ("backend/base.py", "GenerationOptions.from_settings"): "the one function",
    ("agent/contracts.py", "LoopOptions.from_settings"): "the one function",
    ("backend/llama.py", "LlamaBackend.__init__"): "the engine's own seed, when it loads",
    ("cli/fix_cmd.py", "fix"): "the progress view's 'round N of M'",
}
"""Where those settings may be read, and why."""


def settings_reads(path: Path) -> set[tuple[str, str]]:
    """(function, setting) for each ``settings.NAME`` or ``self.settings.NAME`` read of a
    loop or generation setting in ``path``."""
    import ast

    found: set[tuple[str, str]] = set()

    def visit(node: ast.AST, where: list[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            where = [*where, node.name]
        if isinstance(node, ast.Attribute) and node.attr in LOOP_SETTINGS:
            owner = node.value
            named = (owner.id if isinstance(owner, ast.Name)
                     else owner.attr if isinstance(owner, ast.Attribute) else "")
            if named.endswith("settings"):
                found.add((".".join(where), node.attr))
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    visit(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


def test_every_command_builds_its_options_through_the_one_function() -> None:
    """Settings become loop and generation options in ``LoopOptions.from_settings`` and
    ``GenerationOptions.from_settings`` only (beside ``Limits.from_settings``): no command,
    driver or benchmark script reads those settings to build options by hand."""
    root = Path(__file__).resolve().parents[1]
    package = root / "oci_interpreter"
    seen: dict[tuple[str, str], set[str]] = {}
    for path in [*package.rglob("*.py"), *(root / "benchmarks").glob("*.py")]:
        shown = str(path.relative_to(package if package in path.parents else root))
        for function, name in settings_reads(path):
            seen.setdefault((shown, function), set()).add(name)
    assert set(seen) - set(READ_ELSEWHERE) == set(), seen
    assert seen[("agent/contracts.py", "LoopOptions.from_settings")] == LOOP_SETTINGS - {
        "temperature", "seed", "max_tokens"}
    assert seen[("backend/base.py", "GenerationOptions.from_settings")] == {
        "temperature", "seed", "max_tokens"}


@pytest.mark.spawns
def test_run_fix_and_chat_drive_the_loop_with_the_one_functions_options(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json
    import sys

    from oci_interpreter.agent.contracts import LoopOptions
    from oci_interpreter.agent.loop import RefineLoop
    from oci_interpreter.cli.main import main_with_status

    made: list[tuple[str, LoopOptions]] = []
    used: list[LoopOptions] = []
    build = LoopOptions.from_settings.__func__

    def spy(cls: type[LoopOptions], settings: Settings, command: str) -> LoopOptions:
        options: LoopOptions = build(cls, settings, command)
        made.append((command, options))
        return options

    init = RefineLoop.__init__

    def record(self: RefineLoop, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)
        used.append(self.options)

    monkeypatch.setattr(LoopOptions, "from_settings", classmethod(spy))
    monkeypatch.setattr(RefineLoop, "__init__", record)
    monkeypatch.chdir(tmp_path)

    def model(*replies: str) -> str:
        path = tmp_path / f"replies-{len(made)}-{len(used)}.json"
        path.write_text(json.dumps(list(replies)))
        return f"fake:{path}"

    def settled(options: LoopOptions) -> tuple[object, ...]:
        """What the settings decide (fix sizes the reply to the file)."""
        g = options.generation
        return (options.max_rounds, options.strategy, options.candidates, options.agree,
                options.max_seconds, g.temperature, g.seed)

    given = ["--temperature", "0.25", "--seed", "7", "--max-tokens", "300"]
    program = "```python\nprint(6 * 7)\n```"
    runs = {
        "run": ["run", "multiply", "--rounds", "2", "--candidates", "2", "--strategy", "fresh",
                "--max-time", "50", "--model", model(program, "42."), *given],
        "fix": ["fix", "broken.py", "--diff", "--rounds", "2", "--candidates", "2",
                "--model", model(program), *given],
        "chat": ["chat", "--rounds", "4", "--model", model(program, "42."), *given],
    }
    (tmp_path / "broken.py").write_text("print(6 * x)\n")
    for command, args in runs.items():
        made.clear()
        used.clear()
        monkeypatch.setattr(sys, "stdin", io.StringIO("multiply\n/exit\n"))
        status = main_with_status(args)
        out, err = capsys.readouterr()
        assert status == {"run": 0, "fix": 7, "chat": 0}[command], (command, out, err)
        assert [c for c, _ in made] == [command], command
        options = made[0][1]
        assert used and all(settled(u) == settled(options) for u in used), command
        assert (options.generation.temperature, options.generation.seed) == (0.25, 7)
        assert options.max_rounds == (4 if command == "chat" else 2)
        if command != "fix":
            assert options.generation.max_tokens == 300
        if command == "chat":  # the loop's settings are run's and fix's, not the chat's
            assert (options.strategy, options.candidates, options.max_seconds) == (
                "conversation", 1, 0.0)
        else:
            assert (options.strategy, options.candidates) == ("fresh" if command == "run"
                                                              else "conversation", 2)
