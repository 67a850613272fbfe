"""The supervisor's watch over a run: it reaps every process, counts the program's
tasks and memory (what no RSS shows included), kills everything past a limit, relays
the program's own events, beats, and reports the exit. Stdlib only.

With a PID namespace the supervisor is its init and sees every process; without one
(``none``) it only reaps, and oci counts the process tree itself.
"""

from __future__ import annotations

import _signal as signal
import os
import sys
import time

from . import wire
from .wire import Config, emit

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICK = 0.02  # seconds between the watchdog's checks (processes, memory, oci alive)


def _namespace_pids(me: int) -> list[int]:
    pids = []
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                pid = int(entry)
                if pid != me and pid != 1:
                    pids.append(pid)
    except OSError:
        pass
    return pids


def _tasks_and_rss(pids: list[int]) -> tuple[int, int]:
    """Threads of all ``pids`` together (a thread is a task, as a process is) and their
    resident memory, from one read of /proc/PID/stat each."""
    tasks = total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                data = fh.read()
            fields = data[data.rindex(b")") + 2:].split()
            tasks += int(fields[17])  # num_threads (field 20)
            total += int(fields[21]) * PAGE  # rss in pages (field 24)
        except (OSError, ValueError, IndexError):
            pass
    return tasks, total


def _hidden_memory(pids: list[int], tmpfs: list[str]) -> tuple[int, int, int]:
    """What no RSS counts, and what the user's other programs would miss: the private
    tmpfs mounts' contents, memfd files, SysV shared memory nobody has attached and SysV
    message queues (the namespace's own: its IPC namespace), as bytes; and the inotify
    instances and watches the processes hold (every one counts against all the user's
    programs' ``fs.inotify`` limits)."""
    total = 0
    instances = watches = 0
    for mount in tmpfs:
        try:
            fs = os.statvfs(mount)
            total += (fs.f_blocks - fs.f_bfree) * fs.f_frsize
        except OSError:
            pass
    total += _sysv_bytes()
    seen: set[tuple[int, int]] = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target == "anon_inode:inotify":
                    instances += 1
                    with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as fh:
                        watches += fh.read().count(b"inotify wd:")
                    continue
                if not target.startswith("/memfd:"):
                    continue
                st = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total, instances, watches


def _sysv_bytes() -> int:
    """SysV shared memory segments that no process has attached (an attached segment's
    pages are in its processes' RSS) and the bytes waiting in SysV message queues."""
    total = 0
    for name, columns in (("shm", ("nattch", "rss", "swap")), ("msg", ("cbytes",))):
        try:
            with open(f"/proc/sysvipc/{name}", "rb") as fh:
                head, *rows = fh.read().split(b"\n")
        except OSError:
            continue
        titles = head.split()
        try:
            where = [titles.index(c.encode()) for c in columns]
        except ValueError:
            continue
        for row in rows:
            cells = row.split()
            if len(cells) < len(titles):
                continue
            try:
                values = [int(cells[i]) for i in where]
            except ValueError:
                continue
            if name == "shm":
                if values[0] == 0:
                    total += values[1] + values[2]
            else:
                total += values[0]
    return total


MAX_INOTIFY_INSTANCES = 8
MAX_INOTIFY_WATCHES = 4096
"""Of the 128 instances (``fs.inotify.max_user_instances``) and the watches all of the
user's programs share: more, and the program is stopped (limit ``inotify``)."""


# Events the program's side may send (wire.PROGRAM_EVENTS, relayed). ``exit``,
# ``peak``, ``ready`` and ``cell_done`` come only from the supervisor: the program never
# holds the status pipe, and a line of one of those kinds on its own pipe is dropped.
_RELAYED = frozenset(kind.encode() for kind in wire.PROGRAM_EVENTS)
_LINE_MAX = wire.RELAY_LINE_MAX


