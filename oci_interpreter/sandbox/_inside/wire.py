"""What travels between oci and the supervisor, the one description both sides use:
the configuration oci sends on the supervisor's stdin (:class:`Config`, marshalled as a
dict) and the events on the status pipe (``EVENTS``, written with :func:`emit`, read by
oci's sandbox/status.py). Stdlib only: it is loaded inside the sandbox.

The configuration is typed without dataclasses (importing them costs 15 ms, more than the
rest of a run's start-up): each record lists its fields with their defaults, and an
unknown field is an error on both sides.

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


# ---------------------------------------------------------- the configuration --


class _Record:
    """A record of named fields with defaults (the class attributes named in _FIELDS)."""

    _FIELDS: tuple[str, ...] = ()
    _NESTED: tuple[tuple[str, type[_Record]], ...] = ()

    def __init__(self, **values: object) -> None:
        for name in self._FIELDS:
            value = values.pop(name, getattr(type(self), name))
            nested = dict(self._NESTED).get(name)
            if nested is not None and isinstance(value, dict):
                value = nested(**value)
            setattr(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}: unknown fields {sorted(values)}")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in self._FIELDS:
            value = getattr(self, name)
            out[name] = value.to_dict() if isinstance(value, _Record) else value
        return out


class Seal(_Record):
    """The file system the supervisor builds itself under ``unshare`` (what bubblewrap's
    flags build otherwise): mounts.seal_file_system."""

    workdir: str = "/"
    readable: tuple[str, ...] | list[str] = ()
    """Paths under /tmp the run reads (bound read-only into the private /tmp)."""
    protected: tuple[str, ...] | list[str] = ()
    """Read-only islands in the working directory (without an overlay)."""
    writable: tuple[str, ...] | list[str] = ()
    """oci's sandbox home."""
    tmpfs_size: int | None = None
    layers: str | None = None
    """oci's layers directory, bound at mounts.STAGE for the overlay (None: no overlay)."""
    hide: tuple[str, ...] | list[str] = ()
    """Directories of /sys covered by an empty read-only tmpfs (the host's interfaces)."""
    _FIELDS = ("workdir", "readable", "protected", "writable", "tmpfs_size", "layers",
               "hide")


class Overlay(_Record):
    """The working directory's overlay (mounts.Overlay)."""

    id: str = "-"
    """The first upper layer (``upper-ID``): a fresh run's, or a kernel's probe."""
    rebind: tuple[str, ...] | list[str] = ()
    """Paths inside the working directory bound again on top of the overlay."""
    _FIELDS = ("id", "rebind")


class Config(_Record):
    """One sandboxed run or kernel."""

    mode: str = "code"
    """``file`` (``path``), ``code`` (``code``) or ``kernel`` (cells on ``ctl_fd``)."""
    path: str | None = None
    code: str | None = None
    filename: str | None = None
    """The name a code string's frames carry (``<code>``)."""
    args: tuple[str, ...] | list[str] = ()
    cwd: str = "/"
    stdin_file: str | None = None
    trace_lines: bool = False
    explain_asserts: bool = False
    # pipes (descriptors inherited by the wrapper)
    status_fd: int = -1
    ctl_fd: int | None = None
    sup_fd: int | None = None
    # limits
    memory: int = 0
    file_size: int = 0
    open_files: int = 0
    cpu: float = 0.0
    processes: int = 0
    nproc: int | None = None
    # containment
    pid_namespace: bool = False
    drop_caps: bool = False
    own_ids: tuple[int, int] | None = None
    private_tmpfs: tuple[str, ...] | list[str] = ()
    seal: Seal | None = None
    overlay: Overlay | None = None
    _FIELDS = ("mode", "path", "code", "filename", "args", "cwd", "stdin_file",
               "trace_lines", "explain_asserts", "status_fd", "ctl_fd", "sup_fd", "memory",
               "file_size", "open_files", "cpu", "processes", "nproc", "pid_namespace",
               "drop_caps", "own_ids", "private_tmpfs", "seal", "overlay")
    _NESTED = (("seal", Seal), ("overlay", Overlay))
