"""The synthetic conversation ``oci bench speed`` measures with: a data-analysis request
for decode speed, and a history of tasks, programs and outputs of any length in tokens for
the follow-up latency (deterministic, so runs compare)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from oci_interpreter.backend.base import Message

SYSTEM = (
    "You are a helpful assistant that writes Python. When code helps, give a short plan, "
    "then one complete Python program in a single ```python fenced block that prints its "
    "result."
)

_MODULE = '''\
import csv
import statistics
from collections import defaultdict


def load(path):
    rows = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            row["quantity"] = int(row["quantity"])
            row["price"] = float(row["price"])
            rows.append(row)
    return rows


def totals_by_category(rows):
    totals = defaultdict(float)
    for row in rows:
        totals[row["category"]] += row["quantity"] * row["price"]
    return dict(totals)


def restock(rows, threshold=5):
    return [row["sku"] for row in rows if row["quantity"] < threshold]


def price_stats(rows):
    prices = [row["price"] for row in rows]
    return {
        "mean": statistics.mean(prices),
        "median": statistics.median(prices),
        "stdev": statistics.stdev(prices) if len(prices) > 1 else 0.0,
    }


def report(path):
    rows = load(path)
    for category, total in sorted(totals_by_category(rows).items()):
        print(f"{category:<12} {total:>10.2f}")
    print("restock:", ", ".join(restock(rows)) or "nothing")
    print(price_stats(rows))


if __name__ == "__main__":
    report("inventory.csv")
'''

DECODE_MESSAGES = (
    Message("system", SYSTEM),
    Message("user", f"Here is a module:\n```python\n{_MODULE}```\nRewrite it as a class "
                    "`Inventory` with a docstring and type hints on every method, and keep "
                    "the same output."),
)
"""The decode prompt (about 450 tokens): its greedy reply is long code, so both the
engine and oci reach the token limit."""

FOLLOW_UP = "Thanks. Now also write the totals to a CSV file named totals.csv."

_COLUMNS = ("price", "quantity", "weight", "rating", "delay", "score", "age", "distance")


def _task(i: int) -> str:
    col = _COLUMNS[i % len(_COLUMNS)]
    return (f"Load data_{i}.csv, drop the rows where `{col}` is missing, and print the mean, "
            f"median and the 3 largest values of `{col}` grouped by `group`.")


def _program(i: int) -> str:
    col = _COLUMNS[i % len(_COLUMNS)]
    return (
        f"I'll read the file with the csv module and group the `{col}` values.\n"
        "```python\n"
        "import csv\nimport statistics\nfrom collections import defaultdict\n\n"
        f"groups = defaultdict(list)\nwith open('data_{i}.csv', newline='') as fh:\n"
        "    for row in csv.DictReader(fh):\n"
        f"        if row['{col}']:\n"
        f"            groups[row['group']].append(float(row['{col}']))\n\n"
        "for name, values in sorted(groups.items()):\n"
        "    top = sorted(values, reverse=True)[:3]\n"
        "    print(f'{name}: mean={statistics.mean(values):.2f} '\n"
        "          f'median={statistics.median(values):.2f} top3={top}')\n"
        "```"
    )


def _output(i: int) -> str:
    lines = []
    for g in range(4):
        base = (i * 7 + g * 13) % 50 + 10
        lines.append(f"{chr(65 + g)}: mean={base + 0.37 * g:.2f} median={base - 0.5:.2f} "
                     f"top3=[{base + 9.5}, {base + 7.25}, {base + 4.0}]")
    return "Execution result:\n" + "\n".join(lines)


def _user(i: int, rows: int = 0) -> Message:
    """The i-th user message: the last program's result, ``rows`` rows of the data, a task."""
    parts = [_output(i - 1)] if i else []
    if rows:
        col = _COLUMNS[i % len(_COLUMNS)]
        table = [f"id,group,{col},note"] + [
            f"{r},{chr(65 + r % 4)},{(r * 37 + i * 11) % 997 / 10:.1f},batch-{r // 8}"
            for r in range(rows)
        ]
        parts.append(f"The first rows of data_{i}.csv:\n```\n" + "\n".join(table) + "\n```")
    parts.append(_task(i))
    return Message("user", "\n\n".join(parts))


def synthetic_history(count_tokens: Callable[[Sequence[Message]], int],
                      target_tokens: int) -> list[Message]:
    """A chat of about ``target_tokens`` tokens (at least that many, a data row more at
    most): system, then user tasks, assistant programs and their printed results, ending
    with a user message, whose pasted data rows make up the last part of the length."""
    messages = [Message("system", SYSTEM), _user(0)]
    i = 0
    while count_tokens(messages) < target_tokens:
        turn = [Message("assistant", _program(i)), _user(i + 1)]
        if count_tokens([*messages, *turn]) <= target_tokens:
            messages += turn
            i += 1
            continue
        for rows in range(1, 100_000):  # a whole turn is too much: paste data rows
            messages[-1] = _user(i, rows)
            if count_tokens(messages) >= target_tokens:
                break
        break
    return messages
