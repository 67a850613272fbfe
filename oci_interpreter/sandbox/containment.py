"""How a sandboxed program is contained: bubblewrap, unshare, or plain processes.

Probed once per process and cached. In order of preference:

``bwrap``    bubblewrap: read-only root, private /tmp, the working directory (under the
             supervisor's overlay) and the sandbox home writable, new PID/IPC/UTS/user
             namespaces (every capability dropped by the program), no network unless
             allowed. Needs no root.
``unshare``  util-linux unshare: new user, PID, mount, IPC and UTS namespaces (so the
             program cannot see or signal oci, and every process dies with it) and,
             unless allowed, a network namespace with no interfaces. The supervisor
             builds bubblewrap's view of the file system in the mount namespace
             (``Unshare.seal`` below, ``_inside/mounts.seal_file_system``).
``none``     plain child processes in their own session: rlimits, the wall clock and
             a process-tree sweep still apply; the network cannot be blocked.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from oci_interpreter.core.errors import UsageError
from oci_interpreter.sandbox._inside.wire import Seal

_USERNS_SYSCTLS = (
    ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
     "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"),
    ("/proc/sys/kernel/unprivileged_userns_clone", "0",
     "sudo sysctl -w kernel.unprivileged_userns_clone=1"),
    ("/proc/sys/user/max_user_namespaces", "0",
     "sudo sysctl -w user.max_user_namespaces=15000"),
)


@dataclass(frozen=True)
class View:
    """What the program's file system is made of; each mode builds the same view (with
    its wrapper's flags, or through the supervisor)."""

    workdir: Path
    readable: list[Path]
    """Paths the run needs that a private /tmp would hide (bound read-only there)."""
    writable: list[Path]
    """oci's sandbox home, bound last (it may lie inside a protected path)."""
    protected: list[Path]
    """Read-only islands inside the working directory (without an overlay)."""
    tmpfs_size: int | None
    """The most the private /tmp and /dev/shm may hold."""
    layers: Path | None
    """The overlay's layers directory (layers.Layers); None: no overlay."""
    allow_network: bool


@dataclass(frozen=True)
class Containment:
    """A containment mode and what it enforces. One class per mode: what it wraps the
    supervisor in, what the supervisor builds itself, what the program drops."""

    network_blocked: bool
    """The network is off for the program (only when it was asked off and can be)."""
    note: str | None = None
    """Said once to the user when something asked for cannot be enforced."""

    mode: ClassVar[str] = "none"
    pid_namespace: ClassVar[bool] = False
    """The program has a PID namespace of its own (the supervisor is its init)."""
    can_overlay: ClassVar[bool] = False
    """The supervisor may mount an overlay on the working directory."""
    private_tmp: ClassVar[bool] = False
    """/tmp is a private tmpfs (else the run gets a temporary directory of its own)."""
    private_tmpfs: ClassVar[tuple[str, ...]] = ()
    """Mounts of the sandbox's own whose contents count against the memory limit."""

    def network_label(self, allow_network: bool) -> str:
        if allow_network:
            return "on"
        return "off" if self.network_blocked else "not enforced"

    def wrap(self, argv: list[str], view: View) -> list[str]:
        """The command line that runs ``argv`` (the supervisor) contained."""
        return argv

    def seal(self, view: View) -> Seal | None:
        """What the supervisor builds itself, where the wrapper does not."""
        return None

    def drops_capabilities(self, overlay: bool) -> bool:
        """The program is root of a user namespace, with capabilities it must give up."""
        return False

    def own_ids(self, overlay: bool) -> tuple[int, int] | None:
        """The uid and gid to give the program back in a user namespace of its own."""
        return None


@dataclass(frozen=True)
class Bubblewrap(Containment):
    """bubblewrap builds the file system; with an overlay, the supervisor is root of the
    namespace to mount it, and the program gets your ids back below it."""

    mode: ClassVar[str] = "bwrap"
    pid_namespace: ClassVar[bool] = True
    can_overlay: ClassVar[bool] = True
    private_tmp: ClassVar[bool] = True
    private_tmpfs: ClassVar[tuple[str, ...]] = ("/tmp", "/dev/shm")

    def wrap(self, argv: list[str], view: View) -> list[str]:
        return [*_bwrap_argv(view.workdir, view.writable, view.readable, view.allow_network,
                             view.protected, view.tmpfs_size, view.layers), "--", *argv]

    def drops_capabilities(self, overlay: bool) -> bool:
        return overlay

    def own_ids(self, overlay: bool) -> tuple[int, int] | None:
        return (os.getuid(), os.getgid()) if overlay else None


