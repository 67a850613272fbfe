"""One sandbox: a supervisor process inside the containment wrapper, with its pipes.
oci spawns it, pumps its output and status, enforces the wall clock, output and (without
a PID namespace) process and memory limits, and makes sure nothing of it runs on.
:mod:`runner` uses one per program; :class:`~oci_interpreter.sandbox.kernel.Kernel` keeps
one alive across cells.
"""

from __future__ import annotations

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oci_interpreter.core import paths
from oci_interpreter.core.errors import SandboxError
from oci_interpreter.sandbox import containment as _containment
from oci_interpreter.sandbox import environment, plain, status, workspace
from oci_interpreter.sandbox._inside import wire as protocol
from oci_interpreter.sandbox._inside.wire import Config
from oci_interpreter.sandbox._inside.wire import Overlay as OverlaySpec
from oci_interpreter.sandbox.layers import Layers
from oci_interpreter.sandbox.limits import Limits
from oci_interpreter.sandbox.status import RunState

INSIDE = Path(__file__).with_name("_inside")
"""The code that runs inside the sandbox (a stdlib-only package: _inside/__init__.py)."""
SENTINEL = protocol.SENTINEL
READ_CHUNK = 65536

# Import the supervisor as a module rather than run it as a script: scripts are
# compiled on every start (4 ms here), modules load from their cached bytecode.
_BOOT = "import sys; sys.path[0] = sys.argv[1]; from _inside.boot import main; main()"
SUPERVISOR_SILENCE_S = 10.0
"""A supervisor that sends nothing (not even its half-second beat) this long is frozen."""

OutputCallback = Callable[[str, str], None]
"""``on_output(stream, text)``: live output, ``stream`` is ``"stdout"`` or ``"stderr"``."""


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
            plain.undumpable()
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
        self._inits: list[Any] = []
        self._decoders: dict[int, Any] = {}
        self.watch = None if self.contain.pid_namespace else plain.PlainWatch(self.proc.pid)
        """Without a PID namespace: oci's own watch over the process tree."""

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
            if self.watch is not None:
                limit, rss = self.watch.check(self.limits.processes, self.limits.memory, now)
                state.peak = max(state.peak, rss)
                if limit is not None:
                    state.limit = limit
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
            event = status.parse_event(line)
            if event is None or event["event"] == "beat":
                continue
            if event["event"] in status.KEPT_EVENTS and len(self.events) < status.MAX_EVENTS:
                self.events.append(event)
            if event["event"] == "exit":
                self.exit_event = event
            status.update(state, event, traced=self.traced)
        if len(self._status_buf) > status.STATUS_LINE_MAX:
            self._status_buf = b""  # a line without an end: not the supervisor's

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
        if self.watch is not None:
            for proc in self.watch.tree():
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
        if self.watch is not None:
            self.watch.clean_up(self.marker)
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
