"""Parent side of a sandboxed program: spawn, pump output, enforce, clean up.

One :class:`Sandboxed` is one supervisor process (see ``_inside/boot.py``) inside
the containment wrapper. :func:`run` uses one per program; :class:`Kernel`
(``kernel.py``) keeps one alive across cells.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import functools
import marshal
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oci_interpreter.core import paths
from oci_interpreter.core.errors import SandboxError
from oci_interpreter.sandbox import containment as _containment
from oci_interpreter.sandbox import environment, workspace, writeback
from oci_interpreter.sandbox._inside import protocol
from oci_interpreter.sandbox._inside.config import Config
from oci_interpreter.sandbox._inside.config import Overlay as OverlaySpec
from oci_interpreter.sandbox.capture import OutputCapture
from oci_interpreter.sandbox.limits import ExecResult, LimitName, Limits
from oci_interpreter.sandbox.writeback import Layers

INSIDE = Path(__file__).with_name("_inside")
"""The code that runs inside the sandbox (a stdlib-only package: _inside/__init__.py)."""
SENTINEL = protocol.SENTINEL
READ_CHUNK = 65536

# Import the supervisor as a module rather than run it as a script: scripts are
# compiled on every start (4 ms here), modules load from their cached bytecode.
_BOOT = "import sys; sys.path[0] = sys.argv[1]; from _inside.boot import main; main()"

STATUS_LINE_MAX = protocol.STATUS_LINE_MAX
MAX_EVENTS = 1000
_KEPT_EVENTS = {"ready", "exit", "exit_request", "cell_done", "cell_result"}
"""The events read later (kernel start, cell end); the rest only update the run's state."""
SUPERVISOR_SILENCE_S = 10.0
"""A supervisor that sends nothing (not even its half-second beat) this long is frozen."""


MAX_LINES_RUN = 100_000
"""The most line numbers a traced run may report (no script oci repairs is that long)."""


def _parse_ranges(text: str, room: int = MAX_LINES_RUN) -> set[int]:
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


def _parse_event(line: bytes) -> dict[str, Any] | None:
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


OutputCallback = Callable[[str, str], None]
"""``on_output(stream, text)``: live output, ``stream`` is ``"stdout"`` or ``"stderr"``."""


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


