"""How a sandboxed program is contained: bubblewrap, unshare, or plain processes.

Probed once per process and cached. In order of preference:

``bwrap``    bubblewrap: read-only root, private /tmp, the working directory and the
             sandbox home writable, new PID/IPC/UTS/user namespaces (all
             capabilities dropped), no network unless allowed. Needs no root.
``unshare``  util-linux unshare: new user, PID, mount, IPC and UTS namespaces (so the
             program cannot see or signal oci, and every process dies with it) and,
             unless allowed, a network namespace with no interfaces. The supervisor
             builds bubblewrap's view of the file system in the mount namespace
             (``file_system`` below, ``_supervisor.seal_file_system``).
``none``     plain child processes in their own session: rlimits, the wall clock and
             a process-tree sweep still apply; the network cannot be blocked.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from oci_interpreter.core.errors import UsageError

MODES = ("auto", "bwrap", "unshare", "none")

_USERNS_SYSCTLS = (
    ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
     "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"),
    ("/proc/sys/kernel/unprivileged_userns_clone", "0",
     "sudo sysctl -w kernel.unprivileged_userns_clone=1"),
    ("/proc/sys/user/max_user_namespaces", "0",
     "sudo sysctl -w user.max_user_namespaces=15000"),
)


@dataclass(frozen=True)
class Containment:
    """The containment in use and what it enforces."""

    mode: str
    network_blocked: bool
    """The network is off for the program (only when it was asked off and can be)."""
    pid_namespace: bool
    note: str | None = None
    """Said once to the user when something asked for cannot be enforced."""

    def network_label(self, allow_network: bool) -> str:
        if allow_network:
            return "on"
        return "off" if self.network_blocked else "not enforced"

    @property
    def can_overlay(self) -> bool:
        """The program may see the working directory through an overlay (a mount
        namespace where the supervisor may mount one)."""
        return self.mode in ("bwrap", "unshare")

    def wrap(self, argv: list[str], *, workdir: Path, writable: list[Path],
             readable: list[Path], allow_network: bool,
             protected: Sequence[Path] = (), tmpfs_size: int | None = None,
             layers: Path | None = None) -> list[str]:
        """The command line that runs ``argv`` contained.

        ``readable``: paths the run needs that a private /tmp would hide (bound read-only
        there); ``protected``: paths inside the writable working directory that must stay
        read-only (version-control metadata, oci's installation and state, ...);
        ``writable``: oci's sandbox home, bound last (it may lie inside a protected path);
        ``tmpfs_size``: the most the private /tmp and /dev/shm may hold; ``layers``: the
        overlay's layers directory (writeback.Layers): the working directory is then
        bound read-only and the supervisor mounts the overlay on it.
        """
        if self.mode == "bwrap":
            return [*_bwrap_argv(workdir, writable, readable, allow_network, list(protected),
                                 tmpfs_size, layers), "--", *argv]
        if self.mode == "unshare":
            return _unshare_argv(allow_network) + argv
        return argv

    def file_system(self, *, workdir: Path, writable: list[Path], readable: list[Path],
                    protected: Sequence[Path] = (), tmpfs_size: int | None = None,
                    layers: Path | None = None, allow_network: bool = False) -> dict | None:
        """What the supervisor builds itself, where the wrapper does not (``unshare``):
        the same view as ``wrap`` gives under bubblewrap. None for the other modes."""
        if self.mode != "unshare":
            return None
        return {"workdir": str(workdir), "readable": [str(p) for p in readable],
                "protected": [str(p) for p in protected],
                "writable": [str(p) for p in writable], "tmpfs_size": tmpfs_size,
                "overlay": {"layers": str(layers)} if layers is not None else None,
                "hide": [] if allow_network else net_dirs()}


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
        return Containment("none", False, False,
                           "sandbox: containment is off (sandbox = none): programs run as "
                           "plain processes with the network on.")
    if not sys.platform.startswith("linux"):
        return Containment("none", False, False,
                           f"sandbox: {sys.platform} has no network or PID namespaces; "
                           "programs run with rlimits and a process-tree sweep, and the "
                           "network cannot be blocked. See docs/security.md.")
    failures = []
    probe_dir = Path("/")
    if preference in ("auto", "bwrap"):
        if shutil.which("bwrap"):
            ok, err = _works([*_bwrap_argv(probe_dir, [], [], False), "--", "true"])
            if ok:
                return Containment("bwrap", True, True)
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
            return Containment("unshare", True, True, note)
        failures.append(f"unshare failed ({err})")
    else:
        failures.append("unshare is not installed")
    if preference == "unshare":
        raise UsageError(f"sandbox = unshare, but {failures[-1]}",
                         _userns_hint() or "Use sandbox = auto.")
    hint = _userns_hint() or ("install bubblewrap (apt-get install bubblewrap)"
                              if not shutil.which("bwrap") else "see docs/security.md")
    return Containment(
        "none", False, False,
        f"sandbox: no namespaces here ({'; '.join(failures)}): programs run as plain "
        f"processes and the network cannot be blocked; {hint}.",
    )
