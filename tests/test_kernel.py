"""The persistent kernel: state across cells, interrupts, limits that end it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from oci_interpreter.sandbox.kernel import Kernel
from oci_interpreter.sandbox.limits import Limits, MiB
from tests.test_sandbox import MODES

pytestmark = pytest.mark.spawns


@pytest.fixture(params=MODES)
def kernel(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kernel]:
    with Kernel(tmp_path, Limits(timeout=10, grace=1.0), sandbox=request.param) as k:
        yield k


def test_state_persists_and_last_expression_is_shown(kernel: Kernel) -> None:
    first = kernel.execute("import math\nx = 40")
    assert first.ok and first.stdout == "" and not first.state_lost
    second = kernel.execute("y = x + 2\nmath.sqrt(y * y)")
    assert second.stdout == "42.0\n"
    assert kernel.execute("None").stdout == ""
    assert kernel.execute("print('a', end='')").stdout == "a"


def test_errors_keep_the_state_and_show_the_cell_traceback(kernel: Kernel) -> None:
    kernel.execute("data = [1, 2, 3]")
    result = kernel.execute("total = sum(data)\ndata[10]")
    assert result.exit_code == 1 and result.error == "IndexError: list index out of range"
    assert 'File "<cell-2>", line 2' in result.stderr and "data[10]" in result.stderr
    assert "_inside" not in result.stderr  # no frame of oci's
    assert kernel.execute("print(total)").stdout == "6\n"
    assert kernel.execute("def f(:\n  pass").error.startswith("SyntaxError")


def test_interrupt_keeps_the_state(kernel: Kernel) -> None:
    kernel.execute("counter = 7")
    threading.Timer(0.5, kernel.interrupt).start()
    start = time.monotonic()
    result = kernel.execute("import time\nwhile True:\n    time.sleep(0.01)")
    assert time.monotonic() - start < 3
    assert result.interrupted and not result.state_lost
    assert "KeyboardInterrupt" in result.stderr
    assert kernel.execute("print(counter)").stdout == "7\n"


def test_ctrl_c_while_waiting_interrupts_the_cell(kernel: Kernel) -> None:
    kernel.execute("kept = 'yes'")
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    result = kernel.execute("import time\ntime.sleep(30)")
    assert result.interrupted and not result.state_lost
    assert kernel.execute("print(kept)").stdout == "yes\n"


def test_a_cell_that_ignores_the_interrupt_is_killed_after_the_grace(kernel: Kernel) -> None:
    kernel.execute("x = 1")
    threading.Timer(0.3, kernel.interrupt).start()
    start = time.monotonic()
    result = kernel.execute("""
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
""")
    assert time.monotonic() - start < 5
    assert result.interrupted and result.state_lost
    fresh = kernel.execute("print('x' in globals())")
    assert fresh.stdout == "False\n" and kernel.restarts == 1


def test_a_limit_ends_the_kernel_and_the_next_cell_gets_a_fresh_one(tmp_path: Path) -> None:
    with Kernel(tmp_path, Limits(timeout=1.5, memory=256 * MiB)) as kernel:
        kernel.execute("important = 1")
        slow = kernel.execute("while True:\n    pass")
        assert slow.limit == "time" and slow.state_lost
        assert kernel.execute("print('important' in globals())").stdout == "False\n"
        kernel.execute("again = 2")
        big = kernel.execute("blob = bytearray(4 * 1024**3)")
        assert big.limit == "memory" and big.state_lost
        assert kernel.execute("print(1 + 1)").stdout == "2\n"
        assert kernel.restarts == 2


def test_per_cell_timeout_argument(kernel: Kernel) -> None:
    result = kernel.execute("import time\ntime.sleep(5)", timeout=0.5)
    assert result.limit == "time" and result.duration_s < 3


def test_input_gets_eof_and_sys_exit_does_not_kill_the_kernel(kernel: Kernel) -> None:
    kernel.execute("keep = 1")
    result = kernel.execute("input('value? ')")
    assert result.stdin_read and "EOFError" in result.stderr
    assert kernel.execute("import sys\nsys.exit(3)").exit_code == 3
    assert kernel.execute("print(keep)").stdout == "1\n"


def test_output_streams_live_and_is_capped_per_cell(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    with Kernel(tmp_path, Limits(max_output=4096, flood_factor=1000)) as kernel:
        kernel.execute("import sys\nprint('out')\nprint('err', file=sys.stderr)",
                                on_output=lambda s, t: seen.append((s, t)))
        # print() writes the text and the newline separately: chunks may split there
        assert "".join(t for s, t in seen if s == "stdout") == "out\n"
        assert "".join(t for s, t in seen if s == "stderr") == "err\n"
        big = kernel.execute("for i in range(10000):\n    print(i)")
        assert big.stdout.startswith("0\n1\n") and big.stdout.endswith("9999\n")
        assert "elided" in big.stdout and not big.state_lost
        assert kernel.execute("print('next')").stdout == "next\n"


def test_plots_per_cell(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with Kernel(tmp_path, Limits(timeout=60)) as kernel:
        kernel.execute("import matplotlib.pyplot as plt")
        first = kernel.execute("plt.plot([1, 2], [3, 4])\nplt.show()")
        assert first.plots == (str(tmp_path / "figure-1.png"),)
        second = kernel.execute("plt.figure()\nplt.hist([1, 1, 2])\nNone")
        assert second.plots == (str(tmp_path / "figure-2.png"),)
        assert second.files == second.plots


def test_shutdown_leaves_nothing_running(tmp_path: Path) -> None:
    kernel = Kernel(tmp_path)
    kernel.execute("import subprocess, sys\n"
                   "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
                   " start_new_session=True)")
    pid_outer = kernel._box.proc.pid  # type: ignore[union-attr]
    tree = psutil.Process(pid_outer).children(recursive=True)
    assert len(tree) >= 2
    kernel.shutdown()
    _gone, alive = psutil.wait_procs(tree, timeout=5)
    assert alive == []
