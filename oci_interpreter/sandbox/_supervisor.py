"""The first (and only) interpreter started for a sandboxed run. Stdlib only.

oci starts ``python -S -c "import _supervisor; ..."`` (configuration on stdin)
inside the containment wrapper
(bubblewrap or unshare, when available). This script is never imported by oci.

The supervisor forks once. The child applies the resource limits with
``setrlimit`` (here, not in a ``preexec_fn``: oci's own process hosts llama.cpp's
threads) and then runs the user's code *in the same interpreter*, so a fresh run
costs one interpreter start-up and a fork. The child is either

* ``mode = "file"`` / ``"code"``: one program, as ``python FILE ARGS`` would run it;
* ``mode = "kernel"``: a loop that executes cells, sent on the control pipe, in one
  namespace (variables and imports persist), Jupyter-style.

The parent half stays outside the limits. It reaps every process (it is PID 1, or
the first child of bubblewrap's PID 1, in a private PID namespace), counts the
processes and their memory in the namespace, kills all of them when a limit is
passed, and reports the child's exact wait status and resource usage as one JSON
line on the status pipe. Every event is one line (a Python literal) shorter than
PIPE_BUF, so lines written by the child and by the supervisor never interleave.
"""

from __future__ import annotations

import _signal as signal  # the C module: ``signal`` would import enum (5 ms)
import errno
import marshal
import os
import resource
import sys
import time

SUPERVISOR_FILE = os.path.abspath(__file__)
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
SENTINEL = "\x00\x1eoci-cell-end:"
_TICK = 0.02  # seconds between the watchdog's checks (processes, memory, oci alive)
_SOURCES: dict[str, str] = {}  # code strings by file name, shown in tracebacks


def emit(fd: int, **event: object) -> None:
    # A Python literal per line (oci reads it with ast.literal_eval): importing json
    # here would cost more than the rest of the start-up.
    data = (repr(event) + "\n").encode("utf-8", "backslashreplace")
    try:
        os.write(fd, data)
    except OSError:
        pass


# ---------------------------------------------------------------- the child ----


def apply_limits(cfg: dict) -> None:
    """setrlimit every limit; hard limits too, so the program cannot raise them."""

    def lim(name: str, soft: int, hard: int | None = None) -> None:
        res = getattr(resource, name, None)
        if res is None:
            return
        hard = soft if hard is None else hard
        try:
            _cur_soft, cur_hard = resource.getrlimit(res)
            if cur_hard != resource.RLIM_INFINITY:
                hard = cur_hard if hard == resource.RLIM_INFINITY else min(hard, cur_hard)
                soft = min(soft, hard) if soft != resource.RLIM_INFINITY else hard
            resource.setrlimit(res, (soft, hard))
        except (ValueError, OSError):
            pass  # e.g. macOS refuses RLIMIT_AS; the memory watchdog still applies

    lim("RLIMIT_CORE", 0)
    if cfg.get("memory"):
        lim("RLIMIT_AS", int(cfg["memory"]))
    if cfg.get("file_size"):
        lim("RLIMIT_FSIZE", int(cfg["file_size"]))
    if cfg.get("open_files"):
        lim("RLIMIT_NOFILE", int(cfg["open_files"]))
    if cfg.get("nproc"):
        lim("RLIMIT_NPROC", int(cfg["nproc"]))
    if cfg.get("cpu"):
        cpu = max(1, round(cfg["cpu"]))
        if cfg["mode"] == "kernel":
            lim("RLIMIT_CPU", resource.RLIM_INFINITY, resource.RLIM_INFINITY)
        else:
            lim("RLIMIT_CPU", cpu, cpu + 1)


class _ClosedStdin:
    """stdin for user code: end-of-file at once, and the parent is told it was read."""

    def __init__(self, status_fd: int) -> None:
        self._fd = status_fd
        self._told = False
        self.encoding = "utf-8"
        self.errors = "strict"
        self.name = "<stdin>"
        self.closed = False

    def _read(self) -> str:
        if not self._told:
            self._told = True
            emit(self._fd, event="stdin_read")
        return ""

    def read(self, *_a: object) -> str:
        return self._read()

    def readline(self, *_a: object) -> str:
        return self._read()

    def readlines(self, *_a: object) -> list[str]:
        self._read()
        return []

    def __iter__(self) -> _ClosedStdin:
        return self

    def __next__(self) -> str:
        self._read()
        raise StopIteration

    def fileno(self) -> int:
        return 0

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass

    @property
    def buffer(self):
        return sys.__stdin__.buffer if sys.__stdin__ else None


