"""``python -m oci_interpreter`` in a directory a program wrote (issue 34, item 8): a module
the program left there (``typer.py``) is not imported in place of the real one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.spawns


@pytest.mark.parametrize("module", ["typer", "rich", "click"])
def test_a_module_left_in_the_current_directory_is_not_imported(tmp_path: Path,
                                                                 module: str) -> None:
    marker = tmp_path / "IMPORTED"
    (tmp_path / f"{module}.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise SystemExit('planted {module} imported')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    proc = subprocess.run([sys.executable, "-m", "oci_interpreter", "--help"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert not marker.exists(), proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "oci" in proc.stdout and "chat" in proc.stdout


def test_the_current_directory_is_off_the_path_but_the_package_works(tmp_path: Path) -> None:
    """A command that imports further modules later (exec: the sandbox) still finds them."""
    (tmp_path / "hello.py").write_text("print('hi')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    proc = subprocess.run([sys.executable, "-m", "oci_interpreter", "exec", "hello.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hi\n"
