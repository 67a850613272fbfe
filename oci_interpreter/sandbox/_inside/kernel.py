"""The kernel: cells run one after another in one namespace (variables and imports
persist), in the program's process. Loaded only for a kernel. Stdlib only.

Between cells the kernel stops itself (SIGSTOP) out of the working directory; the
supervisor ends a cell when it sees that stop (cells.py) and resumes the kernel for the
next one. Nothing of the program runs while it is stopped.
"""

from __future__ import annotations

import _signal as signal
import os
import resource
import sys

from .child import _exit_code, _save_plots, prepare, report_exception
from .wire import Config, emit


def kernel_main(cfg: Config, status_fd: int, go_fd: int | None = None) -> None:
    """The kernel's process: prepared as a program is (child.prepare), then its loop."""
    prepare(cfg, status_fd, go_fd)
    kernel_loop(cfg, status_fd)


def kernel_loop(cfg: Config, status_fd: int) -> None:
    """Execute cells from the control pipe in one namespace until it closes.

    Between cells the kernel stops itself (SIGSTOP) out of the working directory: the
    supervisor ends a cell when it sees that stop, and resumes the kernel for the next
    one (``_Cells``). Nothing of the program runs while it is stopped."""
    import ast
    import builtins
    import json
    import linecache

    ctl = cfg.ctl_fd
    assert ctl is not None
    os.set_inheritable(ctl, False)
    workdir = cfg.cwd
    sys.argv = [""]
    sys.path[0] = workdir
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    kernel_pid = os.getpid()
    baseline_threads = _native_threads()
    cpu = cfg.cpu
    buf = [b""]

    def next_cell() -> dict | None:
        while b"\n" not in buf[0]:
            data = os.read(ctl, 65536)
            if not data:
                return None
            buf[0] += data
        line, buf[0] = buf[0].split(b"\n", 1)
        return json.loads(line)

    where = workdir
    while True:
        # The end of the previous cell (or the start): out of the cell's view (the
        # working directory the cell left is kept for the next one), then stopped until
        # the supervisor resumes us for the next cell. An interrupt meant for a cell that
        # already ended is ignored, not raised here.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.chdir("/")
        os.kill(kernel_pid, signal.SIGSTOP)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        ok = True
        interrupted = False
        cell_id = 0
        try:
            try:
                os.chdir(where)  # through this cell's overlay
            except OSError:
                os.chdir(workdir)
            msg = next_cell()
            if msg is None:
                return
            cell_id = int(msg["id"])
            name = f"<cell-{cell_id}>"
            source = msg["code"]
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
            if cpu:
                used = resource.getrusage(resource.RUSAGE_SELF)
                spent = used.ru_utime + used.ru_stime
                try:
                    resource.setrlimit(resource.RLIMIT_CPU,
                                       (int(spent + cpu) + 1, resource.RLIM_INFINITY))
                except (ValueError, OSError):
                    pass
            _reset_hooks()
            tree = ast.parse(source, name, "exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, name, "exec"), namespace)
            if last is not None:
                value = eval(compile(last, name, "eval"), namespace)
                if value is not None:
                    builtins._ = value  # type: ignore[attr-defined]
                    print(repr(value))
            _save_plots()
        except SystemExit as exc:
            if os.getpid() != kernel_pid:
                _forked_child_exit(exc)
            code = _exit_code(exc)
            emit(status_fd, event="exit_request", code=code)
            ok = code == 0
        except KeyboardInterrupt as exc:
            if os.getpid() != kernel_pid:
                _forked_child_exit(exc)
            interrupted = True
            ok = False
            report_exception(status_fd, exc)
        except BaseException as exc:
            if os.getpid() != kernel_pid:
                _forked_child_exit(exc)
            ok = False
            report_exception(status_fd, exc)
        if os.getpid() != kernel_pid:
            # A process the cell forked has come back here: it must not become a second
            # kernel (reading cells, reporting results). It ends as a script would.
            _forked_child_exit(None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _reset_hooks()
        try:
            where = os.getcwd()
        except OSError:
            where = workdir
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        emit(status_fd, event="cell_result", id=cell_id, ok=ok, interrupted=interrupted,
             threads_left=max(0, _native_threads() - baseline_threads))


def _native_threads() -> int:
    """Python threads alive (the kernel's control reader included); native threads of
    libraries, such as OpenBLAS's idle workers that numpy starts, are not counted."""
    import _thread

    return int(_thread._count())


def _reset_hooks() -> None:
    """What a cell could leave behind to run during later cells: timers and their signal
    handlers, trace and profile hooks. Cleared before and after every cell."""
    for which in ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"):
        timer = getattr(signal, which, None)
        if timer is not None:
            try:
                signal.setitimer(timer, 0)
            except (OSError, ValueError):
                pass
    _delete_posix_timers()
    # Every signal handler written in Python goes (the kernel's own SIGINT handling is
    # set by its loop): a pending signal is discarded on the way.
    for number in signal.valid_signals():
        if number in (signal.SIGINT, signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            handler = signal.getsignal(number)
        except (OSError, ValueError):
            continue
        if callable(handler):
            try:
                signal.signal(number, signal.SIG_IGN)
                signal.signal(number, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
    sys.settrace(None)
    sys.setprofile(None)
    import threading

    threading.settrace(None)
    threading.setprofile(None)


_TIMER_DELETE = {"x86_64": 226, "aarch64": 111, "riscv64": 111}


def _delete_posix_timers() -> None:
    """Delete the POSIX timers a cell created (timer_create through ctypes): their
    signals would otherwise reach the kernel between cells, or in a later cell."""
    try:
        with open("/proc/self/timers") as fh:
            ids = [int(line.split()[1]) for line in fh if line.startswith("ID:")]
    except (OSError, ValueError, IndexError):
        return
    number = _TIMER_DELETE.get(os.uname().machine)
    if not ids or number is None:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for ident in ids:
            libc.syscall(number, ctypes.c_long(ident))
    except Exception:
        pass


def _forked_child_exit(exc: BaseException | None) -> None:
    """End a process a kernel cell forked, the way that process's own program would."""
    code = 0
    if isinstance(exc, SystemExit):
        code = _exit_code(exc)
    elif exc is not None:
        try:
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__)
        except Exception:
            pass
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    os._exit(code)