class Sandboxed:
    """A supervisor process inside the containment wrapper, with its pipes."""

    def __init__(self, cfg: Config, *, workdir: Path, limits: Limits,
                 sandbox: str = "auto", python: str | None = None,
                 kernel: bool = False, before: workspace.Scan | None = None,
                 layers: Layers | None = None, layer: str | None = None) -> None:
        """``cfg``: what the program is (mode, code or path, arguments); the rest of it
        is filled in here. ``layers``: the program sees ``workdir`` through an overlay
        whose upper layers live there (``layer``: a fresh run's, or a kernel's probe; a
        kernel announces one per cell); without it, it writes ``workdir`` itself,
        read-only islands kept (``before``)."""
        if sys.platform == "win32":
            raise SandboxError("running programs is not supported on Windows yet",
                               "Use WSL2 (oci works there as on Linux).")
        self.limits = limits
        self.workdir = workdir
        self.traced = cfg.trace_lines
        self.contain = _containment.probe(sandbox)
        self.marker = uuid.uuid4().hex
        self._tmp: str | None = None
        home = _sandbox_home()
        if self.contain.private_tmp:
            tmpdir = "/tmp"  # a private tmpfs, gone with the sandbox
        else:
            self._tmp = tempfile.mkdtemp(prefix="oci-run-")
            tmpdir = self._tmp
        env = environment.scrubbed(os.environ, home=str(home), tmpdir=tmpdir,
                                   marker=self.marker, cwd=str(workdir))
        if not self.contain.pid_namespace:
            # The program shares oci's PID space: keep it out of /proc/<oci>/fd (it could
            # write oci's own stdout, a fake result) and out of ptrace's reach.
            _undumpable()
        python = python or sys.executable
        if shutil.which(python) is None:
            raise SandboxError(f"python {python!r} is not an interpreter that can be run here",
                               "Check --python or the python setting (a path or a command "
                               "on PATH).")
        status_r, status_w = os.pipe()
        fds = [status_w]
        ctl_r = ctl_w = sup_r = sup_w = None
        if kernel:
            ctl_r, ctl_w = os.pipe()  # cells, to the kernel
            sup_r, sup_w = os.pipe()  # each cell's announcement, to the supervisor only
            fds += [ctl_r, sup_r]
        self.layers = layers if self.contain.can_overlay else None
        overlay = self.layers is not None
        cfg.cwd = str(workdir)
        cfg.status_fd, cfg.ctl_fd, cfg.sup_fd = status_w, ctl_r, sup_r
        cfg.memory, cfg.file_size = limits.memory, limits.file_size
        cfg.open_files, cfg.cpu = limits.open_files, limits.cpu_seconds
        cfg.processes, cfg.nproc = limits.processes, _nproc_limit(limits.processes)
        cfg.pid_namespace = self.contain.pid_namespace
        cfg.drop_caps = self.contain.drops_capabilities(overlay)
        cfg.own_ids = self.contain.own_ids(overlay)
        cfg.private_tmpfs = list(self.contain.private_tmpfs)
        argv = [python, "-S", "-c", _BOOT, str(INSIDE.parent)]
        _precompile()
        needed = {sys.prefix, sys.base_prefix, str(INSIDE.parent),
                  str(Path(python).resolve().parent)}
        if cfg.path:
            needed.add(str(Path(cfg.path)))  # a script outside the working directory:
            # the file alone (its directory may be /tmp, with other programs' sockets)
        if cfg.stdin_file:
            needed.add(str(cfg.stdin_file))  # piped data, read-only
        writable = [home]
        if self.layers is not None:
            protected: list[Path] = []  # the allowlist of writeback.py protects instead
            cfg.overlay = OverlaySpec(id=layer or "-", rebind=[
                str(p) for p in writable if workdir in p.parents])
        else:
            protected = workspace.protected(workdir, before or workspace.scan(workdir))
        view = _containment.View(
            workdir=workdir, readable=[Path(p) for p in sorted(needed)], writable=writable,
            protected=protected, tmpfs_size=limits.memory,
            layers=self.layers.root if self.layers is not None else None,
            allow_network=limits.allow_network)
        argv = self.contain.wrap(argv, view)
        cfg.seal = self.contain.seal(view)
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=workdir, env=env, pass_fds=fds,
                start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            for fd in (status_r, status_w, ctl_r, ctl_w, sup_r, sup_w):
                if fd is not None:
                    os.close(fd)
            self._cleanup_tmp()
            raise SandboxError(f"cannot start {argv[0]}: {exc.strerror or exc}",
                               "Check the sandbox and python settings.") from None
        os.close(status_w)
        for fd in (ctl_r, sup_r):
            if fd is not None:
                os.close(fd)
        assert self.proc.stdin is not None
        try:  # the supervisor reads its configuration first thing, then stdin is /dev/null
            self.proc.stdin.write(marshal.dumps(cfg.to_dict()))
            self.proc.stdin.close()
        except OSError:
            pass  # it died at once; the pump reports what the wrapper said
        self.ctl_w = ctl_w
        self.sup_w = sup_w
        self.status_r = status_r
        self.sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.out_fd = self.proc.stdout.fileno()
        self.err_fd = self.proc.stderr.fileno()
        for fd in (self.out_fd, self.err_fd, status_r):
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ)
        self.open_fds = {self.out_fd, self.err_fd, status_r}
        self._status_buf = b""
        self.last_status = time.monotonic()
        self.status_seen = False
        self._carry = {self.out_fd: b"", self.err_fd: b""}
        self.events: list[dict[str, Any]] = []
        self.exit_event: dict[str, Any] | None = None
        self.closed = False
        self._last_sweep = 0.0
        self._inits: list[Any] = []
        self._decoders: dict[int, Any] = {}
        self._seen_pids: set[int] = {self.proc.pid}
        """Without a PID namespace: every process of the run oci has seen."""

    # ------------------------------------------------------------ pumping --

    def pump(self, state: RunState, *, deadline: float, done: Callable[[], bool],
             on_output: OutputCallback | None = None, sentinel: bytes | None = None,
             sentinel_seen: set[int] | None = None,
             on_interrupt: Callable[[], float | None] | None = None,
             interrupted: Callable[[], bool] | None = None) -> None:
        """Read output and events until ``done()``, a limit, or the deadline.

        Ctrl-C (KeyboardInterrupt) while waiting calls ``on_interrupt`` (which returns a
        grace period) or, without it, kills the program. ``interrupted()`` says whether
        someone else asked for an interrupt; the grace period then starts too.
        """
        flood = self.limits.max_output * self.limits.flood_factor
        grace_deadline: float | None = None
        self.last_status = time.monotonic()
        while not done():
            now = time.monotonic()
            if (now - self.last_status > SUPERVISOR_SILENCE_S and self.status_r in self.open_fds
                    and self.proc.poll() is None):
                state.supervisor_lost = True  # frozen (stopped, traced): nothing enforces
                self.kill()
                return
            if grace_deadline is None and interrupted is not None and interrupted():
                grace_deadline = now + self.limits.grace
            if grace_deadline is not None and now >= grace_deadline:
                state.interrupted = True
                self.kill()
                return
            if now >= deadline:
                state.limit = state.limit or "time"
                self.kill()
                return
            if not self.open_fds:  # every writer is gone: the wrapper is exiting
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=max(0.0, min(deadline - now, 0.25)))
                if self.proc.poll() is not None:
                    return
                continue
            try:
                ready = self.sel.select(min(deadline - now, 0.1))
            except KeyboardInterrupt:
                if on_interrupt is None:
                    state.interrupted = True
                    self.kill()
                    return
                grace = on_interrupt()
                if grace is not None and grace_deadline is None:
                    grace_deadline = time.monotonic() + grace
                continue
            for key, _ in ready:
                self._read(state, key.fd, on_output, sentinel, sentinel_seen)
            if state.stdout.total + state.stderr.total > flood:
                state.limit = "output"
                self.kill()
                return
            if not self.contain.pid_namespace:
                self._watch_plain(state, now)
                if state.limit is not None:
                    self.kill()
                    return

    def _read(self, state: RunState, fd: int, on_output: OutputCallback | None,
              sentinel: bytes | None = None, sentinel_seen: set[int] | None = None) -> None:
        """One read from a ready pipe: output, a status event, or end-of-file."""
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.sel.unregister(fd)
            self.open_fds.discard(fd)
            if self._carry.get(fd):
                self._deliver(state, fd, self._carry.pop(fd), on_output)
        elif fd == self.status_r:
            self._status(state, data)
        else:
            if sentinel is not None and sentinel_seen is not None:
                data = self._split_sentinel(fd, data, sentinel, sentinel_seen)
            self._deliver(state, fd, data, on_output)

    def _deliver(self, state: RunState, fd: int, data: bytes,
                 on_output: OutputCallback | None) -> None:
        if not data:
            return
        capture, name = (state.stdout, "stdout") if fd == self.out_fd else (state.stderr, "stderr")
        shown = capture.feed(data)
        if on_output is not None and shown:
            decoder = self._decoders.setdefault(
                fd, codecs.getincrementaldecoder("utf-8")(errors="replace"))
            text = decoder.decode(shown)
            if text:
                on_output(name, text)

    def _split_sentinel(self, fd: int, data: bytes, sentinel: bytes, seen: set[int]) -> bytes:
        data = self._carry.get(fd, b"") + data
        self._carry[fd] = b""
        at = data.find(sentinel)
        if at >= 0:
            end = data.find(b"\n", at)
            if end >= 0:
                seen.add(fd)
                return data[:at] + data[end + 1:]
            self._carry[fd] = data[at:]
            return data[:at]
        # Hold back a tail that could be the start of a marker split across reads.
        for size in range(min(len(sentinel), len(data)), 0, -1):
            if sentinel.startswith(data[-size:]):
                self._carry[fd] = data[-size:]
                return data[:-size]
        return data

    def _status(self, state: RunState, data: bytes) -> None:
        """Events from the supervisor (and, relayed by it, from the program's side): every
        field checked, the buffer bounded, only the events still needed kept."""
        self.last_status = time.monotonic()
        self.status_seen = True
        self._status_buf += data
        while b"\n" in self._status_buf:
            line, self._status_buf = self._status_buf.split(b"\n", 1)
            event = _parse_event(line)
            if event is not None:
                self._apply(state, event)
        if len(self._status_buf) > STATUS_LINE_MAX:
            self._status_buf = b""  # a line without an end: not the supervisor's

    def _apply(self, state: RunState, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "beat":
            return
        if kind in _KEPT_EVENTS and len(self.events) < MAX_EVENTS:
            self.events.append(event)
        if kind == "exit":
            self.exit_event = event
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
            if self.traced and room > 0:
                state.lines.update(_parse_ranges(event["lines"], room))
        elif kind == "cell_done":
            state.cell_done = True
            state.peak = max(state.peak, event["peak"])
            state.held = event["held"]
        elif kind == "cell_result":
            state.interrupted = state.interrupted or event["interrupted"]
            state.threads_left = event["threads_left"]

    def _watch_plain(self, state: RunState, now: float) -> None:
        """Without a PID namespace, oci itself counts the program's processes (threads
        count, as in the namespace: RLIMIT_NPROC does not bind root) and memory (SysV
        shared memory its processes made included)."""
        if now - self._last_sweep < 0.05:
            return
        self._last_sweep = now
        procs = self.tree()
        tasks = 0
        rss = 0
        for proc in procs[1:]:  # the supervisor itself aside
            self._seen_pids.add(proc.pid)
            with contextlib.suppress(Exception):
                tasks += proc.num_threads()
        if tasks > self.limits.processes:
            state.limit = "processes"
            return
        for proc in procs:
            with contextlib.suppress(Exception):
                rss += proc.memory_info().rss
        rss += sum(size for _, size in _sysv_segments(self._seen_pids))
        state.peak = max(state.peak, rss)
        if rss > self.limits.memory:
            state.limit = "memory"

    def tree(self) -> list[Any]:
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    # ------------------------------------------------------------- ending --

    def kill(self) -> None:
        """SIGKILL the wrapper's process group; the namespace (if any) dies with it."""
        if self.contain.pid_namespace and self.proc.poll() is None:
            # The wrapper's children are the namespace's init: when it dies the kernel
            # kills every process in the namespace, and its exit waits for all of them.
            import psutil

            with contextlib.suppress(psutil.Error):
                for init in psutil.Process(self.proc.pid).children():
                    with contextlib.suppress(psutil.Error):
                        init.kill()
                    self._inits.append(init)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        if not self.contain.pid_namespace:
            for proc in self.tree():
                with contextlib.suppress(Exception):
                    proc.kill()

    def discard_pending(self) -> int:
        """Throw away output already in the pipes (left by an earlier cell's stragglers)
        so that none of it is taken for the next cell's. Returns the bytes dropped."""
        dropped = 0
        for fd in (self.out_fd, self.err_fd):
            if fd not in self.open_fds:
                continue
            while True:
                try:
                    data = os.read(fd, READ_CHUNK)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                if not data:
                    break
                dropped += len(data)
        self._carry = {self.out_fd: b"", self.err_fd: b""}
        return dropped

    def drain(self, state: RunState, seconds: float,
              on_output: OutputCallback | None = None) -> None:
        """Read what is left in the pipes for at most ``seconds`` (writers may linger),
        shown live like the rest when ``on_output`` is given."""
        deadline = time.monotonic() + seconds
        while self.open_fds and time.monotonic() < deadline:
            for key, _ in self.sel.select(max(0.0, deadline - time.monotonic())):
                self._read(state, key.fd, on_output)

    def close(self, state: RunState | None = None) -> None:
        """Make sure nothing of this sandbox runs on, and release everything."""
        if self.closed:
            return
        self.closed = True
        killed = self.proc.poll() is None
        if killed:
            self.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if state is not None:
            self.drain(state, 0.05)
        if self._inits:
            _wait_dead(self._inits, timeout=10)
        if not self.contain.pid_namespace:
            sweep(self.marker)
            # SysV shared memory outlives its processes: without an IPC namespace of the
            # run's own, what they made would stay on the host.
            _remove_sysv_segments(self._seen_pids)
        for fd in list(self.open_fds):
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(fd)
        self.sel.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(OSError):
            os.close(self.status_r)
        for name in ("ctl_w", "sup_w"):
            fd = getattr(self, name)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, name, None)
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def setup_failure(self, state: RunState) -> str | None:
        """The wrapper's own error, when the supervisor never reported anything.
        Raises :class:`OverlayUnavailable` when it was the overlay that failed."""
        if self.status_seen or self.proc.returncode in (0, None):
            return None
        text = state.stderr.text().strip()
        if text.startswith("overlay:"):
            raise OverlayUnavailable(text.splitlines()[-1].removeprefix("overlay: "))
        if self.layers is not None and text.startswith(("bwrap:", "unshare:")):
            # What the overlay asks of the wrapper (bubblewrap's --uid 0 and capabilities,
            # the layers' bind) failed here: without it, the run may still start.
            raise OverlayUnavailable(text.splitlines()[-1])
        if text.startswith(("bwrap:", "unshare:")):
            return text.splitlines()[-1]
        return None