def _classify(exc: BaseException, tb_text: str) -> str | None:
    """Which limit an uncaught exception stands for, if any."""
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, OSError):
        if exc.errno == errno.EFBIG:
            return "file_size"
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            return "open_files"
        if exc.errno == errno.EAGAIN and any(
            word in tb_text for word in ("fork", "Popen", "subprocess", "multiprocessing", "spawn")
        ):
            return "processes"
    return None


_ASSERTINFO = os.path.join(os.path.dirname(SUPERVISOR_FILE), "_assertinfo")
_EXPLAIN = [False]  # set when the run asked for failed asserts with their values


def _explain_asserts() -> None:
    """Bare failed asserts say their values (``assert 13.5 == 18.9``): this program's,
    through report_exception, and those of the Python programs it starts, through
    ``_assertinfo/sitecustomize.py`` first on their PYTHONPATH."""
    _EXPLAIN[0] = True
    paths = [_ASSERTINFO, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)


def _explain(exc: BaseException) -> None:
    """Fill in a bare failed assert's message (_assertinfo.explain); never raises."""
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "_oci_assertinfo", os.path.join(_ASSERTINFO, "sitecustomize.py"))
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.explain(exc, _SOURCES)
    except Exception:
        pass


def report_exception(status_fd: int, exc: BaseException) -> None:
    """Print a traceback without the supervisor's frames and tell the parent."""
    import linecache
    import traceback

    for name, source in _SOURCES.items():
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    if _EXPLAIN[0] and isinstance(exc, AssertionError):
        _explain(exc)
    hidden = {SUPERVISOR_FILE}
    tb = exc.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) in hidden:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    text = "".join(lines)
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except Exception:
        os.write(2, text.encode("utf-8", "replace"))
    limit = _classify(exc, text)
    emit(status_fd, event="exception", type=type(exc).__name__,
         message=str(exc)[:500], limit=limit)


def _install_plots(status_fd: int, workdir: str) -> None:
    """A matplotlib backend whose show() saves every open figure as a PNG in workdir."""
    import types

    mod = types.ModuleType("_oci_mpl_backend")
    saved: list[str] = []

    def save_figures() -> None:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        try:
            numbers = list(pyplot.get_fignums())
        except Exception:
            return
        for num in numbers:
            n = 1
            while True:
                path = os.path.join(workdir, f"figure-{n}.png")
                if not os.path.exists(path):
                    break
                n += 1
            try:
                pyplot.figure(num).savefig(path)
                saved.append(path)
                emit(status_fd, event="plot", path=path)
            except Exception as exc:  # a broken figure must not hide the program's result
                emit(status_fd, event="plot_error", message=str(exc)[:300])
        try:
            pyplot.close("all")
        except Exception:
            pass

    def show(*_args: object, **_kwargs: object) -> None:
        save_figures()

    def __getattr__(name: str) -> object:
        from matplotlib.backend_bases import FigureManagerBase
        from matplotlib.backends import backend_agg

        # Store them, too: pyplot copies the module's __dict__ into its backend class.
        mod.FigureCanvas = backend_agg.FigureCanvasAgg  # type: ignore[attr-defined]
        mod.FigureManager = FigureManagerBase  # type: ignore[attr-defined]
        if name in ("FigureCanvas", "FigureManager"):
            return getattr(mod, name)
        raise AttributeError(name)

    mod.show = show  # type: ignore[attr-defined]
    mod.save_figures = save_figures  # type: ignore[attr-defined]
    setattr(mod, "__getattr__", __getattr__)  # noqa: B010 - PEP 562 module hook
    sys.modules["_oci_mpl_backend"] = mod
    # Select it when matplotlib is first imported, in this process only: the environment
    # says MPLBACKEND=Agg, which is what Python subprocesses of the program get.
    sys.meta_path.insert(0, _MatplotlibHook())  # type: ignore[arg-type]


