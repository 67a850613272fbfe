"""What oci reads from a sandbox's status pipe: each line checked against the protocol
(_inside/wire.py, the one description both sides share), and what the events say
about the run (:class:`RunState`). The lines come from the supervisor and, relayed by it,
from the program's side: every field is checked and every total bounded.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from oci_interpreter.sandbox._inside import wire as protocol
from oci_interpreter.sandbox.capture import OutputCapture
from oci_interpreter.sandbox.limits import LimitName

STATUS_LINE_MAX = protocol.STATUS_LINE_MAX
MAX_EVENTS = 1000
KEPT_EVENTS = {"ready", "exit", "exit_request", "cell_done", "cell_result"}
"""The events read later (kernel start, cell end); the rest only update the run's state."""


MAX_LINES_RUN = 100_000
"""The most line numbers a traced run may report (no script oci repairs is that long)."""


def parse_ranges(text: str, room: int = MAX_LINES_RUN) -> set[int]:
    """``"1-4,7"`` -> {1, 2, 3, 4, 7}, at most ``room`` lines, none above
    MAX_LINES_RUN; malformed parts are skipped. The text comes from the program's side
    of the sandbox (its trace hook), so it is bounded here, not trusted."""
    out: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            continue
        first, last = int(low), int(high or low)
        if not 0 < first <= last <= MAX_LINES_RUN:
            continue
        last = min(last, first + room - len(out) - 1)
        out.update(range(first, last + 1))
        if len(out) >= room:
            break
    return out


def parse_event(line: bytes) -> dict[str, Any] | None:
    """One status line -> a checked event, or None for anything malformed."""
    if len(line) > STATUS_LINE_MAX:
        return None
    try:
        raw = ast.literal_eval(line.decode("utf-8", "replace"))
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    if not isinstance(raw, dict) or raw.get("event") not in protocol.EVENTS:
        return None
    kind = raw["event"]
    event: dict[str, Any] = {"event": kind}
    for name, (kind_type, default) in protocol.EVENTS[kind].items():
        value = raw.get(name, default)
        if kind_type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if value is not None and (not isinstance(value, kind_type)
                                  or (kind_type is int and isinstance(value, bool))):
            return None
        if isinstance(value, str):
            value = value[:protocol.LONG_FIELDS.get(name, 1000)]
        if name == "limit" and value is not None and value not in protocol.LIMIT_NAMES:
            value = None
        if value is None and default is None and name not in protocol.OPTIONAL_FIELDS:
            return None  # a required field is missing
        event[name] = value
    return event

@dataclass
class RunState:
    """What the pump learned about one program or cell."""

    stdout: OutputCapture
    stderr: OutputCapture
    limit: LimitName | None = None
    exit_code: int | None = None
    cpu: float = 0.0
    peak: int = 0
    stdin_read: bool = False
    error: str | None = None
    error_limit: LimitName | None = None
    plots: list[str] = field(default_factory=list)
    interrupted: bool = False
    cell_done: bool = False
    supervisor_limit: LimitName | None = None
    supervisor_lost: bool = False
    """The supervisor stopped answering (frozen from inside?): the run was killed."""
    threads_left: int = 0
    """Kernel cells: threads the cell left running in the kernel when it ended."""
    held: bool = False
    """Kernel cells: a file the cell left open still holds its overlay."""
    lines: set[int] = field(default_factory=set)
    """With ``trace_lines``: the lines of the program's file that ran."""


def update(state: RunState, event: dict[str, Any], *, traced: bool) -> None:
    """What ``event`` (checked by parse_event) says about the run. ``traced``: the run
    traces its lines (only then are coverage events taken)."""
    kind = event["event"]
    if kind == "beat":
        return
    if kind == "exit":
        state.exit_code = event["exit_code"]
        state.cpu = event["cpu"]
        state.peak = max(state.peak, event["maxrss"])
        state.supervisor_limit = event["limit"]
    elif kind == "peak":
        state.peak = max(state.peak, event["bytes"])
    elif kind == "stdin_read":
        state.stdin_read = True
    elif kind == "exception":
        state.error = f"{event['type']}: {event['message']}".rstrip(": ")
        state.error_limit = event["limit"]
    elif kind == "plot":
        if len(state.plots) < MAX_EVENTS:
            state.plots.append(event["path"])
    elif kind == "coverage":
        # Only a traced run reports lines; the total stays bounded whatever is sent.
        room = MAX_LINES_RUN - len(state.lines)
        if traced and room > 0:
            state.lines.update(parse_ranges(event["lines"], room))
    elif kind == "cell_done":
        state.cell_done = True
        state.peak = max(state.peak, event["peak"])
        state.held = event["held"]
    elif kind == "cell_result":
        state.interrupted = state.interrupted or event["interrupted"]
        state.threads_left = event["threads_left"]