class OverlayUnavailable(Exception):
    """The working directory's overlay could not be mounted (the run did not start)."""


@functools.lru_cache(maxsize=1)
def _undumpable() -> None:
    """PR_SET_DUMPABLE 0 for oci's own process (Linux): processes of the same user can no
    longer open its /proc/PID/fd, /proc/PID/mem or ptrace it. Root keeps CAP_SYS_PTRACE."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)


def _sysv_segments(pids: set[int]) -> list[tuple[int, int]]:
    """(shmid, bytes) of the SysV shared memory segments that ``pids`` created and that
    no process has attached (an attached one's pages are in its processes' RSS)."""
    out: list[tuple[int, int]] = []
    try:
        with open("/proc/sysvipc/shm", "rb") as fh:
            head, *rows = fh.read().split(b"\n")
    except OSError:
        return out
    titles = head.split()
    try:
        ident, cpid, nattch, rss, swap, uid = (titles.index(name) for name in (
            b"shmid", b"cpid", b"nattch", b"rss", b"swap", b"uid"))
    except ValueError:
        return out
    for row in rows:
        cells = row.split()
        if len(cells) < len(titles):
            continue
        with contextlib.suppress(ValueError):
            if int(cells[cpid]) in pids and int(cells[uid]) == os.getuid():
                size = 0 if int(cells[nattch]) else int(cells[rss]) + int(cells[swap])
                out.append((int(cells[ident]), size))
    return out


def _remove_sysv_segments(pids: set[int]) -> None:
    segments = _sysv_segments(pids)
    if not segments:
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for ident, _ in segments:
            libc.shmctl(ident, 0, None)  # IPC_RMID: gone once nobody has it attached


def _wait_dead(procs: list[Any], timeout: float) -> None:
    """Wait until each process is a zombie or gone.

    A namespace's init becomes a zombie only after the kernel has killed and reaped
    every other process in its namespace, so a zombie init means nothing runs on.
    (Waiting for it to be reaped could take a while: it is not our child.)
    """
    import psutil

    deadline = time.monotonic() + timeout
    pending = list(procs)
    while pending and time.monotonic() < deadline:
        still = []
        for proc in pending:
            try:
                if proc.status() != psutil.STATUS_ZOMBIE:
                    still.append(proc)
            except psutil.Error:
                pass
        pending = still
        if pending:
            time.sleep(0.002)


def sweep(marker: str, timeout: float = 2.0) -> int:
    """Kill every process that carries this run's environment marker. Returns how many."""
    import psutil

    found = []
    needle = f"{environment.MARKER}={marker}"
    for proc in psutil.process_iter():
        try:
            if proc.pid == os.getpid():
                continue
            env = proc.environ()
        except (psutil.Error, OSError):
            continue
        if f"{environment.MARKER}={env.get(environment.MARKER)}" == needle:
            found.append(proc)
    for proc in found:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    if found:
        psutil.wait_procs(found, timeout=timeout)
    return len(found)


