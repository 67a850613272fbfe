"""The hostile battery again, as an ordinary user.

Root skips checks an ordinary user is subject to (RLIMIT_NPROC, file permissions, who may
ptrace whom, unprivileged user namespaces), so when the suite runs as root this test runs
the sandbox's hostile battery and the attack tests once more under a throwaway unprivileged
user. As an ordinary user the suite itself is that run, and this test is skipped.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.spawns

USER = "oci-sandbox-test"
BATTERY = ("tests/test_sandbox.py", "tests/test_sandbox_attacks.py",
           "tests/test_sandbox_round2.py", "tests/test_sandbox_overlay.py")
"""The files run again as the ordinary user (those present)."""
ROOT = Path(__file__).resolve().parents[1]


def _ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        pytest.skip("useradd is not available to create an unprivileged user")
    proc = subprocess.run([useradd, "--system", "--no-create-home", "--shell",
                           "/usr/sbin/nologin", USER], capture_output=True, text=True,
                          timeout=60, check=False)
    if proc.returncode not in (0, 9):  # 9: it exists already (a parallel run)
        pytest.skip(f"cannot create an unprivileged user: {proc.stderr.strip()}")
    return pwd.getpwnam(USER)


def _as_user(user: pwd.struct_passwd, *argv: str,
             **kw: object) -> subprocess.CompletedProcess[str]:
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    return subprocess.run([setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                           "--clear-groups", "--reset-env", *argv],  # type: ignore[call-overload]
                          capture_output=True, text=True, check=False, **kw)


def _interpreter(user: pwd.struct_passwd) -> str | None:
    """An interpreter of this Python version the user may run (this venv's may live
    under /root, which an ordinary user cannot enter)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, f"/usr/bin/python{version}",
                      f"/usr/local/bin/python{version}"):
        if Path(candidate).exists() and _as_user(user, "/usr/bin/env", candidate, "-c",
                                                 "pass", timeout=60).returncode == 0:
            return candidate
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="already an ordinary user: the suite is that run")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is missing")
@pytest.mark.timeout(900)
def test_the_hostile_battery_passes_as_an_ordinary_user() -> None:
    user = _ensure_user()
    python = _interpreter(user)
    if python is None:
        pytest.skip(f"no python{sys.version_info.major}.{sys.version_info.minor} the "
                    "unprivileged user may run")
    # Not below pytest's own temporary directory: root's is closed to other users.
    top = Path(tempfile.mkdtemp(prefix="oci-nonroot-"))
    top.chmod(0o755)
    home = top / "home"
    home.mkdir()
    os.chown(home, user.pw_uid, user.pw_gid)
    base = home / "pytest"  # pytest removes and makes it: in a directory the user owns
    try:
        _run_battery(user, python, home, base)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _run_battery(user: pwd.struct_passwd, python: str, home: Path, base: Path) -> None:
    site = sysconfig.get_paths()["purelib"]  # this venv's packages, readable by others
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONPATH": f"{ROOT}{os.pathsep}{site}", "PYTHONDONTWRITEBYTECODE": "1"}
    if Path(python).resolve() != Path(sys.executable).resolve():
        # Not this venv's interpreter (its base lies where the user may not go, such as
        # pyenv's under /root): the packages come from PYTHONPATH, programs do not get it.
        env["SANDBOX_TEST_PACKAGES_FROM_PYTHONPATH"] = "1"
    envargs = [f"{k}={v}" for k, v in env.items()]
    result = _as_user(user, "/usr/bin/env", *envargs, python, "-m", "pytest", "-q",
                      "-p", "no:cacheprovider", "--basetemp", str(base),
                      *[f for f in BATTERY if (ROOT / f).exists()],
                      cwd=ROOT, timeout=840)
    tail = (result.stdout + result.stderr)[:3000]
    assert _as_user(user, "/usr/bin/id", "-u", timeout=30).stdout.strip() != "0"
    assert result.returncode == 0, tail
    assert " passed" in result.stdout and " failed" not in result.stdout, tail
