"""`oci config`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(help="Show the effective settings and where they come from.",
                  no_args_is_help=True)


@app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print every setting, its value and its source (default, config file, environment)."""
    import dataclasses

    from oci_interpreter.core.config import load_settings

    loaded = load_settings()
    values = dataclasses.asdict(loaded.settings)
    if as_json:
        typer.echo(json.dumps({
            "config_file": str(loaded.config_path),
            "settings": {k: {"value": v, "source": loaded.sources[k]} for k, v in values.items()},
        }, indent=2))
        return
    from rich.table import Table

    from oci_interpreter.ui.console import make_console

    table = Table(title=f"config file: {loaded.config_path}", title_justify="left",
                  box=None, pad_edge=False)
    table.add_column("setting")
    table.add_column("value")
    table.add_column("from")
    for name, value in values.items():
        table.add_row(name, "" if value is None else str(value), loaded.sources[name])
    make_console().print(table)


@app.command("path")
def path() -> None:
    """Print the path of the config file (it may not exist yet)."""
    from oci_interpreter.core import paths

    typer.echo(str(paths.config_file()))
