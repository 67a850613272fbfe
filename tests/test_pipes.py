"""The installed `oci` in a pipeline whose reader leaves early (issue 37): `oci models list |
head -1` and `oci run --help | head -1` exit 0, so `set -o pipefail` scripts keep working."""

from __future__ import annotations

import subprocess

import pytest


@pytest.mark.spawns
@pytest.mark.parametrize("command", ["models list", "run --help", "config show"])
def test_a_reader_that_leaves_early_is_not_an_error(oci_bin: str, command: str,
                                                     tmp_path: object) -> None:
    # `true` reads nothing and exits at once: oci's write meets a closed pipe (or, when it
    # wins the race, an open one); either way the pipeline succeeds, and nothing is said.
    for reader in ("head -1", "true"):
        for _ in range(3):
            proc = subprocess.run(["bash", "-c", f"set -o pipefail; '{oci_bin}' {command} | "
                                   f"{reader} > /dev/null"],
                                  capture_output=True, text=True, timeout=60, cwd=tmp_path)
            assert proc.returncode == 0, (reader, proc.stderr)
            assert "Broken pipe" not in proc.stderr and "Traceback" not in proc.stderr
