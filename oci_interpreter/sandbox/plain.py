"""What oci does itself when the program has no PID namespace of its own (``none``):
count its process tree (tasks, memory, SysV shared memory it made), keep it out of oci's
own /proc entry, and find and remove what the run left behind (processes by their
environment marker, SysV segments by their creator).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from typing import Any

from oci_interpreter.sandbox import environment
from oci_interpreter.sandbox.limits import LimitName


class PlainWatch:
    """oci's watch over one run's process tree (psutil), every 50 ms at most."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: set[int] = {root}
        """Every process of the run seen so far (to find what it leaves behind)."""
        self._last = 0.0

    def check(self, processes: int, memory: int,
              now: float) -> tuple[LimitName | None, int]:
        """The limit passed (``processes`` or ``memory``), if any, and the memory seen.
        Tasks count (threads too, as in a namespace: RLIMIT_NPROC does not bind root)."""
        if now - self._last < 0.05:
            return None, 0
        self._last = now
        procs = self.tree()
        tasks = 0
        rss = 0
        for proc in procs[1:]:  # the supervisor itself aside
            self.seen.add(proc.pid)
            with contextlib.suppress(Exception):
                tasks += proc.num_threads()
        if tasks > processes:
            return "processes", 0
        for proc in procs:
            with contextlib.suppress(Exception):
                rss += proc.memory_info().rss
        rss += sum(size for _, size in sysv_segments(self.seen))
        return ("memory" if rss > memory else None), rss

    def tree(self) -> list[Any]:
        import psutil

        try:
            root = psutil.Process(self.root)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def clean_up(self, marker: str) -> None:
        """Kill what still carries the run's marker; remove the SysV shared memory its
        processes made (without an IPC namespace of the run's own, it would stay)."""
        sweep(marker)
        remove_sysv_segments(self.seen)


@functools.lru_cache(maxsize=1)
def undumpable() -> None:
    """PR_SET_DUMPABLE 0 for oci's own process (Linux): processes of the same user can no
    longer open its /proc/PID/fd, /proc/PID/mem or ptrace it. Root keeps CAP_SYS_PTRACE."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)


def sysv_segments(pids: set[int]) -> list[tuple[int, int]]:
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


def remove_sysv_segments(pids: set[int]) -> None:
    segments = sysv_segments(pids)
    if not segments:
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for ident, _ in segments:
            libc.shmctl(ident, 0, None)  # IPC_RMID: gone once nobody has it attached


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
