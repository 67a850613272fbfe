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


# System calls the program does not get, by architecture (AUDIT_ARCH_*), as Flatpak's and
# Docker's default filters keep them from sandboxed code:
# - the kernel's keyrings (add_key, request_key, keyctl): the session keyring is the
#   user's, shared with the host (the user keyring too, outside a user namespace);
# - io_uring (setup, enter, register), userfaultfd and perf_event_open: a large kernel
#   surface behind many local exploits, and nothing a script needs;
# - clone3 (ENOSYS: the C library falls back to clone, whose flags a filter can see), and
#   unshare or clone with CLONE_NEWUSER (EPERM): a user namespace of its own would give
#   the program every capability over new network and mount namespaces, the door most
#   unprivileged kernel exploits go through.
# ENOSYS for the calls that are simply absent (callers fall back), EPERM for new user
# namespaces.
_FILTERED = {
    0xC000003E: {"enosys": (248, 249, 250, 425, 426, 427, 323, 298, 435),   # x86_64
                 "flags": (272, 56)},                                       # unshare, clone
    0x40000003: {"enosys": (286, 287, 288, 425, 426, 427, 374, 336, 435),   # i386
                 "flags": (310, 120)},
    0xC00000B7: {"enosys": (217, 218, 219, 425, 426, 427, 282, 241, 435),   # aarch64
                 "flags": (97, 220)},
    0x40000028: {"enosys": (309, 310, 311, 425, 426, 427, 388, 364, 435),   # arm
                 "flags": (337, 120)},
}
_X32_BIT = 0x40000000
_CLONE_NEWUSER = 0x10000000


def _seccomp_program() -> list[tuple[int, int, int, int]]:
    """The filter (classic BPF, seccomp_data: nr at 0, arch at 4, args[0] at 16)."""
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow = 0x7FFF0000  # SECCOMP_RET_ALLOW
    enosys, eperm = 0x00050000 | errno.ENOSYS, 0x00050000 | errno.EPERM  # RET_ERRNO
    program: list[tuple[int, int, int, int]] = [(ld, 0, 0, 4)]  # A = arch
    for arch, calls in _FILTERED.items():
        tests = [(jge, _X32_BIT, "enosys")] if arch == 0xC000003E else []
        tests += [(jeq, nr, "enosys") for nr in calls["enosys"]]
        tests += [(jeq, nr, "flags") for nr in calls["flags"]]
        # layout: ld nr; tests...; ret allow; flags: ld arg0; jset NEWUSER; ret allow;
        #         enosys: ret; eperm: ret
        at = {"flags": len(tests) + 2}
        at["enosys"] = at["flags"] + 3
        at["eperm"] = at["enosys"] + 1
        block = [(ld, 0, 0, 0)]
        for i, (op, k, target) in enumerate(tests, start=1):
            block.append((op, at[target] - i - 1, 0, k))
        block.append((ret, 0, 0, allow))
        block.append((ld, 0, 0, 16))  # flags: A = args[0] (its low word)
        block.append((jset, at["eperm"] - (at["flags"] + 1) - 1, 0, _CLONE_NEWUSER))
        block.append((ret, 0, 0, allow))
        block.append((ret, 0, 0, enosys))
        block.append((ret, 0, 0, eperm))
        # This architecture: into its block; another: over it (A still holds the arch).
        program.append((jeq, 0, len(block), arch))
        program += block
    program.append((ret, 0, 0, allow))  # an architecture not listed
    return program


