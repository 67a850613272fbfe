"""CLI: Typer commands. The only place that turns errors into exit codes."""
