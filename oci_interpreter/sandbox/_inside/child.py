"""The program's side: the child the supervisor forks runs the user's code in the same
interpreter (``python FILE ARGS`` without a second interpreter start). Stdlib only.

Before the program: its own ids and no capabilities, the seccomp filter (below), the
resource limits with ``setrlimit`` (here, not in a ``preexec_fn``: oci's own process hosts
llama.cpp's threads), a lower priority, stdin, the matplotlib hook, ``site``. Then the
program, or the kernel's cell loop (kernel.py, loaded only then).
"""

from __future__ import annotations

import _signal as signal  # the C module: ``signal`` would import enum (5 ms)
import errno
import os
import resource
import sys

from .wire import Config, emit

INSIDE = os.path.dirname(os.path.abspath(__file__))
"""This package's directory: frames from its files are not shown in tracebacks."""
_SOURCES: dict[str, str] = {}  # code strings by file name, shown in tracebacks
NICE = 10
"""The program runs this much below oci and the supervisor in CPU priority."""


def apply_limits(cfg: Config) -> None:
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
    if cfg.memory:
        lim("RLIMIT_AS", int(cfg.memory))
    if cfg.file_size:
        lim("RLIMIT_FSIZE", int(cfg.file_size))
    if cfg.open_files:
        lim("RLIMIT_NOFILE", int(cfg.open_files))
    if cfg.nproc:
        lim("RLIMIT_NPROC", int(cfg.nproc))
    if cfg.cpu:
        cpu = max(1, round(cfg.cpu))
        if cfg.mode == "kernel":
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


_ASSERTINFO = os.path.join(os.path.dirname(INSIDE), "_assertinfo")
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
    tb = exc.__traceback__
    while tb is not None and os.path.dirname(
            os.path.abspath(tb.tb_frame.f_code.co_filename)) == INSIDE:
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


# ------------------------------------------------------ what the program gives up --
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


def install_seccomp() -> None:
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


def become(uid: int, gid: int) -> None:
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


def drop_capabilities() -> None:
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


def prepare(cfg: Config, status_fd: int, go_fd: int | None = None) -> None:
    """Everything before the program's first line: its ids and capabilities, the seccomp
    filter, the limits, the priority, stdin, the plot hook, ``site``. A kernel's cells
    run after this too (kernel.py)."""
    if go_fd is not None:
        # The supervisor makes itself untraceable first (it tells us by closing the pipe).
        try:
            os.read(go_fd, 1)
        except OSError:
            pass
        os.close(go_fd)
    if cfg.own_ids:
        # Root of the namespace only to mount the overlay: the program gets the user's
        # own uid and gid back, in a user namespace of its own (which also leaves it no
        # power over the mounts, owned by the namespace above).
        try:
            become(*cfg.own_ids)
        except Exception:
            pass  # the program runs as root of the namespace above: no worse
    if cfg.drop_caps:
        try:
            drop_capabilities()
        except Exception:
            pass
    if sys.platform.startswith("linux"):
        try:
            install_seccomp()
        except Exception:
            pass  # a kernel without seccomp: nothing to be done here
    apply_limits(cfg)
    # Below oci and the supervisor in CPU priority: a fork bomb cannot starve the
    # watchdog, and the terminal stays responsive while a program computes.
    try:
        os.nice(NICE)
    except OSError:
        pass
    workdir = cfg.cwd
    if cfg.mode != "kernel":  # the kernel goes there at the start of every cell
        os.chdir(workdir)
    if cfg.stdin_file:
        # Data piped to oci: the program's stdin (and its children's), read from a file.
        try:
            fd = os.open(cfg.stdin_file, os.O_RDONLY)
            os.dup2(fd, 0)
            os.close(fd)
            import io

            sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8",
                                         errors="replace")
        except OSError:
            sys.stdin = _ClosedStdin(status_fd)
    else:
        sys.stdin = _ClosedStdin(status_fd)
    _install_plots(status_fd, workdir)
    if cfg.explain_asserts and cfg.mode != "kernel":
        _explain_asserts()
    import site  # the supervisor started without site-packages, as ``python -S``

    site.main()


def child_main(cfg: Config, status_fd: int, go_fd: int | None = None) -> None:
    """The program: ``python FILE ARGS`` (or a code string) in this interpreter; never
    returns (SystemExit with the program's status)."""
    prepare(cfg, status_fd, go_fd)
    code = 0
    trace: _LineTrace | None = None
    try:
        try:
            if cfg.mode == "file":
                assert cfg.path is not None
                # What ``python FILE ARGS`` does, without a second interpreter.
                path = os.path.abspath(cfg.path)
                sys.argv = [cfg.path, *cfg.args]
                sys.path[0] = os.path.dirname(path)
                with open(path, "rb") as fh:
                    program = compile(fh.read(), path, "exec", dont_inherit=True)
                glb = {"__name__": "__main__", "__builtins__": __builtins__, "__file__": path,
                       "__cached__": None, "__doc__": None, "__spec__": None}
                if cfg.trace_lines:
                    trace = _LineTrace(path)
                    trace.start()
                exec(program, glb)
            else:
                source = cfg.code or ""
                name = cfg.filename or "<code>"
                _SOURCES[name] = source  # for tracebacks (linecache costs 5 ms to import)
                sys.argv = [name, *cfg.args]
                sys.path[0] = cfg.cwd
                glb = {"__name__": "__main__", "__builtins__": __builtins__, "__file__": name}
                program = compile(source, name, "exec", dont_inherit=True)
                if cfg.trace_lines:
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