class _MatplotlibHook:
    """Meta-path finder: after ``import matplotlib`` runs, switch it to our backend."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != "matplotlib":
            return None
        sys.meta_path.remove(self)  # type: ignore[arg-type]
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: object) -> None:
            original(module)  # type: ignore[arg-type]
            try:
                module.rcParams["backend"] = "module://_oci_mpl_backend"  # type: ignore[attr-defined]
            except Exception:
                pass

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _save_plots() -> None:
    mod = sys.modules.get("_oci_mpl_backend")
    if mod is not None:
        mod.save_figures()


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except Exception:
        pass
    return 1


def _die_by_sigint() -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def _drop_capabilities() -> None:
    """Give up every capability (unshare maps us to root in our user namespace, with all
    of them): the program must not be able to ptrace the supervisor or remount anything."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):  # the bounding set first (needs CAP_SETPCAP), then the rest
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            break
    libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    empty = (Data * 2)()
    libc.capset(ctypes.byref(Header(0x20080522, 0)), empty)  # _LINUX_CAPABILITY_VERSION_3
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS


class _LineTrace:
    """Which lines of one file run (``oci fix`` checks that the code that failed still
    runs after a repair). Only frames of that file are traced line by line: other code
    pays one call to the trace function per call, not per line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: set[int] = set()

    def __call__(self, frame: object, event: str, arg: object) -> object:
        code = frame.f_code  # type: ignore[attr-defined]
        if code.co_filename != self.path:
            return None
        if event == "line":
            self.lines.add(frame.f_lineno)  # type: ignore[attr-defined]
        return self

    def start(self) -> None:
        import threading

        sys.settrace(self)  # type: ignore[arg-type]
        threading.settrace(self)  # type: ignore[arg-type]

    def report(self, status_fd: int) -> None:
        """The lines as ranges (``1-4,7``), in events that fit the relay's line limit."""
        sys.settrace(None)
        ranges: list[str] = []
        for line in sorted(self.lines):
            if ranges and "-" not in ranges[-1] and int(ranges[-1]) == line - 1:
                ranges[-1] = f"{line - 1}-{line}"
            elif ranges and "-" in ranges[-1] and int(ranges[-1].split("-")[1]) == line - 1:
                ranges[-1] = f"{ranges[-1].split('-')[0]}-{line}"
            else:
                ranges.append(str(line))
        chunk: list[str] = []
        size = 0
        for item in ranges:
            if size + len(item) > 3000 and chunk:
                emit(status_fd, event="coverage", lines=",".join(chunk))
                chunk, size = [], 0
            chunk.append(item)
            size += len(item) + 1
        emit(status_fd, event="coverage", lines=",".join(chunk))


def child_main(cfg: dict, status_fd: int, go_fd: int | None = None) -> None:
    if go_fd is not None:
        # The supervisor makes itself untraceable first (it tells us by closing the pipe).
        try:
            os.read(go_fd, 1)
        except OSError:
            pass
        os.close(go_fd)
    if cfg.get("drop_caps"):
        try:
            _drop_capabilities()
        except Exception:
            pass
    apply_limits(cfg)
    # Below oci and the supervisor in CPU priority: a fork bomb cannot starve the
    # watchdog, and the terminal stays responsive while a program computes.
    try:
        os.nice(int(cfg.get("nice", 10)))
    except OSError:
        pass
    workdir = cfg["cwd"]
    if cfg.get("stdin_file"):
        # Data piped to oci: the program's stdin (and its children's), read from a file.
        try:
            fd = os.open(cfg["stdin_file"], os.O_RDONLY)
            os.dup2(fd, 0)
            os.close(fd)
            import io

            sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8",
                                         errors="replace")
        except OSError:
            sys.stdin = _ClosedStdin(status_fd)
    else:
        sys.stdin = _ClosedStdin(status_fd)
    if cfg.get("plots", True):
        _install_plots(status_fd, workdir)
    if cfg.get("explain_asserts") and cfg["mode"] != "kernel":
        _explain_asserts()
    import site  # the supervisor started without site-packages, as ``python -S``

    site.main()
    if cfg["mode"] == "kernel":
        kernel_loop(cfg, status_fd)
        return
    code = 0
    trace: _LineTrace | None = None
    try:
        try:
            if cfg["mode"] == "file":
                # What ``python FILE ARGS`` does, without a second interpreter.
                path = os.path.abspath(cfg["path"])
                sys.argv = [cfg["path"], *cfg.get("args", [])]
                sys.path[0] = os.path.dirname(path)
                with open(path, "rb") as fh:
                    program = compile(fh.read(), path, "exec", dont_inherit=True)
                glb = {"__name__": "__main__", "__builtins__": __builtins__, "__file__": path,
                       "__cached__": None, "__doc__": None, "__spec__": None}
                if cfg.get("trace_lines"):
                    trace = _LineTrace(path)
                    trace.start()
                exec(program, glb)
            else:
                source = cfg["code"]
                name = cfg.get("filename") or "<code>"
                _SOURCES[name] = source  # for tracebacks (linecache costs 5 ms to import)
                sys.argv = [name, *cfg.get("args", [])]
                sys.path[0] = workdir
                glb = {"__name__": "__main__", "__builtins__": __builtins__, "__file__": name}
                program = compile(source, name, "exec", dont_inherit=True)
                if cfg.get("trace_lines"):
                    trace = _LineTrace(name)
                    trace.start()
                exec(program, glb)
        finally:
            if trace is not None:
                trace.report(status_fd)
            try:
                _save_plots()
            except BaseException:
                pass
    except SystemExit as exc:
        code = _exit_code(exc)
    except KeyboardInterrupt:
        _die_by_sigint()
    except BaseException as exc:
        report_exception(status_fd, exc)
        code = 1
    raise SystemExit(code)