@functools.lru_cache(maxsize=1)
def _precompile() -> None:
    """Write the bytecode of the code that runs inside the sandbox once (pip does it for
    wheels; this covers checkouts)."""
    import importlib.util
    import py_compile

    for source in sorted(INSIDE.glob("*.py")):
        target = importlib.util.cache_from_source(str(source))
        try:
            if os.stat(target).st_mtime >= source.stat().st_mtime:
                continue
        except OSError:
            pass
        with contextlib.suppress(OSError, py_compile.PyCompileError):
            py_compile.compile(str(source), cfile=target, doraise=True)


def _sandbox_home() -> Path:
    home = paths.data_dir() / "sandbox-home"
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SandboxError(f"cannot create the sandbox home {home}: {exc.strerror}",
                           "Set OCI_HOME to a writable directory.") from None
    return home


def _nproc_limit(processes: int) -> int | None:
    """RLIMIT_NPROC counts *all* the user's processes: allow what already runs, plus ours."""
    if os.geteuid() == 0:
        return None  # ignored for root; the supervisor counts instead
    running = 0
    try:
        uid = os.getuid()
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid == uid:
                        running += 1
    except OSError:
        try:
            import psutil

            running = sum(1 for p in psutil.process_iter(["uids"])
                          if p.info["uids"] and p.info["uids"].real == os.getuid())
        except Exception:
            return None
    return running + processes + 8


