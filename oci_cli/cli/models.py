"""`oci models list | pull | info`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

app = typer.Typer(help="Known models, downloads and GGUF metadata.", no_args_is_help=True)


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return str(n)  # pragma: no cover


@app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List known models: which are present in the store, their size and path."""
    from oci_cli.core.store import stored_models

    entries = stored_models()
    rows: list[dict[str, Any]] = []
    for s in entries:
        present = s.present
        size = s.path.stat().st_size if present else s.file.size
        rows.append({
            "name": f"{s.model.name}:{s.file.quant}",
            "present": present,
            "embedded": s.model.embedded,
            "size_bytes": size,
            "path": str(s.path),
            "description": s.model.description,
        })
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    from oci_cli.ui.console import make_console

    table = Table(box=None, pad_edge=False)
    table.add_column("model", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("where", overflow="fold")
    for r, s in zip(rows, entries, strict=True):
        if r["present"]:
            where = f"[green]present[/green] {r['path']}"
        elif s.model.embedded:
            where = "[dim]embedded: assembled on first use[/dim]"
        else:
            where = f"[dim]not downloaded ({s.model.repo})[/dim]"
        approx = "" if r["present"] or s.file.sha256 else "~"
        table.add_row(r["name"], approx + _human(r["size_bytes"]), where)
    console = make_console()
    console.print(table)
    console.print("[dim]Get one with `oci models pull NAME[:QUANT]`; "
                  "use one with `--model NAME` or a path to any .gguf file.[/dim]")


@app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="NAME or NAME:QUANT from `oci models list`.")],
) -> None:
    """Download a model into the store (resumable, verified); the embedded one is assembled."""
    from oci_cli.core import hub
    from oci_cli.core.catalog import lookup, split_spec
    from oci_cli.core.store import assemble_embedded
    from oci_cli.ui.console import err_console
    from oci_cli.ui.progress import byte_progress

    base, quant = split_spec(name)
    model = lookup(base)
    mf = model.file_for(quant)
    err = err_console()
    with byte_progress(err, f"{model.name}:{mf.quant}") as progress:
        path = assemble_embedded(progress) if model.embedded else hub.pull(model, mf, progress)
    typer.echo(str(path))


@app.command("info")
def info(
    model: Annotated[str, typer.Argument(help="Catalog NAME[:QUANT] or path to a .gguf file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    template: Annotated[bool, typer.Option("--template", help="Print the whole chat template.")]
    = False,
) -> None:
    """Show a GGUF file's metadata: architecture, quantization, parameters, context, template."""
    from oci_cli.core import gguf_meta
    from oci_cli.core.store import resolve_model

    resolved = resolve_model(model)
    header = gguf_meta.read_header(resolved.path)
    complete = True
    try:
        gguf_meta.check_complete(header)
    except Exception:
        complete = False
    data: dict[str, Any] = {
        "name": header.name,
        "path": str(resolved.path),
        "architecture": header.architecture,
        "quantization": header.quantization,
        "parameters": header.n_parameters,
        "context_length": header.context_length,
        "file_size": header.file_size,
        "complete": complete,
        "gguf_version": header.version,
        "special_tokens": header.special_tokens(),
        "chat_template": header.chat_template,
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    from rich.table import Table

    from oci_cli.ui.console import make_console

    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    tpl = header.chat_template
    for key, value in data.items():
        if key == "chat_template":
            if tpl is None:
                value = "none (oci will use its fallback)"
            elif not template:
                value = f"{len(tpl)} characters (--template to print it)"
            else:
                value = tpl
        elif key == "parameters":
            value = f"{value / 1e9:.2f} B" if value >= 1e8 else f"{value / 1e6:.1f} M"
        elif key == "file_size":
            value = _human(value)
        elif key == "special_tokens":
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
        elif key == "complete" and not value:
            value = "NO: truncated (delete and fetch again)"
        table.add_row(key.replace("_", " "), str(value))
    make_console().print(table)