# --------------------------------------------------------------- the kernel ----


def kernel_loop(cfg: dict, status_fd: int) -> None:
    """Execute cells from the control pipe in one namespace until it closes."""
    import ast
    import builtins
    import json
    import linecache
    import queue
    import threading

    ctl = os.fdopen(cfg["ctl_fd"], "rb", buffering=0)
    os.set_inheritable(cfg["ctl_fd"], False)
    sys.argv = [""]
    sys.path[0] = cfg["cwd"]
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    cells: queue.Queue = queue.Queue()
    busy = threading.Lock()
    state = {"running": False}
    main_ident = threading.get_ident()
    cpu = cfg.get("cpu")

    def reader() -> None:
        buf = b""
        while True:
            try:
                data = os.read(ctl.fileno(), 65536)
            except OSError:
                data = b""
            if not data:
                cells.put(None)
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                if msg.get("op") == "interrupt":
                    with busy:
                        if state["running"]:
                            signal.pthread_kill(main_ident, signal.SIGINT)
                else:
                    cells.put(msg)

    threading.Thread(target=reader, daemon=True, name="oci-control").start()
    kernel_pid = os.getpid()
    baseline_threads = _native_threads()
    emit(status_fd, event="ready", pid=kernel_pid)

    def clear_peak() -> None:
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            pass

    def peak_rss() -> int:
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

    while True:
        try:
            msg = cells.get()
        except KeyboardInterrupt:  # a late interrupt after a cell ended
            continue
        if msg is None:
            return
        cell_id = msg["id"]
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
        clear_peak()
        _reset_hooks()
        ok = True
        interrupted = False
        try:
            with busy:
                state["running"] = True
            try:
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
            finally:
                with busy:
                    state["running"] = False
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
        _reset_hooks()
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        # The supervisor writes the end marker into both streams when it sees this.
        emit(status_fd, event="cell_done", id=cell_id, ok=ok, interrupted=interrupted,
             peak=peak_rss(), threads_left=max(0, _native_threads() - baseline_threads))


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
    for name in ("SIGALRM", "SIGVTALRM", "SIGPROF", "SIGUSR1", "SIGUSR2"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                signal.signal(number, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except (OSError, ValueError):
        pass
    sys.settrace(None)
    sys.setprofile(None)
    import threading

    threading.settrace(None)
    threading.setprofile(None)


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


# ------------------------------------------------------------ the supervisor ----


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


def _hidden_memory(pids: list[int], tmpfs: list[str]) -> int:
    """Memory no RSS counts: the private tmpfs mounts' contents and memfd files."""
    total = 0
    for mount in tmpfs:
        try:
            fs = os.statvfs(mount)
            total += (fs.f_blocks - fs.f_bfree) * fs.f_frsize
        except OSError:
            pass
    seen: set[tuple[int, int]] = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if not target.startswith("/memfd:"):
                    continue
                st = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


# Events the program's side may send (the supervisor relays them). ``exit`` and ``peak``
# come only from the supervisor: the program never holds the status pipe.
_CHILD_EVENTS = {b"stdin_read", b"exception", b"plot", b"plot_error", b"ready",
                 b"cell_done", b"exit_request", b"coverage"}
_LINE_MAX = 4096
_EVENTS_PER_SECOND = 200


class _Relay:
    """Copies well-formed events from the program's pipe to the status pipe: one line at
    a time, at most _LINE_MAX bytes, a known kind, and no flood.

    For a kernel it also ends cells: oci sends each cell's id and a nonce on a pipe only
    the supervisor reads; when the kernel reports the cell done, the supervisor kills
    whatever the cell left running in the namespace, then writes the marker
    ``SENTINEL + nonce`` into stdout and stderr (after everything the cell flushed) and
    relays the event. A cell never sees the nonce, so it cannot end itself (or a later
    cell) early by printing a marker; a ``cell_done`` for a cell oci did not announce is
    dropped, and each announced cell ends once.
    """

    def __init__(self, fd: int, status_fd: int, sup_fd: int | None = None,
                 kernel_pid: int = 0, in_namespace: bool = False) -> None:
        self.fd = fd
        self.status_fd = status_fd
        self.buf = b""
        self.window = 0.0
        self.sent = 0
        self.sup_fd = sup_fd
        self.sup_buf = b""
        self.nonces: dict[bytes, bytes] = {}
        self.kernel_pid = kernel_pid
        self.in_namespace = in_namespace
        self.eof = False  # every writer of the program's pipe is gone
        os.set_blocking(fd, False)
        if sup_fd is not None:
            os.set_blocking(sup_fd, False)

    def _read_nonces(self) -> None:
        assert self.sup_fd is not None
        while True:
            try:
                data = os.read(self.sup_fd, 4096)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not data:
                break
            self.sup_buf += data
        while b"\n" in self.sup_buf:
            line, self.sup_buf = self.sup_buf.split(b"\n", 1)
            cell, _, nonce = line.partition(b":")
            if cell.isdigit() and nonce:
                self.nonces[cell] = nonce

    def _end_cell(self, line: bytes) -> bool:
        """A kernel's ``cell_done``: end the announced cell; False to drop the line."""
        at = line.find(b"'id': ")
        digits = b""
        if at >= 0:
            rest = line[at + 6:]
            while rest[:1].isdigit():
                digits, rest = digits + rest[:1], rest[1:]
        if digits not in self.nonces and self.sup_fd is not None:
            # oci writes a cell's nonce before the cell itself: it is in the pipe by now,
            # even if this loop read the pipe a moment before it arrived.
            self._read_nonces()
        nonce = self.nonces.pop(digits, None)
        if nonce is None:
            return False
        if self.in_namespace:
            for pid in _namespace_pids(os.getpid()):
                if pid != self.kernel_pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        marker = SENTINEL.encode() + nonce + b"\n"
        for fd in (1, 2):
            try:
                os.write(fd, marker)
            except OSError:
                pass
        return True

    def pump(self) -> None:
        if self.sup_fd is not None:
            self._read_nonces()
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
        if kind not in _CHILD_EVENTS:
            return
        if kind == b"cell_done" and (self.sup_fd is None or not self._end_cell(line)):
            return
        now = time.monotonic()
        if now - self.window > 1.0:
            self.window, self.sent = now, 0
        if self.sent >= _EVENTS_PER_SECOND and kind != b"coverage":
            return
        self.sent += 1
        try:
            os.write(self.status_fd, line + b"\n")
        except OSError:
            pass


# ------------------------------------------------- the file system (unshare) ----
# Under bubblewrap the wrapper builds the program's file system. unshare only gives the
# supervisor a mount namespace of its own (and every capability in its user namespace),
# so the supervisor builds the same view there before it forks, the way bubblewrap does:
# every mount read-only, a private /tmp, /dev/shm and a minimal /dev, the working
# directory and the sandbox home writable, read-only islands inside the working directory
# (.git, virtualenvs, oci's own files). The program then drops every capability, so it
# can neither remount nor unmount any of it (in a nested user namespace the mounts are
# locked together by the kernel).

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_NOATIME, _MS_NODIRATIME, _MS_BIND = 32, 1024, 2048, 4096
_MS_REC, _MS_PRIVATE, _MS_RELATIME, _MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
# statvfs's f_flag bits -> mount(2) flags: a remount must keep the flags the kernel
# locked when our namespace was made (nosuid, nodev, noexec, the atime mode).
_ST_TO_MS = ((1, _MS_RDONLY), (2, _MS_NOSUID), (4, _MS_NODEV), (8, _MS_NOEXEC),
             (1024, _MS_NOATIME), (2048, _MS_NODIRATIME), (4096, _MS_RELATIME))
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
# What bubblewrap's --proc covers too: root (uid 0 outside as well, when oci runs as
# root) may write sysctls by its uid alone, capabilities or not.
_PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus")


class SealError(Exception):
    """The file system could not be made what the run needs."""


def _libc_mount():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source: str | None, target: str, fstype: str | None, flags: int,
              data: str | None = None) -> None:
        def enc(text: str | None) -> bytes | None:
            return None if text is None else os.fsencode(text)

        if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags),
                      enc(data)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), target)

    return mount


