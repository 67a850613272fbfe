"""Resource limits for sandboxed programs, and the result a run returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from oci_interpreter.core.config import declaration
from oci_interpreter.core.errors import UsageError
from oci_interpreter.core.sizes import GiB, KiB, MiB, format_size
from oci_interpreter.core.sizes import parse_size as _parse_size

if TYPE_CHECKING:
    from oci_interpreter.core.config import Settings

__all__ = ["ExecResult", "GiB", "KiB", "Limits", "MiB", "format_size", "parse_size"]

SETTINGS: dict[str, str] = {
    "timeout": "timeout", "cpu_time": "cpu", "memory": "memory",
    "max_processes": "processes", "max_file_size": "file_size",
    "max_open_files": "open_files", "max_output": "max_output",
    "allow_network": "allow_network", "allow_home": "allow_home",
}
"""Setting name (config file, OCI_* variable, flag) -> :class:`Limits` field. Each field's
default and least value are its setting's (core/config.py), in bytes for a size."""
_SIZE_SETTINGS = tuple(name for name in SETTINGS if declaration(name).size)
_FIELDS = {limit: name for name, limit in SETTINGS.items()}

LimitName = Literal[
    "time", "cpu", "memory", "processes", "output", "file_size", "open_files", "inotify"
]



def parse_size(text: str | int, what: str = "size") -> int:
    """A size such as ``512M`` in bytes, or a :class:`UsageError` naming ``what``."""
    value = _parse_size(text)
    if value is None:
        raise UsageError(f"{what} {text!r} is not a size",
                         "Write a number of bytes, or use K, M or G, e.g. 512M or 1G.")
    return value


def _declared(limit: str) -> Any:
    """The declared default of the setting behind ``limit`` (in bytes for a size)."""
    name = _FIELDS[limit]
    value = declaration(name).default
    return parse_size(value, name) if name in _SIZE_SETTINGS else value


