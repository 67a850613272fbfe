"""The status pipe's protocol, the one description both sides use: the supervisor and
the program's side write events (``emit``), oci reads and checks them
(status.parse_event against ``EVENTS``). Stdlib only: it is loaded inside the sandbox.

Every event is one line, a Python literal (a dict with ``event`` and its fields), shorter
than PIPE_BUF, so lines written by the program's side and by the supervisor never
interleave. oci reads them with ``ast.literal_eval`` (importing json in the supervisor
would cost more than the rest of its start-up).
"""

from __future__ import annotations

import os

SENTINEL = b"\x00\x1eoci-cell-end:"
"""Ends a kernel cell's output in stdout and stderr, followed by the cell's nonce (only the
supervisor knows it, and writes it when it has seen the cell end)."""

LIMIT_NAMES = frozenset({"time", "cpu", "memory", "processes", "output", "file_size",
                         "open_files", "inotify"})

# event -> {field: (type, default)}; a field with default None is required. Anything else
# in a line is dropped by oci.
EVENTS: dict[str, dict[str, tuple[type, object]]] = {
    # the supervisor's own
    "exit": {"exit_code": (int, None), "limit": (str, None), "maxrss": (int, 0),
             "cpu": (float, 0.0)},
    "peak": {"bytes": (int, 0)},
    "beat": {},
    "ready": {"pid": (int, 0)},
    "cell_done": {"id": (int, None), "held": (bool, False), "peak": (int, 0)},
    # the program's side (relayed by the supervisor: its word, not the supervisor's)
    "stdin_read": {},
    "exception": {"type": (str, "Exception"), "message": (str, ""), "limit": (str, None)},
    "plot": {"path": (str, None)},
    "plot_error": {"message": (str, "")},
    "cell_result": {"id": (int, 0), "ok": (bool, False), "interrupted": (bool, False),
                    "threads_left": (int, 0)},
    "exit_request": {"code": (int, 1)},
    "coverage": {"lines": (str, None)},
}
PROGRAM_EVENTS = frozenset({"stdin_read", "exception", "plot", "plot_error", "cell_result",
                            "exit_request", "coverage"})
"""What the supervisor relays from the program's own pipe; a line of any other kind there
(an ``exit``, a ``cell_done``) is dropped."""
OPTIONAL_FIELDS = frozenset({"limit"})
"""Fields whose default None means "none", not "required"."""
LONG_FIELDS = {"lines": 4000}
"""Fields that may hold more than 1000 characters (a coverage chunk: line ranges)."""

RELAY_LINE_MAX = 4096
"""The longest line the supervisor relays from the program's side."""
RELAY_EVENTS_PER_SECOND = 200
STATUS_LINE_MAX = 8192
"""The longest line oci reads from the status pipe."""


def emit(fd: int, **event: object) -> None:
    """Write one event line (never raises: a closed pipe means oci is gone)."""
    data = (repr(event) + "\n").encode("utf-8", "backslashreplace")
    try:
        os.write(fd, data)
    except OSError:
        pass