# --------------------------------------------------------------- fresh runs --

def resolve_workdir(cwd: Path | str | None, limits: Limits) -> Path:
    """The working directory as an absolute path, refused where a program could reach the
    host through it (see ``workspace.check_workdir``)."""
    workdir = Path(cwd or os.getcwd()).resolve()
    if not workdir.is_dir():
        raise SandboxError(f"working directory {workdir} does not exist",
                           "Create it, or pass an existing directory.")
    workspace.check_workdir(workdir, allow_home=limits.allow_home)
    return workdir


def run_program(*, code: str | None = None, path: Path | str | None = None,
        args: Iterable[str] = (), cwd: Path | str | None = None,
        limits: Limits | None = None, sandbox: str = "auto", python: str | None = None,
        on_output: OutputCallback | None = None, filename: str | None = None,
        trace_lines: bool = False, stdin_file: Path | str | None = None,
        explain_asserts: bool = False) -> ExecResult:
    """Run a file or a code string in a fresh, contained process and wait for it.

    Never raises for the program's failure (that is in the result); raises
    :class:`SandboxError` only when the sandbox itself cannot run it. ``trace_lines``: the
    result's ``lines_run`` says which lines of the file (or of the code) ran.
    ``stdin_file``: the program's standard input (data piped to oci); otherwise stdin is
    closed and reading it gives end-of-file at once. ``explain_asserts``: a bare failed
    ``assert`` in the program, or in a Python program it starts, says its values
    (``assert 13.5 == 18.9``, as pytest does; sandbox/_assertinfo), for a model to read.
    """
    if (code is None) == (path is None):
        raise ValueError("give exactly one of code= or path=")
    limits = limits or Limits()
    workdir = resolve_workdir(cwd, limits)
    what: dict[str, Any] = {"args": list(args), "explain_asserts": explain_asserts,
                            "trace_lines": trace_lines}
    if stdin_file is not None:
        what["stdin_file"] = str(Path(stdin_file).resolve())
    if path is not None:
        script = Path(path).resolve()
        if not script.is_file():
            raise SandboxError(f"{path} is not a file", "Check the path.")
        what.update(mode="file", path=str(script))
    else:
        what.update(mode="code", code=code, filename=filename)
    _precompile()  # oci's own write (the supervisor's bytecode): before any scan
    contain = _containment.probe(sandbox)
    layers, note = overlay_layers(workdir, contain)
    if layers is not None:
        try:
            return _run_once(what, workdir, limits, sandbox, python, on_output, layers)
        except OverlayUnavailable as exc:
            note = overlay_failed(workdir, str(exc))
        finally:
            layers.close()
    result = _run_once(what, workdir, limits, sandbox, python, on_output, None)
    if note:
        result = replace(result, warnings=(note, *result.warnings))
    return result


