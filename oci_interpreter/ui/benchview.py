"""Rich rendering of `oci bench` results: the accuracy table, the speed table, and the
one-line-per-problem progress."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def throughput_table(rows: list[dict[str, Any]]) -> Table:
    """``--jobs 1,4``: the same problems with each job count."""
    table = Table(title="throughput · the same problems, one run per job count",
                  title_justify="left")
    for name in ("jobs", "problems", "min", "problems/min", "speed-up", "pass@1 (first column)"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(str(row["jobs"]), str(row["problems"]), f"{row['seconds'] / 60:.1f}",
                      f"{row['problems_per_minute']:.2f}", f"{row.get('speedup', 1.0):.2f}x",
                      _pct(row["pass_at_1"]))
    return table


def accuracy_table(summary: dict[str, Any]) -> Table:
    """One row per column; pass@1 after each feedback round (hidden tests score)."""
    rounds_run = summary["rounds_run"]
    headline = summary["rounds"]
    n = summary["n"]
    title = (f"{summary['benchmark']} · {summary['model']} · {n} problem{'s' if n != 1 else ''}"
             " · greedy · pass@1 (hidden tests) after 0, 1, ... feedback rounds")
    if summary.get("interrupted"):
        title += f" · interrupted ({summary['n']} of {summary['n_selected']} done)"
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("mode", no_wrap=True)
    for r in range(rounds_run + 1):
        table.add_column(f"{r} *" if r == headline else str(r), justify="right", no_wrap=True)
    table.add_column("±single", justify="right", no_wrap=True)
    table.add_column("tokens", justify="right")
    table.add_column("min", justify="right")

    def row(label: str, col: dict[str, Any], single: bool = False) -> None:
        cells = [label]
        if single:
            cells.append(_pct(col["pass_at_1"]))
            cells += ["" for _ in range(rounds_run)]
            cells.append("")
        else:
            by = col["by_round"]
            cells += [_pct(by[str(r)]) for r in range(rounds_run + 1)]
            fixed, broken = col.get("fixed_vs_single"), col.get("broken_vs_single")
            cells.append(f"+{fixed} −{broken}" if fixed is not None else "")
        cells += [f"{col['generated_tokens']:,}", f"{col['seconds'] / 60:.1f}"]
        table.add_row(*cells)

    if "single_turn" in summary:
        row("single-turn", summary["single_turn"], single=True)
    for name, col in summary.get("strategies", {}).items():
        row(f"feedback: {name}", col)
    if "oracle_feedback" in summary:
        row("oracle", summary["oracle_feedback"])
    table.caption = (
        f"* the headline: {headline} feedback round{'s' if headline != 1 else ''}, as in the "
        "paper's table. single-turn: one reply, not run. feedback: the loop sees only the "
        "visible checks (docstring examples / the task's test). oracle: the failing hidden "
        "test is fed back (the paper's setting; a user never has it).")
    table.caption_justify = "left"
    return table


def speed_table(speed: dict[str, Any]) -> Table:
    """The speed figures as ratios first, absolute numbers with the machine."""
    machine = speed.get("machine") or {}
    title = (f"speed · {machine.get('cpu', '?')} · {machine.get('cores', '?')} cores · "
             f"{machine.get('threads', '?')} threads · {machine.get('backend', '?')}")
    if machine.get("gpu"):
        title += f" · {machine['gpu']}"
    table = Table(title=title, title_justify="left")
    table.add_column("what")
    table.add_column("oci", justify="right")
    table.add_column("reference", justify="right")
    table.add_column("ratio", justify="right")

    def num(value: Any, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    table.add_row("decode tokens/s (vs raw llama-cpp-python)",
                  num(speed.get("decode_tokens_per_s"), ".1f"),
                  num(speed.get("engine_decode_tokens_per_s"), ".1f"),
                  num(speed.get("decode_ratio_vs_engine"), ".3f"))
    table.add_row("prompt tokens/s (vs raw llama-cpp-python)",
                  num(speed.get("prompt_tokens_per_s"), ".1f"),
                  num(speed.get("engine_prompt_tokens_per_s"), ".1f"),
                  num(speed.get("prompt_ratio_vs_engine"), ".3f"))
    bandwidth = speed.get("memory_bandwidth_gb_s")
    table.add_row(
        f"decode vs memory-bandwidth ceiling ({num(bandwidth, '.1f')} GB/s ÷ "
        f"{num((speed.get('weight_bytes_per_token') or 0) / 1e6 or None, '.0f')} MB/token)",
        num(speed.get("decode_tokens_per_s"), ".1f"),
        num(speed.get("ceiling_tokens_per_s"), ".1f"),
        num(speed.get("decode_fraction_of_ceiling"), ".3f"))
    for length, row in sorted((speed.get("followup_ttft_s") or {}).items(),
                              key=lambda kv: int(kv[0])):
        reuse, fresh = row.get("reuse"), row.get("no_reuse")
        ratio = reuse / fresh if reuse and fresh else None
        table.add_row(f"follow-up TTFT s, {row.get('history_tokens', length)} tokens of "
                      "history (reuse vs none)", num(reuse, ".3f"), num(fresh, ".3f"),
                      num(ratio, ".3f"))
    sandbox = speed.get("sandbox") or {}
    base = sandbox.get("python_c_pass_s")
    for key, label in (("kernel_cell_s", "kernel cell"), ("fresh_run_s", "fresh sandboxed run")):
        value = sandbox.get(key)
        table.add_row(f"{label} s (vs python -c pass)", num(value, ".4f"), num(base, ".4f"),
                      num(value / base if value and base else None, ".2f"))
    table.add_row("oci --help start-up s (vs python -c pass)",
                  num(speed.get("help_startup_s"), ".3f"), num(base, ".4f"),
                  num(speed.get("help_startup_ratio"), ".2f"))
    table.add_row("peak RSS of a chat turn, MiB (vs model file)",
                  num(speed.get("chat_turn_peak_rss_mib"), ".0f"),
                  num(speed.get("model_file_mib"), ".0f"),
                  num(speed.get("chat_turn_rss_vs_model_file"), ".2f"))
    weights_kv = ((speed.get("model_file_mib") or 0) + (speed.get("kv_cache_mib") or 0)) or None
    table.add_row("peak RSS of a chat turn, MiB (vs weights + KV cache)",
                  num(speed.get("chat_turn_peak_rss_mib"), ".0f"), num(weights_kv, ".0f"),
                  num(speed.get("chat_turn_rss_vs_weights_and_kv"), ".2f"))
    table.add_row("oci chat start-up s: to its banner, to the reply's first line",
                  num(speed.get("chat_startup_to_banner_s"), ".2f"),
                  num(speed.get("chat_startup_to_first_reply_line_s"), ".2f"), "")
    problems = {**(speed.get("skipped") or {}), **(speed.get("errors") or {})}
    if problems:
        table.caption = "not measured: " + "; ".join(f"{k}: {v}" for k, v in problems.items())
        table.caption_justify = "left"
    return table


def progress_line(task_id: str, marks: list[tuple[str, list[bool]]], done: int, total: int,
                  elapsed: float, ran: int | None = None) -> Text:
    """``HumanEval/3  single ✓  conversation ✗✓  oracle ✗✗✓   3/164 · 1.2 min · ~40 min left``.

    ``ran``: problems run in ``elapsed`` (fewer than ``done`` when resuming)."""
    text = Text(f"{task_id:<15}")
    for name, by_round in marks:
        text.append(f" {name} ")
        for passed in by_round:
            text.append("✓" if passed else "✗", style="green" if passed else "red")
    ran = done if ran is None else ran
    left = elapsed / ran * (total - done) if ran > 0 else 0.0
    text.append(f"   {done}/{total} · {elapsed / 60:.1f} min", style="dim")
    if done < total:
        text.append(f" · ~{left / 60:.0f} min left", style="dim")
    return text


class ProgressPrinter:
    """One progress line per finished problem, with the time left estimated from the
    problems this run has finished (not those a resumed log already held)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.restart()

    def restart(self) -> None:
        """A new run: its own clock."""
        self.started = time.monotonic()
        self.resumed: int | None = None

    def __call__(self, problem: Any, outcomes: Any, finished: int, total: int) -> None:
        if self.resumed is None:  # the first problem this run finished
            self.resumed = finished - 1
        marks = [(o.setup_name, o.by_round) for o in outcomes]
        self.console.print(progress_line(problem.task_id, marks, finished, total,
                                         time.monotonic() - self.started,
                                         ran=finished - self.resumed), highlight=False)
