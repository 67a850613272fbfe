"""`oci config`."""

from __future__ import annotations

from typing import Annotated

import typer

from oci_interpreter.cli.environment import Environment, takes_environment

app = typer.Typer(help="Show the effective settings and where they come from.",
                  no_args_is_help=True)


@app.command("show")
@takes_environment
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    *,
    env: Environment,
) -> None:
    """Print every setting, its value and its source (default, config file, environment)."""
    import dataclasses

    loaded = env.load_settings()
    values = dataclasses.asdict(loaded.settings)
    exists = loaded.config_path.is_file()
    model, model_from = _model_in_use(loaded.settings.model, loaded.sources["model"])
    if as_json:
        env.print_json({
            "config_file": str(loaded.config_path),
            "config_file_exists": exists,
            "model_in_use": {"value": model, "source": model_from},
            "settings": {k: {"value": v, "source": loaded.sources[k]} for k, v in values.items()},
        }, indent=2, ascii_only=True)
        return
    from rich.table import Table

    from oci_interpreter.ui.console import print_table

    title = f"config file: {loaded.config_path}" + ("" if exists else " (does not exist yet)")
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column("setting")
    table.add_column("value")
    table.add_column("from")
    for name, value in values.items():
        if name == "model" and value is None:
            table.add_row(name, model or "", model_from)
            continue
        table.add_row(name, "" if value is None else str(value), loaded.sources[name])
    print_table(env.console, table, terminal=env.stdout_isatty)


def _model_in_use(setting: str | None, source: str) -> tuple[str | None, str]:
    """The model a command would load, and why (without loading or assembling it)."""
    if setting:
        return setting, source
    from oci_interpreter.core.store import default_choice

    choice = default_choice()
    if choice is None:
        return None, "none installed: pip install 'oci-interpreter[model]'"
    why = ("the best model downloaded" if not choice.model.embedded
           else "embedded, installed (larger first)")
    return choice.model.name, f"default: {why}"


@app.command("path")
@takes_environment
def path(*, env: Environment) -> None:
    """Print the path of the config file (it may not exist yet)."""
    from oci_interpreter.core import paths

    typer.echo(str(paths.config_file()), file=env.stdout)