def _run_once(what: dict[str, Any], workdir: Path, limits: Limits, sandbox: str,
              python: str | None, on_output: OutputCallback | None,
              layers: Layers | None) -> ExecResult:
    """One attempt at a fresh run (``what``: the Config fields of the program)."""
    cfg = Config(**what)
    since = time.time_ns()
    before = None
    layer = None
    if layers is not None:
        try:
            layer = layers.new()
        except OSError as exc:
            raise OverlayUnavailable(f"cannot make its upper layer: {exc}") from None
    else:
        before = workspace.scan(workdir)
    state = RunState(OutputCapture(limits.max_output), OutputCapture(limits.max_output))
    box = Sandboxed(cfg, workdir=workdir, limits=limits, sandbox=sandbox, python=python,
                    before=before, layers=layers, layer=layer)
    try:
        deadline = box.started + limits.timeout
        if box.contain.pid_namespace:
            def done() -> bool:
                return not box.open_fds and box.proc.poll() is not None
        else:
            def done() -> bool:
                return box.exit_event is not None or box.proc.poll() is not None
        box.pump(state, deadline=deadline, done=done, on_output=on_output)
        if state.limit is None and not state.interrupted:
            box.drain(state, 0.2 if not box.contain.pid_namespace else 1.0, on_output)
    finally:
        box.close(state)
    duration = time.monotonic() - box.started
    failure = box.setup_failure(state)  # raises OverlayUnavailable: nothing ran
    if failure:
        raise SandboxError(f"the sandbox could not start: {failure}",
                           "Try --sandbox unshare or --sandbox none, and see docs/security.md.")
    if layers is not None and layer is not None:
        # Every process of the sandbox is gone: nothing writes the upper layer any more.
        changes = writeback.apply_upper(layers.upper(layer), workdir, since_ns=since,
                                        move=True)
        return finish(state, box, limits, duration, changes, workspace_kind="overlay")
    assert before is not None
    return finish(state, box, limits, duration, workspace_changes(before, workdir))


