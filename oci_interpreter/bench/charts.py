"""PNG charts of a benchmark run (matplotlib, from the ``bench`` extra; optional).

* pass@1 by mode and feedback round (one line per column);
* follow-up time to first token against the conversation's length, with and without
  KV-cache reuse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oci_interpreter.core.errors import UsageError


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("matplotlib is not installed, so no charts were drawn",
                         "Install the benchmark extra: pip install 'oci-interpreter[bench]'.") \
            from None
    return plt


def pass_at_1_chart(summary: dict[str, Any], path: Path) -> Path:
    """pass@1 (%) after 0..rounds_run feedback rounds, one line per column."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    rounds = list(range(summary["rounds_run"] + 1))
    single = summary.get("single_turn")
    if single:
        # The label from the counts: pass_at_1 is already rounded to 4 places, and
        # rounding it again can move the last digit (250/427 = 58.548% read 58.6%).
        rate = (single["passed"] / single["n"] if single.get("n")
                else single["pass_at_1"])
        ax.axhline(100 * single["pass_at_1"], color="grey", linestyle="--",
                   label=f"single-turn ({100 * rate:.1f}%)")
    columns = [(f"execution feedback: {name}", col)
               for name, col in summary.get("strategies", {}).items()]
    if "oracle_feedback" in summary:
        columns.append(("oracle feedback (hidden tests; not available to a user)",
                        summary["oracle_feedback"]))
    for label, col in columns:
        values = [100 * col["by_round"][str(r)] for r in rounds]
        ax.plot(rounds, values, marker="o", label=label)
    ax.set_xticks(rounds)
    ax.set_xlabel("feedback rounds")
    ax.set_ylabel("pass@1 (%)")
    ax.set_title(f"{summary['benchmark']} · {summary['model']} · n={summary['n']} · greedy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def followup_chart(speed: dict[str, Any], path: Path) -> Path:
    """Follow-up time to first token (s) against history length, reuse vs no reuse."""
    plt = _pyplot()
    rows = speed.get("followup_ttft_s") or {}
    if not rows:
        raise UsageError("no follow-up timings to chart", "Run the speed benchmark's followup "
                         "part.")
    lengths = sorted(rows, key=lambda k: int(k))
    xs = [rows[k].get("history_tokens") or int(k) for k in lengths]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for key, label in (("no_reuse", "KV cache dropped (history evaluated again)"),
                       ("reuse", "KV cache reused (oci's default)")):
        values = [rows[k].get(key) for k in lengths]
        if any(v is not None for v in values):
            ax.plot(xs, values, marker="o", label=label)
    ax.set_xlabel("conversation history (tokens)")
    ax.set_ylabel("time to first token (s)")
    machine = speed.get("machine") or {}
    ax.set_title(f"follow-up latency · {machine.get('cpu', '')[:40]} · "
                 f"{machine.get('threads', '?')} threads", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
