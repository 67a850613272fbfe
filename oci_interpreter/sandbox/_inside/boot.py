"""The first (and only) interpreter started for a sandboxed run: the supervisor. Stdlib
only; never imported by oci.

oci starts ``python -S -c "...import _inside.boot; ...main()"`` inside the containment
wrapper (bubblewrap or unshare, when available) with the sandbox directory as
``sys.path[0]``; the configuration (config.Config, the program's code included) arrives
on stdin, which then becomes /dev/null (argv would limit the code to 128 KiB).

The supervisor builds what the wrapper does not (mounts.py: the file system under
unshare, the working directory's overlay in both modes), then forks once. The child
(child.py) runs the user's code in the same interpreter, so a fresh run costs one
interpreter start-up and a fork; or, for a kernel, the cell loop (kernel.py). The
supervisor stays outside the limits and watches (watchdog.py; for a kernel, cells.py
starts and ends each cell), reporting on the status pipe (wire.py).
"""

from __future__ import annotations

import _signal as signal  # the C module: ``signal`` would import enum (5 ms)
import marshal
import os

from .wire import Config


def main() -> None:
    # sys.path[0] is the sandbox directory; the child replaces that entry (script dir, or
    # the working dir) so the program cannot import oci's modules by name.
    chunks = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    cfg = Config(**marshal.loads(b"".join(chunks)))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    status_fd = cfg.status_fd
    os.set_inheritable(status_fd, False)
    if cfg.seal is not None:
        from .mounts import SealError, seal_file_system

        try:
            seal_file_system(cfg.seal)
        except SealError as exc:
            # oci reports the wrapper's last line as "the sandbox could not start: ..."
            os.write(2, f"unshare: cannot build the program's file system ({exc})\n"
                        .encode("utf-8", "backslashreplace"))
            os._exit(1)
    overlay = None
    if cfg.overlay is not None:
        from .mounts import Overlay

        try:
            overlay = Overlay(cfg.overlay, cfg.cwd)
            overlay.mount_cell(cfg.overlay.id)
            if cfg.mode == "kernel":
                # A kernel gets one per cell (cells.py): this one only shows, now, that the
                # overlay can be mounted here at all.
                overlay.unmount_cell()
            overlay.cover()
        except OSError as exc:
            # oci falls back to writing the directory directly (with read-only islands)
            os.write(2, f"overlay: cannot mount the working directory's overlay ({exc})\n"
                        .encode("utf-8", "backslashreplace"))
            os._exit(1)
    # The supervisor itself stays out of the working directory (the child goes there):
    # nothing of ours may hold a cell's overlay.
    os.chdir("/")
    # The program gets a pipe of its own for its events; the status pipe stays ours.
    events_r, events_w = os.pipe()
    go_r, go_w = os.pipe()
    sup_fd = cfg.sup_fd
    ctl_fd = cfg.ctl_fd
    own = os.dup(ctl_fd) if ctl_fd is not None else None  # ours: is a cell unread?
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    pid = os.fork()
    if pid == 0:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        # Nothing of the supervisor's reaches the program: its status pipe, oci's cell
        # announcements, the overlay's layers.
        for fd in (status_fd, events_r, go_w, sup_fd, own,
                   *(overlay.fds() if overlay is not None else ())):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        if cfg.mode == "kernel":
            from .kernel import kernel_main

            kernel_main(cfg, events_w, go_r)
        else:
            from .child import child_main

            child_main(cfg, events_w, go_r)
        return
    from . import watchdog

    os.close(events_w)
    os.close(go_r)
    if ctl_fd is not None:
        os.close(ctl_fd)
    watchdog.protect_self()
    os.close(go_w)  # now the program may start
    # The program's output belongs to the child; ours goes nowhere.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relay = watchdog.Relay(events_r, status_fd)
    cells = None
    if cfg.mode == "kernel" and sup_fd is not None and own is not None:
        from .cells import Cells

        cells = Cells(sup_fd, own, pid, status_fd, relay, overlay, cfg.pid_namespace)
    watchdog.supervise(pid, cfg, status_fd, relay, cells)
    os._exit(0)