@dataclass(frozen=True)
class Unshare(Containment):
    """util-linux unshare gives the supervisor namespaces and every capability in them;
    the supervisor builds bubblewrap's view of the file system itself."""

    mode: ClassVar[str] = "unshare"
    pid_namespace: ClassVar[bool] = True
    can_overlay: ClassVar[bool] = True
    private_tmpfs: ClassVar[tuple[str, ...]] = ("/tmp", "/dev/shm")

    def wrap(self, argv: list[str], view: View) -> list[str]:
        return _unshare_argv(view.allow_network) + argv

    def seal(self, view: View) -> Seal | None:
        return Seal(workdir=str(view.workdir), readable=[str(p) for p in view.readable],
                    protected=[str(p) for p in view.protected],
                    writable=[str(p) for p in view.writable], tmpfs_size=view.tmpfs_size,
                    layers=str(view.layers) if view.layers is not None else None,
                    hide=[] if view.allow_network else net_dirs())

    def drops_capabilities(self, overlay: bool) -> bool:
        return True


@dataclass(frozen=True)
class Plain(Containment):
    """No namespaces: plain child processes in their own session."""

    mode: ClassVar[str] = "none"


KINDS: tuple[type[Containment], ...] = (Bubblewrap, Unshare, Plain)
"""Every containment mode, strongest first (what ``auto`` tries, in this order)."""
MODES = ("auto", *(kind.mode for kind in KINDS))
"""The values of the ``sandbox`` setting."""