_OVERLAY_BROKEN: dict[int, str] = {}
"""Devices (of working directories) where the overlay failed in this process: why."""


def overlay_layers(workdir: Path, contain: _containment.Containment
                   ) -> tuple[Layers | None, str | None]:
    """Layers for a copy-on-write view of ``workdir``, or (None, why not) -- the why said
    once per process (None under ``none``, which has no mount namespace)."""
    if not contain.can_overlay:
        return None, None
    reason = _OVERLAY_BROKEN.get(_device(workdir))
    if reason is None:
        inner = _mounts_inside(workdir)
        if inner:
            reason = f"it holds another mount ({inner[0]}), which an overlay would hide"
    if reason is None:
        made = Layers.create(workdir)
        if isinstance(made, Layers):
            return made, None
        reason = made
    return None, _fallback_note(workdir, reason)


def overlay_failed(workdir: Path, reason: str) -> str | None:
    """Remember that the overlay cannot be mounted for ``workdir`` (this process)."""
    _OVERLAY_BROKEN[_device(workdir)] = reason
    return _fallback_note(workdir, reason)


_NOTED: set[str] = set()


def _fallback_note(workdir: Path, reason: str) -> str | None:
    if reason in _NOTED:
        return None
    _NOTED.add(reason)
    return (f"the working directory cannot be given to the program copy-on-write here "
            f"({reason}): it writes {workdir} itself, with only the .git, virtualenvs and "
            "oci's own files a scan finds at the start read-only; see docs/security.md")