class Relay:
    """Copies well-formed events from the program's pipe to the status pipe: one line at
    a time, at most wire.RELAY_LINE_MAX bytes, a known kind, and no flood."""

    def __init__(self, fd: int, status_fd: int) -> None:
        self.fd = fd
        self.status_fd = status_fd
        self.buf = b""
        self.window = 0.0
        self.sent = 0
        self.eof = False  # every writer of the program's pipe is gone
        self.results = 0  # cell_result lines seen (the kernel's word that a cell ended)
        os.set_blocking(fd, False)

    def pump(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not data:
                self.eof = True
                return
            self.buf += data
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self._forward(line)
            if len(self.buf) > _LINE_MAX:
                self.buf = b""  # a line without an end: drop it

    def _forward(self, line: bytes) -> None:
        if len(line) > _LINE_MAX or not line.startswith(b"{'event': '"):
            return
        kind = line[11:line.find(b"'", 11)]
        if kind not in _RELAYED:
            return
        if kind == b"cell_result":
            self.results += 1
        now = time.monotonic()
        if now - self.window > 1.0:
            self.window, self.sent = now, 0
        if (self.sent >= wire.RELAY_EVENTS_PER_SECOND
                and kind not in (b"coverage", b"cell_result")):
            return
        self.sent += 1
        try:
            os.write(self.status_fd, line + b"\n")
        except OSError:
            pass


def kill_all_but(keep: int) -> None:
    """Kill every process of the namespace but init (us) and ``keep``, forkers included:
    first all of them are stopped at once (``kill(-1)`` goes through the process list
    under a lock no fork can take meanwhile, and a stopped process forks no more), then
    each is killed."""
    try:
        os.kill(-1, signal.SIGSTOP)
    except OSError:
        pass
    for _ in range(100):
        others = [pid for pid in _namespace_pids(os.getpid())
                  if pid != keep and not _zombie(pid)]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.kill(-1, signal.SIGSTOP)
        except OSError:
            pass


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True  # gone


class CellControl:
    """What the watch asks of a kernel's cell control (cells.Cells, loaded only for a
    kernel): oci's announcements to read, and the kernel's stops."""

    sup_fd: int = -1
    eof: bool = False

    def read(self) -> None:
        """Read what oci sent (cells to start, interrupts)."""

    def stopped(self) -> bool:
        """The kernel stopped: True when that was the end of a cell (or it was idle)."""
        return False


def supervise(child: int, cfg: Config, status_fd: int, relay: Relay | None = None,
              cells: CellControl | None = None) -> int:
    """Watch the program until it ends; report its exit. Returns 0."""
    in_namespace = cfg.pid_namespace
    max_procs = int(cfg.processes or 0)
    memory = int(cfg.memory or 0)
    tmpfs = list(cfg.private_tmpfs or ())
    me = os.getpid()
    limit: str | None = None
    status: int | None = None
    usage = None
    peak = 0
    last_peak_report = 0.0
    last_beat = time.monotonic()
    hidden = 0
    last_hidden = 0.0
    last_scan = 0.0
    # Woken at once by a child's exit or stop (SIGCHLD, through a wakeup pipe), by an
    # event of the program's, or by oci announcing a kernel's cell; the watchdog's own
    # checks run every _TICK all the same.
    import select

    wake_r, wake_w = os.pipe()
    for fd in (wake_r, wake_w):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    poller = select.poll()
    poller.register(wake_r, select.POLLIN)
    if relay is not None:
        poller.register(relay.fd, select.POLLIN)
    if cells is not None:
        poller.register(cells.sup_fd, select.POLLIN)
    while status is None:
        wait = max(0.0, _TICK - (time.monotonic() - last_scan))
        try:
            poller.poll(wait * 1000)
        except InterruptedError:
            pass
        try:
            os.read(wake_r, 4096)
        except OSError:
            pass
        if relay is not None and not relay.eof:
            relay.pump()
            if relay.eof:
                poller.unregister(relay.fd)
        if cells is not None and not cells.eof:
            cells.read()
            if cells.eof:
                poller.unregister(cells.sup_fd)
        while True:
            try:
                pid, st, ru = os.wait4(-1, os.WNOHANG | os.WUNTRACED)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
            if os.WIFSTOPPED(st):
                if pid == child and cells is not None and not cells.stopped():
                    # Stopped by something other than the end of its cell: a kernel that
                    # no longer follows its loop is ended, not trusted.
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                continue
            if pid == child:
                status, usage = st, ru
        now = time.monotonic()
        if status is None and now - last_scan < _TICK:
            continue  # woken early: only the relay and the reaping were due
        last_scan = now
        if status is None and oci_gone(status_fd):
            # oci itself died (killed, crashed): nobody enforces the wall clock any more.
            if in_namespace:
                kill_all()
            else:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            os._exit(1)
        now = time.monotonic()
        if now - last_beat >= 0.5:  # oci kills a run whose supervisor falls silent
            last_beat = now
            emit(status_fd, event="beat")
        if status is not None or not in_namespace:
            continue
        pids = _namespace_pids(me)
        tasks, rss = _tasks_and_rss(pids)
        if max_procs and tasks > max_procs:
            limit = "processes"
        else:
            if now - last_hidden >= 0.1:  # a directory walk: not every tick
                last_hidden = now
                hidden, instances, watches = _hidden_memory(pids, tmpfs)
                if instances > MAX_INOTIFY_INSTANCES or watches > MAX_INOTIFY_WATCHES:
                    limit = "inotify"
            rss += hidden
            if rss > peak:
                peak = rss
                if now - last_peak_report > 0.25:
                    last_peak_report = now
                    emit(status_fd, event="peak", bytes=peak)
            if memory and rss > memory:
                limit = limit or "memory"
        if limit:
            kill_all()
            _, status, usage = os.wait4(child, 0)
    if in_namespace:
        kill_all()  # daemons and other leftovers: nothing runs on after the result
    if relay is not None:
        relay.pump()  # what the program said before it ended (stdin_read, exception)
    assert usage is not None
    if os.WIFSIGNALED(status):
        exit_code = -os.WTERMSIG(status)
    else:
        exit_code = os.WEXITSTATUS(status)
    scale = 1 if sys.platform == "darwin" else 1024
    emit(status_fd, event="exit", exit_code=exit_code, limit=limit,
         maxrss=max(usage.ru_maxrss * scale, peak), cpu=usage.ru_utime + usage.ru_stime)
    return 0


def oci_gone(status_fd: int) -> bool:
    """The read end of the status pipe is closed: oci is gone."""
    import select

    try:
        poller = select.poll()
        poller.register(status_fd, 0)  # POLLERR and POLLHUP are always reported
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (OSError, ValueError):
        return False


def kill_all() -> None:
    """SIGKILL every process in this PID namespace except its init and ourselves."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass


def protect_self() -> None:
    """No ptrace and no /proc/PID/mem for the program: the supervisor is not dumpable."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except Exception:
        pass