def _kept_flags(path: str) -> int:
    st = os.statvfs(path).f_flag
    flags = 0
    for st_bit, ms_bit in _ST_TO_MS:
        if st & st_bit and ms_bit != _MS_RDONLY:
            flags |= ms_bit
    if not st & (1024 | 4096):  # neither noatime nor relatime: strictatime
        flags |= _MS_STRICTATIME
    return flags


def _mount_points() -> list[str]:
    """Every mount point in this namespace, parents before children."""
    points = []
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f:
            field = line.split(b" ")[4]
            # Spaces, tabs, newlines and backslashes are written as octal escapes.
            points.append(os.fsdecode(field.decode("unicode_escape").encode("latin-1")))
    return sorted(set(points), key=lambda p: (p.count("/"), p))


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def seal_file_system(fs: dict) -> None:
    """Build the program's view of the file system (unshare mode); SealError if not."""
    mount = _libc_mount()

    def remount(path: str, read_only: bool) -> None:
        mount(None, path, None, _MS_REMOUNT | _MS_BIND | _kept_flags(path)
              | (_MS_RDONLY if read_only else 0))

    workdir = fs["workdir"]
    tmpfs_size = fs.get("tmpfs_size")
    size = f",size={int(tmpfs_size)}" if tmpfs_size else ""
    step = "the mounts' propagation"
    try:
        mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        # Handles on everything the new mounts will hide or replace, taken first.
        binds = []  # (path, read_only), in bubblewrap's order
        for path in fs.get("readable", ()):
            if _under(path, "/tmp") or _under(path, "/dev"):
                binds.append((path, True))
        binds.append((workdir, False))
        binds += [(path, True) for path in fs.get("protected", ())]
        binds += [(path, False) for path in fs.get("writable", ())]
        handles = []
        for path, read_only in binds:
            step = f"opening {path}"
            handles.append((os.open(path, os.O_PATH | os.O_CLOEXEC), path, read_only))
        devices = []
        for name in _DEVICES:
            try:
                devices.append((os.open(f"/dev/{name}", os.O_PATH | os.O_CLOEXEC), name))
            except OSError:
                pass

        # 1. Every mount read-only (the new /proc aside, covered below).
        for point in _mount_points():
            if _under(point, "/proc"):
                continue
            step = f"making {point} read-only"
            try:
                remount(point, True)
            except OSError as exc:
                # Hidden by a later mount (nobody reaches it by path) or not ours to see.
                if exc.errno not in (errno.ENOENT, errno.EACCES, errno.EINVAL):
                    raise
        for name in _PROC_READ_ONLY:
            path = f"/proc/{name}"
            if os.path.exists(path):
                step = f"making {path} read-only"
                mount(path, path, None, _MS_BIND | _MS_REC)
                remount(path, True)

        # 2. A minimal /dev of its own (no disks, no terminals of yours), private /tmp.
        step = "a private /dev"
        mount("tmpfs", "/dev", "tmpfs", _MS_NOSUID | _MS_NOEXEC, "mode=755")
        for fd, name in devices:
            target = f"/dev/{name}"
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o666))
            mount(f"/proc/self/fd/{fd}", target, None, _MS_BIND)
            os.close(fd)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
                             ("ptmx", "pts/ptmx")):
            os.symlink(target, f"/dev/{name}")
        os.mkdir("/dev/pts")
        os.mkdir("/dev/shm")
        try:
            mount("devpts", "/dev/pts", "devpts", _MS_NOSUID | _MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=620")
        except OSError:
            pass  # no pseudo-terminals for the program, nothing worse
        step = "a private /dev/shm"
        mount("tmpfs", "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777" + size)
        step = "making /dev read-only"
        remount("/dev", True)
        step = "a private /tmp"
        mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777" + size)

        # 3. Back on top: what the run reads from /tmp, the working directory, the
        # read-only islands inside it, the sandbox home.
        for fd, path, read_only in handles:
            step = f"binding {path}"
            if not os.path.exists(path):  # under the new /tmp: make the mount point
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(path, exist_ok=True)
                else:
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
            remount(path, read_only)
            os.close(fd)
    except OSError as exc:
        raise SealError(f"{step}: {exc.strerror or exc}") from None


def _protect_self() -> None:
    """No ptrace and no /proc/PID/mem for the program: the supervisor is not dumpable."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except Exception:
        pass


def supervise(child: int, cfg: dict, status_fd: int, relay: _Relay | None = None) -> int:
    in_namespace = bool(cfg.get("pid_namespace"))
    max_procs = int(cfg.get("processes") or 0)
    memory = int(cfg.get("memory") or 0)
    tmpfs = list(cfg.get("private_tmpfs") or ())
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
    # Woken at once by a child's exit (SIGCHLD, through a wakeup pipe) or by an event of
    # the program's (a kernel's cell_done: relayed at once, not on the next tick); the
    # watchdog's own checks run every _TICK all the same.
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
        while True:
            try:
                pid, st, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
            if pid == child:
                status, usage = st, ru
        now = time.monotonic()
        if status is None and now - last_scan < _TICK:
            continue  # woken early: only the relay and the reaping were due
        last_scan = now
        if status is None and _oci_gone(status_fd):
            # oci itself died (killed, crashed): nobody enforces the wall clock any more.
            if in_namespace:
                _kill_all()
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
            if memory and now - last_hidden >= 0.1:  # a directory walk: not every tick
                last_hidden = now
                hidden = _hidden_memory(pids, tmpfs)
            rss += hidden
            if rss > peak:
                peak = rss
                if now - last_peak_report > 0.25:
                    last_peak_report = now
                    emit(status_fd, event="peak", bytes=peak)
            if memory and rss > memory:
                limit = "memory"
        if limit:
            _kill_all()
            _, status, usage = os.wait4(child, 0)
    if in_namespace:
        _kill_all()  # daemons and other leftovers: nothing runs on after the result
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


def _oci_gone(status_fd: int) -> bool:
    """The read end of the status pipe is closed: oci is gone."""
    import select

    try:
        poller = select.poll()
        poller.register(status_fd, 0)  # POLLERR and POLLHUP are always reported
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (OSError, ValueError):
        return False


def _kill_all() -> None:
    """SIGKILL every process in this PID namespace except its init and ourselves."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass


def main() -> None:
    # Started as ``python -S -c "...import _supervisor"`` with this directory as
    # sys.path[0]; the child replaces that entry (script dir, or the working dir) so
    # the program cannot import oci's modules by name.
    # The configuration (the program's code included) arrives on stdin, which then
    # becomes /dev/null: argv would limit the code to 128 KiB.
    chunks = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    cfg = marshal.loads(b"".join(chunks))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    status_fd = int(cfg["status_fd"])
    os.set_inheritable(status_fd, False)
    if cfg.get("fs"):
        try:
            seal_file_system(cfg["fs"])
        except SealError as exc:
            # oci reports the wrapper's last line as "the sandbox could not start: ..."
            os.write(2, f"unshare: cannot build the program's file system ({exc})\n"
                        .encode("utf-8", "backslashreplace"))
            os._exit(1)
    os.chdir(cfg["cwd"])
    # The program gets a pipe of its own for its events; the status pipe stays ours.
    events_r, events_w = os.pipe()
    go_r, go_w = os.pipe()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    pid = os.fork()
    sup_fd = cfg.get("sup_fd")
    if pid == 0:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        os.close(status_fd)
        os.close(events_r)
        os.close(go_w)
        if sup_fd is not None:
            os.close(sup_fd)  # the cells' nonces are the supervisor's alone
        child_main(cfg, events_w, go_r)
        return
    os.close(events_w)
    os.close(go_r)
    if cfg.get("ctl_fd") is not None:
        os.close(cfg["ctl_fd"])
    _protect_self()
    os.close(go_w)  # now the program may start
    # The program's output belongs to the child; ours goes nowhere.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relay = _Relay(events_r, status_fd, sup_fd, kernel_pid=pid,
                   in_namespace=bool(cfg.get("pid_namespace")))
    supervise(pid, cfg, status_fd, relay)
    os._exit(0)


if __name__ == "__main__":
    main()
