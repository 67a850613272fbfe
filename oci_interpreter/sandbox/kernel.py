"""A persistent Python kernel: cells run one after another in one namespace.

Like the Jupyter kernel of the OpenCodeInterpreter demo: variables and imports
survive between cells. One contained supervisor process hosts it (see
``_supervisor.py``); a cell costs a pipe round trip, not an interpreter start.

* A cell that hits a limit (time, memory, output, ...) ends the kernel: its result
  has ``state_lost=True`` and the next cell starts a fresh kernel.
* :meth:`Kernel.interrupt` (or Ctrl-C while :meth:`Kernel.execute` waits) raises
  ``KeyboardInterrupt`` in the cell; the namespace is kept. A cell that does not stop
  within ``limits.grace`` seconds is killed with the kernel.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType

from oci_interpreter.core.errors import SandboxError
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import (
    SENTINEL,
    OutputCallback,
    OutputCapture,
    RunState,
    Sandboxed,
    finish,
    resolve_workdir,
    workspace_changes,
)
from oci_interpreter.sandbox.workspace import scan

START_TIMEOUT = 30.0


class Kernel:
    """A long-lived, contained Python process executing cells."""

    def __init__(self, cwd: Path | str | None = None, limits: Limits | None = None, *,
                 sandbox: str = "auto", python: str | None = None) -> None:
        self.limits = limits or Limits()
        self.workdir = resolve_workdir(cwd, self.limits)
        self.sandbox = sandbox
        self.python = python
        self._box: Sandboxed | None = None
        self._cell = 0
        self._lock = threading.Lock()
        self._interrupt = threading.Event()
        self._started = False
        self._loss_reported = True
        """The variables are known to be gone (or there were none): a fresh kernel for the
        next cell needs no ``state_lost``."""
        self.restarts = 0
        """How many times a kernel was started after the first one."""

    # ---------------------------------------------------------- lifecycle --

    @property
    def alive(self) -> bool:
        return self._box is not None and self._box.proc.poll() is None

    def start(self) -> None:
        """Start the kernel now (otherwise the first cell starts it)."""
        if self.alive:
            return
        if self._box is not None:
            self._box.close()
            self._box = None
        if self._started:
            self.restarts += 1
        self._started = True
        box = Sandboxed({"mode": "kernel"}, workdir=self.workdir, limits=self.limits,
                        sandbox=self.sandbox, python=self.python, kernel=True)
        self._box = box
        state = RunState(OutputCapture(self.limits.max_output),
                         OutputCapture(self.limits.max_output))

        def ready() -> bool:
            return any(e.get("event") == "ready" for e in box.events) or (
                box.proc.poll() is not None and not box.open_fds)

        box.pump(state, deadline=time.monotonic() + START_TIMEOUT, done=ready)
        if not any(e.get("event") == "ready" for e in box.events):
            box.close(state)
            self._box = None
            failure = box.setup_failure(state) or state.stderr.text().strip()[-300:]
            raise SandboxError(f"the kernel did not start: {failure or 'no reason given'}",
                               "Try --sandbox none, and see docs/security.md.")

    def restart(self) -> None:
        """A fresh kernel: every variable is gone."""
        self.shutdown()
        self.start()

    def shutdown(self) -> None:
        if self._box is not None:
            box, self._box = self._box, None
            if box.ctl_w is not None:
                with contextlib.suppress(OSError):
                    os.close(box.ctl_w)
                box.ctl_w = None
            with contextlib.suppress(Exception):
                box.proc.wait(timeout=1)
            box.close()

    close = shutdown

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown()

    # --------------------------------------------------------------- cells --

    def interrupt(self) -> None:
        """Stop the running cell (thread-safe): KeyboardInterrupt, then kill after grace."""
        self._interrupt.set()
        box = self._box
        if box is not None and box.ctl_w is not None:
            with contextlib.suppress(OSError):
                os.write(box.ctl_w, b'{"op":"interrupt"}\n')

    def execute(self, code: str, *, on_output: OutputCallback | None = None,
                timeout: float | None = None) -> ExecResult:
        """Run one cell; wait for it; return what happened. Never raises for the code."""
        with self._lock:
            return self._execute(code, on_output, timeout)

    def _execute(self, code: str, on_output: OutputCallback | None,
                 timeout: float | None) -> ExecResult:
        self._interrupt.clear()
        fresh = not self.alive
        self.start()
        # A kernel that died between cells (and was not reported) lost the variables: say so.
        lost_before = fresh and not self._loss_reported
        self._loss_reported = False
        box = self._box
        assert box is not None and box.ctl_w is not None and box.sup_w is not None
        self._cell += 1
        cell = self._cell
        # The end of the cell is marked by the supervisor, with a nonce the program never
        # sees: a cell cannot print a marker that ends it (or a later one) early.
        nonce = uuid.uuid4().hex
        sentinel = SENTINEL + nonce.encode()
        box.discard_pending()
        state = RunState(OutputCapture(self.limits.max_output),
                         OutputCapture(self.limits.max_output))
        before = scan(self.workdir)  # (start() above already wrote the supervisor's bytecode)
        started = time.monotonic()
        message = (json.dumps({"op": "exec", "id": cell, "code": code}) + "\n").encode()
        with contextlib.suppress(OSError):  # the kernel died; the pump below sees it
            _write_all(box.sup_w, f"{cell}:{nonce}\n".encode())
            _write_all(box.ctl_w, message)
        seen: set[int] = set()

        def done() -> bool:
            if state.cell_done and len(seen) == 2:
                return True
            return box.proc.poll() is not None and not box.open_fds

        def on_interrupt() -> float:
            self.interrupt()
            return self.limits.grace

        box.events.clear()
        box.pump(state, deadline=started + (timeout or self.limits.timeout), done=done,
                 on_output=on_output, sentinel=sentinel, sentinel_seen=seen,
                 on_interrupt=on_interrupt, interrupted=self._interrupt.is_set)
        if self._interrupt.is_set():
            state.interrupted = True
            if state.limit == "time" and not state.cell_done:
                state.limit = None  # it was the grace period that ran out, not the limit
        duration = time.monotonic() - started
        died = not state.cell_done or box.proc.poll() is not None
        if state.limit or state.error_limit or state.supervisor_limit:
            died = True  # a cell that hit a limit ends the kernel: its memory is suspect
        warnings: tuple[str, ...] = ()
        if state.threads_left and not died:
            # Nothing of a cell runs on after it: a thread cannot be stopped from outside,
            # so the kernel goes (its processes were already killed by the supervisor).
            died = True
            warnings = (f"the cell left {state.threads_left} thread(s) running: the kernel "
                        "was restarted to stop them, and its variables are gone",)
        exit_code: int | None = None
        if not died:
            exit_code = 1 if state.error else 0
            for event in box.events:
                if event.get("event") == "exit_request":
                    exit_code = int(event.get("code", 0))
        else:
            box.kill()
            box.close(state)
            self._box = None
        if died:
            self._loss_reported = True
        changes = workspace_changes(before, self.workdir)
        if warnings:
            changes = dataclasses.replace(changes, warnings=changes.warnings + warnings)
        return finish(state, box, self.limits, duration, changes,
                      state_lost=died or lost_before, exit_code=exit_code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    os.set_blocking(fd, True)
    while view:
        written = os.write(fd, view)
        view = view[written:]
