"""Output agreement: several programs written for the same request, run, and the answer
most of them print is kept (execution-based selection, as AlphaCode clusters its samples
by behaviour). A lone answer is weaker evidence than one that independent programs agree
on; ``oci run --agree N`` shows which it was.

Pure functions; the loop (agent/loop.py) samples and runs the programs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


def same_output_key(output: str) -> str:
    """What two outputs must share to count as the same answer: the text, less trailing
    spaces on each line and blank lines at either end (a program that prints "6765 " and
    one that prints "6765" agree)."""
    lines = [line.rstrip() for line in output.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


@dataclass(frozen=True)
class Vote:
    """Which output wins among the programs that ran cleanly and printed something."""

    chosen: int
    """Index (into the outputs given) of the program kept: the first of the largest
    group; on a tie between groups, the group of the first program (the model's own
    reply, at its usual temperature), else the group seen first."""
    agree: int
    """How many programs printed the chosen answer."""
    of: int
    """How many programs' outputs were compared."""
    groups: int
    """How many different answers there were."""

    @property
    def clear(self) -> bool:
        """More than half of the programs printed the kept answer, and at least two did."""
        return self.agree >= 2 and 2 * self.agree > self.of


def vote(outputs: Sequence[str]) -> Vote | None:
    """The answer most ``outputs`` share (None when there are none)."""
    if not outputs:
        return None
    groups: dict[str, list[int]] = {}
    for i, output in enumerate(outputs):
        groups.setdefault(same_output_key(output), []).append(i)
    best = max(len(members) for members in groups.values())
    tied = [members for members in groups.values() if len(members) == best]
    # dicts keep insertion order: the first tied group is the one seen first, and the
    # first program's group is first of all when it is among them.
    members = tied[0]
    return Vote(chosen=members[0], agree=best, of=len(outputs), groups=len(groups))


def settled(outputs: Sequence[str], still_to_come: int) -> bool:
    """Whether more programs can no longer change the kept answer: the leading answer
    has two or more votes and more than any other could reach with the programs still to
    come (as many, when the leader is the first program's answer: ties go to it). Stops
    sampling early when agreement is clear."""
    result = vote(outputs)
    if result is None or result.agree < 2:
        return False
    keys = [same_output_key(o) for o in outputs]
    leader = keys[result.chosen]
    runner_up = max((keys.count(k) for k in set(keys) if k != leader), default=0)
    if keys[0] == leader:
        return result.agree >= runner_up + still_to_come
    return result.agree > runner_up + still_to_come


def vote_per_input(results: Sequence[Sequence[str]],
                   is_failure: Callable[[str], bool] = lambda _value: False) -> Vote | None:
    """The program whose results on a set of inputs most agree with the others', input
    by input (execution-based minimum Bayes risk): each program scores, for every input,
    how many programs gave its result there. A failure (``is_failure``: a crash) scores
    nothing on an input where another program returned a result: a majority that crashes
    on an edge case does not outvote the one program that handles it. Ties keep the
    earliest program (the model's own reply first). ``results[i][j]``: program i's
    result on input j. ``agree``/``groups`` count programs by their whole results."""
    if not results:
        return None
    width = max(len(row) for row in results)
    rows = [list(row) + [""] * (width - len(row)) for row in results]
    scores = [0] * len(rows)
    for j in range(width):
        column = [row[j] for row in rows]
        some_returned = any(not is_failure(value) for value in column)
        for i, value in enumerate(column):
            if some_returned and is_failure(value):
                continue
            scores[i] += column.count(value)
    chosen = max(range(len(rows)), key=lambda i: (scores[i], -i))
    whole = ["\n".join(row) for row in rows]
    return Vote(chosen=chosen, agree=whole.count(whole[chosen]), of=len(rows),
                groups=len(set(whole)))