def _device(path: Path) -> int:
    try:
        return os.stat(path).st_dev
    except OSError:
        return -1


def _mounts_inside(workdir: Path) -> list[str]:
    """Mount points strictly below ``workdir`` (an overlay shows none of them)."""
    top = str(workdir).rstrip("/") + "/"
    found = []
    try:
        with open("/proc/self/mountinfo", "rb") as fh:
            for line in fh:
                raw = line.split(b" ")[4]
                point = os.fsdecode(raw.decode("unicode_escape").encode("latin-1"))
                if point.startswith(top):
                    found.append(point)
    except OSError:
        pass
    return sorted(found)


def workspace_changes(before: workspace.Scan, workdir: Path) -> workspace.Changes:
    """What the run changed in the working directory (oci's sandbox home left out)."""
    return workspace.changes(before, workdir, own=_sandbox_home())


def finish(state: RunState, box: Sandboxed, limits: Limits, duration: float,
           changes: workspace.Changes, state_lost: bool = False,
           exit_code: int | None = None, workspace_kind: str = "direct") -> ExecResult:
    """Turn what the pump saw into an :class:`ExecResult`, naming the limit precisely."""
    exit_code = state.exit_code if exit_code is None else exit_code
    if exit_code is None:  # killed before the supervisor could report
        rc = box.proc.returncode
        exit_code = -signal.SIGKILL if rc is None or rc < 0 or state.limit else rc
    error = state.error
    if state.supervisor_lost:
        exit_code = -signal.SIGKILL
        error = ("SandboxError: the sandbox's supervisor stopped answering (stopped or traced "
                 "from inside?); the program was killed")
    limit = state.limit or state.supervisor_limit or state.error_limit
    if limit is None and exit_code < 0:
        sig = -exit_code
        if sig == signal.SIGXCPU or (
            sig == signal.SIGKILL and state.cpu >= limits.cpu_seconds - 0.5
        ):
            limit = "cpu"
        elif sig == signal.SIGXFSZ:
            limit = "file_size"
        elif sig in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGKILL) and (
            state.peak >= 0.9 * limits.memory
        ):
            limit = "memory"
    return ExecResult(
        exit_code=exit_code,
        stdout=state.stdout.text(),
        stderr=state.stderr.text(),
        duration_s=duration,
        limit=limit,
        peak_memory_bytes=state.peak,
        cpu_s=state.cpu,
        files=changes.created,
        modified=changes.modified,
        deleted=changes.deleted,
        warnings=changes.warnings,
        refused=changes.refused,
        workspace=workspace_kind,
        lines_run=tuple(sorted(state.lines)) if box.traced else None,
        plots=tuple(state.plots),
        stdin_read=state.stdin_read,
        error=error,
        interrupted=state.interrupted,
        state_lost=state_lost,
        stdout_bytes=state.stdout.total,
        stderr_bytes=state.stderr.total,
        sandbox=box.contain.mode,
        network=box.contain.network_label(limits.allow_network),
        limits=limits.to_dict(),
    )