@dataclass(frozen=True)
class Limits:
    """What one program (or one kernel cell) may use. Every field is enforced."""

    timeout: float = _declared("timeout")
    """Wall-clock seconds for a run, or for one cell in the kernel."""
    cpu: float = _declared("cpu")
    """CPU seconds per process (RLIMIT_CPU, all its threads together); 0 means
    ``timeout + 1``, so a busy single thread hits the wall clock first."""
    memory: int = _declared("memory")
    """Address space per process (RLIMIT_AS) and resident memory of all the
    program's processes together (checked by the supervisor)."""
    processes: int = _declared("processes")
    """Processes running at once, the program included."""
    file_size: int = _declared("file_size")
    """Largest file the program may write (RLIMIT_FSIZE)."""
    open_files: int = _declared("open_files")
    """Open file descriptors per process (RLIMIT_NOFILE)."""
    max_output: int = _declared("max_output")
    """Output kept per stream (head and tail; the middle is elided)."""
    flood_factor: int = 8
    """The program is killed once stdout+stderr pass ``max_output * flood_factor``."""
    allow_network: bool = _declared("allow_network")
    """Network access (off by default where the platform can enforce it)."""
    allow_home: bool = _declared("allow_home")
    """Let the user's home directory itself be the working directory (refused otherwise:
    a program could change shell startup files; its dot-files stay read-only under
    bubblewrap either way)."""
    grace: float = 2.0
    """Seconds an interrupted kernel cell gets to stop before the kernel is killed."""

    def __post_init__(self) -> None:
        # The bounds are the settings' (one check: Declaration.within); the words are the
        # library's, in the limit's own units.
        for name, setting in _FIELDS.items():
            decl = declaration(setting)
            value = getattr(self, name)
            if not isinstance(value, bool) and not decl.within(value):
                least = (f"more than {_shown(name, decl.above)}" if decl.above is not None
                         else f"at least {_shown(name, decl.minimum)}")
                raise UsageError(f"sandbox limit {name} = {_shown(name, value)} is too small",
                                 f"It must be {least}.")
        if self.flood_factor < 1:
            raise UsageError(f"sandbox limit flood_factor = {self.flood_factor} is too small",
                             "It must be at least 1.")

    @property
    def cpu_seconds(self) -> float:
        return self.cpu if self.cpu > 0 else self.timeout + 1

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits the configuration (file, OCI_* variables, flags) asks for."""
        return cls().with_settings(**{name: getattr(settings, name) for name in SETTINGS})

    def with_settings(self, **values: Any) -> Limits:
        """These limits with some changed, given by their setting names and values
        (``timeout=30``, ``memory="2G"``): what ``/limits`` in the chat does."""
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name not in SETTINGS:
                raise UsageError(f"{name} is not a sandbox limit",
                                 f"The limits are {', '.join(SETTINGS)}.")
            changes[SETTINGS[name]] = (parse_size(value, name) if name in _SIZE_SETTINGS
                                       else value)
        return replace(self, **changes)

    def replace(self, **changes: Any) -> Limits:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cpu"] = self.cpu_seconds
        return data


@dataclass(frozen=True)
class ExecResult:
    """What happened to one program or one kernel cell. Never raised, always returned."""

    exit_code: int
    """Exit status; the negative signal number when a signal killed it."""
    stdout: str
    stderr: str
    duration_s: float
    limit: LimitName | None = None
    """Which limit ended the program, if one did."""
    peak_memory_bytes: int = 0
    cpu_s: float = 0.0
    files: tuple[str, ...] = ()
    """Files the program created in its working directory (absolute paths)."""
    modified: tuple[str, ...] = ()
    """Files in the working directory that the program changed."""
    deleted: tuple[str, ...] = ()
    """Files in the working directory that the program deleted."""
    refused: tuple[str, ...] = ()
    """Changes the program made that oci did not apply to the working directory, each as
    ``PATH: reason`` (into ``.git``, a virtualenv, ``node_modules``, oci's own files, not a
    regular file, through a symlink, ...). See ``workspace``."""
    warnings: tuple[str, ...] = ()
    """What the user should know about the working directory (a thread the kernel had to
    stop; in the ``direct`` write-back, new ``.git``, virtualenvs, ``__pycache__``): one
    sentence each."""
    workspace: str = "direct"
    """How the program's writes reached the working directory: ``overlay`` (a
    copy-on-write view; oci applied the changes by its allowlist), ``copy`` (the program
    ran in a copy; applied the same way) or ``direct`` (the program wrote the directory
    itself, with read-only islands where the containment has them)."""
    lines_run: tuple[int, ...] | None = None
    """With line tracing (``oci fix``): the lines of the program's file that ran."""
    plots: tuple[str, ...] = ()
    """Figures saved from matplotlib (also in ``files``)."""
    stdin_read: bool = False
    """The program tried to read stdin and got end-of-file (there is no input)."""
    error: str | None = None
    """The uncaught exception, as ``Type: message``, when the program raised one."""
    interrupted: bool = False
    """Stopped by the user (Ctrl-C / ``interrupt()``)."""
    state_lost: bool = False
    """Kernel only: the kernel died (or was restarted before this cell); variables are gone."""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    """Bytes the program wrote; more than kept when the output was capped."""
    sandbox: str = "none"
    """Containment used: ``bwrap``, ``unshare`` or ``none``."""
    network: str = "on"
    """``off`` (enforced), ``on`` (allowed) or ``not enforced`` (asked off, cannot be)."""
    limits: dict[str, Any] = field(default_factory=dict)

    @property
    def timed_out(self) -> bool:
        return self.limit == "time"

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.limit is None and not self.interrupted

    @property
    def output_capped(self) -> bool:
        return self.stdout_bytes > len(self.stdout.encode("utf-8", "replace")) or (
            self.stderr_bytes > len(self.stderr.encode("utf-8", "replace"))
        )

    def describe(self) -> str:
        """One line: how it ended (for status lines and for the model)."""
        if self.limit is not None:
            text, key = _LIMIT_TEXT[self.limit]
            return text.format(_shown(key, self.limits.get(key))) if key else text
        if self.interrupted:
            return "interrupted"
        if self.exit_code < 0:
            return f"killed by signal {_signal_name(-self.exit_code)}"
        return f"exit code {self.exit_code}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("files", "modified", "deleted", "refused", "warnings", "plots"):
            data[name] = list(getattr(self, name))
        data["lines_run"] = list(self.lines_run) if self.lines_run is not None else None
        data["timed_out"] = self.timed_out
        data["duration_s"] = round(self.duration_s, 4)
        data["cpu_s"] = round(self.cpu_s, 4)
        return data


_LIMIT_TEXT: dict[str, tuple[str, str]] = {
    "time": ("stopped: ran past the time limit ({})", "timeout"),
    "cpu": ("stopped: used up its CPU time ({})", "cpu"),
    "memory": ("stopped: ran out of memory (limit {})", "memory"),
    "processes": ("stopped: started too many processes (limit {})", "processes"),
    "output": ("stopped: printed too much output (kept {} per stream)", "max_output"),
    "file_size": ("stopped: wrote a file past the size limit ({})", "file_size"),
    "open_files": ("stopped: opened too many files (limit {})", "open_files"),
    "inotify": ("stopped: held too many file watches (inotify; they count against all "
                "your programs' limit)", ""),
}


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "?"
    if name in {"memory", "file_size", "max_output"}:
        return format_size(int(value))
    if name in {"timeout", "cpu"}:
        return f"{float(value):g} s"
    return str(value)


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