@functools.cache
def _bwrap_has(option: str) -> bool:
    """Whether this bubblewrap knows ``option`` (``--size`` came in 0.5)."""
    try:
        proc = subprocess.run([shutil.which("bwrap") or "bwrap", "--help"], timeout=10,
                              capture_output=True, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return option.encode() in proc.stdout + proc.stderr


# What the supervisor needs to mount the working directory's overlay inside bubblewrap
# (mount, overlayfs's mode-0 work directory, copy-up of owners and times), to drop the
# bounding set, and to give the program your own uid back in a user namespace of its own
# (mapping this namespace's root there takes CAP_SETFCAP); the program gives up every one
# of them before it starts.
_OVERLAY_CAPS = ("CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_CHOWN",
                 "CAP_SETPCAP", "CAP_SETFCAP")
OVERLAY_STAGE = "/tmp/.oci-layers"
"""Where the layers directory is bound for the supervisor (it covers it afterwards)."""


def _bwrap_argv(workdir: Path, writable: list[Path], readable: list[Path],
                allow_network: bool, protected: list[Path] | None = None,
                tmpfs_size: int | None = None, layers: Path | None = None) -> list[str]:
    bwrap = shutil.which("bwrap") or "bwrap"
    size = ["--size", str(tmpfs_size)] if tmpfs_size and _bwrap_has("--size") else []
    # With an overlay the supervisor mounts it, as root of the user namespace with the
    # capabilities that takes (--uid 0 keeps bubblewrap from nesting a second user
    # namespace, in which they would be worth nothing); the program drops them all.
    caps = ["--cap-drop", "ALL"]
    if layers is not None:
        caps = ["--uid", "0", "--gid", "0", *caps,
                *[arg for cap in _OVERLAY_CAPS for arg in ("--cap-add", cap)]]
    args = [
        # --as-pid-1: the supervisor is the namespace's init, so the program can neither
        # kill nor stop it (init gets no signal it has no handler for from inside).
        bwrap, "--die-with-parent", "--new-session", "--as-pid-1",
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", *caps,
        "--ro-bind", "/", "/", "--dev", "/dev", *size, "--tmpfs", "/dev/shm",
        # /dev itself is a tmpfs that no limit counts: nothing may be written there
        "--remount-ro", "/dev",
        "--proc", "/proc",
        # bubblewrap covers these only when the sandbox's user cannot write them; root
        # (uid 0 outside too, when oci runs as root) writes sysctls by its uid alone
        *[arg for name in ("sys", "sysrq-trigger", "irq", "bus")
          for arg in ("--ro-bind-try", f"/proc/{name}", f"/proc/{name}")],
        *size, "--tmpfs", "/tmp",
    ]
    if not allow_network:
        args.append("--unshare-net")
        # /sys shows the host's network interfaces (names, MAC addresses) whatever the
        # namespace: an empty, read-only directory over each place that lists them.
        for hidden in net_dirs():
            args += ["--tmpfs", hidden, "--remount-ro", hidden]
    # A private /tmp hides anything that lived there: bring back what the run needs.
    tmp = Path("/tmp")
    for path in readable:
        if path == tmp or tmp in path.parents:
            args += ["--ro-bind", str(path), str(path)]
    # With an overlay, the real working directory is its read-only lower layer.
    args += ["--ro-bind" if layers is not None else "--bind", str(workdir), str(workdir)]
    # After the working directory, as Codex CLI does for its writable roots: read-only
    # islands inside it. Then the sandbox home, which may lie inside one of them.
    for path in protected or ():
        args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    if layers is not None:
        args += ["--bind", str(layers), OVERLAY_STAGE]
    args += ["--chdir", str(workdir)]
    return args


@functools.cache
def net_dirs() -> list[str]:
    """The directories of /sys that list the host's network interfaces: /sys/class/net,
    the virtual ones' and each device's ``net`` directory."""
    found = {"/sys/class/net", "/sys/devices/virtual/net"}
    try:
        for entry in os.scandir("/sys/class/net"):
            real = os.path.realpath(entry.path)
            parent = os.path.dirname(real)
            if os.path.basename(parent) == "net" and real.startswith("/sys/"):
                found.add(parent)
    except OSError:
        return []
    return sorted(p for p in found if os.path.isdir(p))


def _unshare_argv(allow_network: bool) -> list[str]:
    unshare = shutil.which("unshare") or "unshare"
    # setpriv --pdeathsig: unshare dies with oci (and the namespace with it) even when the
    # supervisor inside cannot notice (frozen); --kill-child takes the namespace down.
    setpriv = shutil.which("setpriv")
    front = [setpriv, "--pdeathsig", "KILL"] if setpriv else []
    args = [*front, unshare, "--user", "--map-root-user", "--pid", "--fork", "--kill-child",
            "--mount-proc", "--ipc", "--uts"]
    if not allow_network:
        args.append("--net")
    return args


def _works(argv: list[str]) -> tuple[bool, str]:
    """Whether ``argv`` exits 0, and the last line it wrote on stderr (why it failed)."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return proc.returncode == 0, lines[-1] if lines else "no reason given"


def _userns_hint() -> str:
    for path, bad, fix in _USERNS_SYSCTLS:
        try:
            if Path(path).read_text().strip() == bad:
                return f"this system blocks unprivileged user namespaces ({path} = {bad}); " \
                       f"to allow them: {fix}"
        except OSError:
            continue
    return ""


@functools.cache
def probe(preference: str = "auto") -> Containment:
    """Find the strongest containment that works here (cached per process)."""
    if preference not in MODES:
        raise UsageError(f"unknown sandbox mode {preference!r}",
                         f"Use one of: {', '.join(MODES)}.")
    if preference == "none":
        return Plain(False, "sandbox: containment is off (sandbox = none): programs run as "
                            "plain processes with the network on.")
    if not sys.platform.startswith("linux"):
        return Plain(False, f"sandbox: {sys.platform} has no network or PID namespaces; "
                            "programs run with rlimits and a process-tree sweep, and the "
                            "network cannot be blocked. See docs/security.md.")
    failures = []
    probe_dir = Path("/")
    if preference in ("auto", "bwrap"):
        if shutil.which("bwrap"):
            ok, err = _works([*_bwrap_argv(probe_dir, [], [], False), "--", "true"])
            if ok:
                return Bubblewrap(True)
            failures.append(f"bubblewrap failed ({err})")
        else:
            failures.append("bubblewrap (bwrap) is not installed")
        if preference == "bwrap":
            raise UsageError(f"sandbox = bwrap, but {failures[-1]}",
                             _userns_hint() or "Install bubblewrap, or use sandbox = auto.")
    if shutil.which("unshare"):
        ok, err = _works([*_unshare_argv(False), "true"])
        if ok:
            note = None
            if preference == "auto":
                note = (f"sandbox: {failures[-1]}, so programs run with unshare (no "
                        "network, a private PID namespace, a read-only file system outside "
                        "the working directory); see docs/security.md.")
            return Unshare(True, note)
        failures.append(f"unshare failed ({err})")
    else:
        failures.append("unshare is not installed")
    if preference == "unshare":
        raise UsageError(f"sandbox = unshare, but {failures[-1]}",
                         _userns_hint() or "Use sandbox = auto.")
    hint = _userns_hint() or ("install bubblewrap (apt-get install bubblewrap)"
                              if not shutil.which("bwrap") else "see docs/security.md")
    return Plain(
        False,
        f"sandbox: no namespaces here ({'; '.join(failures)}): programs run as plain "
        f"processes and the network cannot be blocked; {hint}.",
    )
