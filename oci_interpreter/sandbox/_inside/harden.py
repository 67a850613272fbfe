"""What the program gives up before it starts, and what the supervisor keeps from it.

Stdlib only (runs inside the sandbox). ``become`` and ``drop_capabilities`` run in the
program's process (the child) before anything of the program's; ``install_seccomp``
last, so that everything the program starts inherits the filter; ``protect_self`` in the
supervisor, which the program must not trace.
"""

from __future__ import annotations

import errno

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


def protect_self() -> None:
    """No ptrace and no /proc/PID/mem for the program: the supervisor is not dumpable."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except Exception:
        pass
