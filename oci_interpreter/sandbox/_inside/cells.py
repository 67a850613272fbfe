"""The supervisor's side of a kernel: it starts each cell and ends it. Loaded only for a
kernel. Stdlib only.
"""

from __future__ import annotations

import _signal as signal
import os

from .mounts import Overlay
from .watchdog import CellControl, Relay, kill_all, kill_all_but
from .wire import SENTINEL, emit


class Cells(CellControl):
    """The supervisor's side of a kernel: it starts each cell and ends it.

    Between cells the kernel process stops itself (SIGSTOP) and stays stopped; the
    supervisor sees the stop (waitpid) and only then is the cell over: it kills whatever
    else the cell left running in the namespace, takes the cell's overlay away, writes
    the end marker ``SENTINEL + nonce`` into stdout and stderr (nothing else can write
    there any more: every other process is dead and the kernel is stopped), and reports
    ``cell_done`` on the status pipe. A cell never sees the nonce, and no line on the
    program's pipe ends a cell. oci announces each cell on a pipe only the supervisor
    reads (``cell ID NONCE LAYER``); the supervisor mounts the cell's overlay and
    resumes the kernel, which reads the cell from its control pipe.
    """

    def __init__(self, sup_fd: int, ctl_fd: int, kernel: int, status_fd: int,
                 relay: Relay, overlay: Overlay | None, in_namespace: bool) -> None:
        self.sup_fd = sup_fd
        self.ctl_fd = ctl_fd  # our own read end: is the cell still unread?
        self.kernel = kernel
        self.status_fd = status_fd
        self.relay = relay
        self.overlay = overlay
        self.in_namespace = in_namespace
        self.buf = b""
        self.pending: list[tuple[bytes, bytes, str]] = []
        self.running: tuple[bytes, bytes] | None = None
        self.started = False  # the kernel stopped once: it is ready
        self.results_before = 0
        self.eof = False
        os.set_blocking(sup_fd, False)

    def read(self) -> None:
        """oci's announcements and interrupts."""
        while True:
            try:
                data = os.read(self.sup_fd, 4096)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:
                self.eof = True
                break
            self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            words = line.split()
            if words[:1] == [b"cell"] and len(words) == 4 and words[1].isdigit():
                self.pending.append((words[1], words[2], words[3].decode("ascii", "replace")))
                self.start_next()  # before an interrupt for it in the same read
            elif words == [b"interrupt"] and self.running is not None:
                try:
                    os.kill(self.kernel, signal.SIGINT)
                except OSError:
                    pass
        if len(self.buf) > 4096:
            self.buf = b""
        self.start_next()

    def start_next(self) -> None:
        if not self.started or self.running is not None or not self.pending:
            return
        cell, nonce, layer = self.pending.pop(0)
        if self.overlay is not None and layer != "-":
            try:
                self.overlay.mount_cell(layer)
            except OSError as exc:
                os.write(2, f"overlay: cannot mount the cell's view ({exc})\n".encode())
                if self.in_namespace:
                    kill_all()
                else:
                    os.kill(self.kernel, signal.SIGKILL)
                return
        self.running = (cell, nonce)
        self.results_before = self.relay.results
        _clear_peak(self.kernel)
        try:
            os.kill(self.kernel, signal.SIGCONT)
        except OSError:
            pass

    def stopped(self) -> bool:
        """The kernel stopped. False when that cannot be a cell's end (it must die)."""
        self.relay.pump()  # what it said before it stopped (cell_result, exception)
        if not self.started:
            self.started = True
            emit(self.status_fd, event="ready", pid=self.kernel)
            self.start_next()
            return True
        if self.running is None:
            return True  # stopped already, between cells: nothing of it runs
        if self.relay.results == self.results_before:
            return False  # stopped by someone else, mid-cell
        if _unread(self.ctl_fd):
            return False  # it never read its cell: not the kernel's own end of a cell
        cell, nonce = self.running
        self.running = None
        if self.in_namespace:
            kill_all_but(self.kernel)
        held = self.overlay.unmount_cell() if self.overlay is not None else False
        marker = SENTINEL + nonce + b"\n"
        for fd in (1, 2):
            try:
                os.write(fd, marker)
            except OSError:
                pass
        emit(self.status_fd, event="cell_done", id=int(cell), held=held,
             peak=_vm_hwm(self.kernel))
        self.start_next()
        return True


def _unread(fd: int) -> bool:
    import array
    import fcntl
    import termios

    size = array.array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, size, True)
    except OSError:
        return False
    return size[0] > 0


def _clear_peak(pid: int) -> None:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _vm_hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