def _install_seccomp() -> None:
    """The filter above, for the program and everything it starts (no_new_privs set)."""
    import ctypes
    import struct

    program = _seccomp_program()
    code = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    buf = ctypes.create_string_buffer(code, len(code))

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Prog(len(program), ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
        raise OSError(ctypes.get_errno(), "seccomp")


def _become(uid: int, gid: int) -> None:
    """A new user namespace where ``uid``/``gid`` are this namespace's root (we are uid 0
    here: bubblewrap's ``--uid 0``)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        raise OSError(ctypes.get_errno(), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} 0 1"),
                       ("gid_map", f"{gid} 0 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


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
    if cfg.get("own_ids"):
        # Root of the namespace only to mount the overlay: the program gets the user's
        # own uid and gid back, in a user namespace of its own (which also leaves it no
        # power over the mounts, owned by the namespace above).
        try:
            _become(*cfg["own_ids"])
        except Exception:
            pass  # the program runs as root of the namespace above: no worse
    if cfg.get("drop_caps"):
        try:
            _drop_capabilities()
        except Exception:
            pass
    if sys.platform.startswith("linux"):
        try:
            _install_seccomp()
        except Exception:
            pass  # a kernel without seccomp: nothing to be done here
    apply_limits(cfg)
    # Below oci and the supervisor in CPU priority: a fork bomb cannot starve the
    # watchdog, and the terminal stays responsive while a program computes.
    try:
        os.nice(int(cfg.get("nice", 10)))
    except OSError:
        pass
    workdir = cfg["cwd"]
    if cfg["mode"] != "kernel":  # the kernel goes there at the start of every cell
        os.chdir(workdir)
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
    """Execute cells from the control pipe in one namespace until it closes.

    Between cells the kernel stops itself (SIGSTOP) out of the working directory: the
    supervisor ends a cell when it sees that stop, and resumes the kernel for the next
    one (``_Cells``). Nothing of the program runs while it is stopped."""
    import ast
    import builtins
    import json
    import linecache

    ctl = cfg["ctl_fd"]
    os.set_inheritable(ctl, False)
    workdir = cfg["cwd"]
    sys.argv = [""]
    sys.path[0] = workdir
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    kernel_pid = os.getpid()
    baseline_threads = _native_threads()
    cpu = cfg.get("cpu")
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


# Events the program's side may send (the supervisor relays them). ``exit``, ``peak``,
# ``ready`` and ``cell_done`` come only from the supervisor: the program never holds the
# status pipe, and a line of one of those kinds on its own pipe is dropped.
_CHILD_EVENTS = {b"stdin_read", b"exception", b"plot", b"plot_error", b"cell_result",
                 b"exit_request", b"coverage"}
_LINE_MAX = 4096
_EVENTS_PER_SECOND = 200


class _Relay:
    """Copies well-formed events from the program's pipe to the status pipe: one line at
    a time, at most _LINE_MAX bytes, a known kind, and no flood."""

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
        if kind not in _CHILD_EVENTS:
            return
        if kind == b"cell_result":
            self.results += 1
        now = time.monotonic()
        if now - self.window > 1.0:
            self.window, self.sent = now, 0
        if self.sent >= _EVENTS_PER_SECOND and kind not in (b"coverage", b"cell_result"):
            return
        self.sent += 1
        try:
            os.write(self.status_fd, line + b"\n")
        except OSError:
            pass


class _Cells:
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
                 relay: _Relay, overlay: _Overlay | None, in_namespace: bool) -> None:
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
                    _kill_all()
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
            _kill_all_but(self.kernel)
        held = self.overlay.unmount_cell() if self.overlay is not None else False
        marker = SENTINEL.encode() + nonce + b"\n"
        for fd in (1, 2):
            try:
                os.write(fd, marker)
            except OSError:
                pass
        emit(self.status_fd, event="cell_done", id=int(cell), held=held,
             peak=_vm_hwm(self.kernel))
        self.start_next()
        return True


def _kill_all_but(keep: int) -> None:
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
        overlay = fs.get("overlay")
        # With an overlay the real working directory is only its lower layer: read-only.
        binds.append((workdir, bool(overlay)))
        binds += [(path, True) for path in fs.get("protected", ())]
        binds += [(path, False) for path in fs.get("writable", ())]
        if overlay:
            binds.append((overlay["layers"], False))  # to STAGE, below
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
        # What lists the host's network interfaces in /sys, when the network is off.
        for path in fs.get("hide", ()):
            step = f"hiding {path}"
            try:
                mount("tmpfs", path, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                      "size=4k,mode=755")
            except FileNotFoundError:
                pass
        step = "a private /tmp"
        mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=1777" + size)

        # 3. Back on top: what the run reads from /tmp, the working directory, the
        # read-only islands inside it, the sandbox home.
        for fd, path, read_only in handles:
            step = f"binding {path}"
            if overlay and path == overlay["layers"]:
                path = STAGE  # where the supervisor finds the layers (_Overlay)
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


# ------------------------------------------------- the working directory's overlay ----
# The program never writes the user's working directory: it sees it through an overlay
# whose upper layer (a directory of oci's, outside the working directory) collects what
# it creates, changes and deletes; oci applies that afterwards by an allowlist
# (writeback.py). The wrapper (bubblewrap's --ro-bind, or seal_file_system under unshare)
# puts the real directory read-only at its path and oci's layers directory at STAGE; the
# supervisor mounts the overlay on top, then covers STAGE, so the program reaches the
# layers only through the overlay. A kernel gets a fresh overlay (and upper layer) for
# every cell, so what the user changes between cells shows through.

STAGE = "/tmp/.oci-layers"
_MNT_DETACH = 2


class _Overlay:
    def __init__(self, ov: dict, workdir: str) -> None:
        self.mount = _libc_mount()
        import ctypes

        self._libc = ctypes.CDLL(None, use_errno=True)
        self.workdir = workdir
        flags = os.O_PATH | os.O_CLOEXEC
        self.layers = os.open(STAGE, flags | os.O_DIRECTORY)
        self.lower = os.open(workdir, flags | os.O_DIRECTORY)
        # What lies inside the working directory but is not the program's to write
        # through the overlay (oci's sandbox home): bound again on top of it.
        self.rebind = []
        for path in ov.get("rebind", ()):
            if os.path.exists(path):
                self.rebind.append((os.open(path, flags), path))
        self.mounted = False

    def fds(self) -> list[int]:
        return [self.layers, self.lower, *(fd for fd, _ in self.rebind)]

    def mount_cell(self, ident: str) -> None:
        """Mount a fresh overlay with the upper layer ``upper-IDENT`` on the working
        directory (OSError if it cannot be)."""
        if not ident.isalnum():
            raise OSError(errno.EINVAL, "bad layer name")
        top = f"/proc/self/fd/{self.layers}"
        options = (f"lowerdir=/proc/self/fd/{self.lower},upperdir={top}/upper-{ident},"
                   f"workdir={top}/work-{ident},userxattr")
        # volatile: no fsync for every file the program changes (a copy-up); the upper
        # layer is never mounted again after a crash (oci sweeps it), and oci syncs what it
        # puts over a file of yours itself. Kernels before 5.10 do not know it.
        try:
            self.mount("overlay", self.workdir, "overlay", _MS_NOSUID | _MS_NODEV,
                       options + ",volatile")
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self.mount("overlay", self.workdir, "overlay", _MS_NOSUID | _MS_NODEV, options)
        self.mounted = True
        for fd, path in self.rebind:
            self.mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)

    def unmount_cell(self) -> bool:
        """Take the cell's overlay away. True when something still holds it (a file the
        program left open): it is detached then, and its upper layer may still change."""
        if not self.mounted:
            return False
        self.mounted = False
        for _, path in reversed(self.rebind):
            self._umount(path, _MNT_DETACH)
        if self._umount(self.workdir, 0):
            return False
        self._umount(self.workdir, _MNT_DETACH)
        return True

    def _umount(self, path: str, flags: int) -> bool:
        return self._libc.umount2(os.fsencode(path), flags) == 0

    def cover(self) -> None:
        """Hide STAGE (the layers stay reachable through our descriptor only)."""
        self.mount("tmpfs", STAGE, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                   "size=4k,mode=0")


def _protect_self() -> None:
    """No ptrace and no /proc/PID/mem for the program: the supervisor is not dumpable."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except Exception:
        pass


def supervise(child: int, cfg: dict, status_fd: int, relay: _Relay | None = None,
              cells: _Cells | None = None) -> int:
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
    overlay: _Overlay | None = None
    if cfg.get("overlay"):
        try:
            overlay = _Overlay(cfg["overlay"], cfg["cwd"])
            overlay.mount_cell(cfg["overlay"]["id"])
            if cfg["mode"] == "kernel":
                # A kernel gets one per cell (_Cells): this one only shows, now, that the
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
    sup_fd = cfg.get("sup_fd")
    ctl_fd = cfg.get("ctl_fd")
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
        child_main(cfg, events_w, go_r)
        return
    os.close(events_w)
    os.close(go_r)
    if ctl_fd is not None:
        os.close(ctl_fd)
    _protect_self()
    os.close(go_w)  # now the program may start
    # The program's output belongs to the child; ours goes nowhere.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relay = _Relay(events_r, status_fd)
    cells = None
    if cfg["mode"] == "kernel" and sup_fd is not None and own is not None:
        cells = _Cells(sup_fd, own, pid, status_fd, relay, overlay,
                       bool(cfg.get("pid_namespace")))
    supervise(pid, cfg, status_fd, relay, cells)
    os._exit(0)


if __name__ == "__main__":
    main()
