"""A persistent Python kernel: cells run one after another in one namespace.

Like the Jupyter kernel of the OpenCodeInterpreter demo: variables and imports
survive between cells. One contained supervisor process hosts it (see
``_inside/kernel.py`` and ``_inside/cells.py``); a cell costs a pipe round trip, not an
interpreter start.

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
from oci_interpreter.sandbox import containment, writeback
from oci_interpreter.sandbox._inside.wire import Config
from oci_interpreter.sandbox.box import SENTINEL, OutputCallback, OverlayUnavailable, Sandboxed
from oci_interpreter.sandbox.capture import OutputCapture
from oci_interpreter.sandbox.layers import Layers
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.runner import (
    finish,
    overlay_failed,
    overlay_layers,
    resolve_workdir,
    workspace_changes,
)
from oci_interpreter.sandbox.status import RunState
from oci_interpreter.sandbox.workspace import Changes, scan

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
        self._layers: Layers | None = None
        """The running kernel's overlay layers (None: it writes the directory itself)."""
        self._held: list[tuple[str, dict[tuple[str, ...], tuple[int, int]]]] = []
        """Upper layers of earlier cells that a file left open still writes to."""
        self._note: str | None = None
        """Said with the next cell's result: why there is no overlay."""

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
        layers, note = overlay_layers(self.workdir, containment.probe(self.sandbox))
        try:
            self._start(layers)
        except OverlayUnavailable as exc:
            if layers is not None:
                layers.close()
            note = overlay_failed(self.workdir, str(exc))
            self._start(None)
        self._note = self._note or note

    def _start(self, layers: Layers | None) -> None:
        self._layers = layers
        probe = None
        if layers is not None:
            try:
                probe = layers.new()  # mounted once at the start: can it be, here?
            except OSError as exc:
                raise OverlayUnavailable(f"cannot make its upper layer: {exc}") from None
        box = Sandboxed(Config(mode="kernel"), workdir=self.workdir, limits=self.limits,
                        sandbox=self.sandbox, python=self.python, kernel=True,
                        layers=layers, layer=probe)
        self._box = box
        state = RunState(OutputCapture(self.limits.max_output),
                         OutputCapture(self.limits.max_output))

        def ready() -> bool:
            return any(e.get("event") == "ready" for e in box.events) or (
                box.proc.poll() is not None and not box.open_fds)

        box.pump(state, deadline=time.monotonic() + START_TIMEOUT, done=ready)
        if layers is not None and probe is not None:
            layers.discard(probe)
        if not any(e.get("event") == "ready" for e in box.events):
            box.close(state)
            self._box = None
            self._release_layers()
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
            # Between cells the kernel is stopped: nothing of it is left to finish.
            box.close()
        self._release_layers()

    def _release_layers(self) -> None:
        if self._layers is not None:
            self._layers.close()
            self._layers = None
        self._held = []

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
        if box is not None and box.sup_w is not None:
            with contextlib.suppress(OSError):  # the supervisor sends the cell SIGINT
                os.write(box.sup_w, b"interrupt\n")

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
        layers = self._layers
        before = None
        layer = "-"
        if layers is not None:
            try:
                layer = layers.new()  # this cell's upper layer: exactly what it changes
            except OSError as exc:
                raise SandboxError(f"cannot make the cell's upper layer in {layers.root}: "
                                   f"{exc.strerror or exc}",
                                   "Free some disk space there, or restart the chat.") from None
        else:
            before = scan(self.workdir)
        since = time.time_ns()
        started = time.monotonic()
        message = (json.dumps({"op": "exec", "id": cell, "code": code}) + "\n").encode()
        with contextlib.suppress(OSError):  # the kernel died; the pump below sees it
            # First the announcement: the supervisor resumes the kernel, which then reads
            # the cell (a cell longer than a pipe's buffer would block a stopped kernel).
            _write_all(box.sup_w, f"cell {cell} {nonce} {layer}\n".encode())
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
        if layers is not None:
            changes = self._apply(layers, layer, since, held=state.held and not died)
        else:
            assert before is not None
            changes = workspace_changes(before, self.workdir)
        if died and layers is not None:
            self._release_layers()
        if self._note:
            warnings = (self._note, *warnings)
            self._note = None
        if warnings:
            changes = dataclasses.replace(changes, warnings=changes.warnings + warnings)
        return finish(state, box, self.limits, duration, changes,
                      state_lost=died or lost_before, exit_code=exit_code,
                      workspace_kind="overlay" if layers is not None else "direct")

    def _apply(self, layers: Layers, layer: str, since: int, *, held: bool) -> Changes:
        """Apply what the cell changed: its own upper layer, and what it wrote through
        files earlier cells left open (their upper layers are still written)."""
        parts: list[Changes] = []
        for earlier, seen in self._held:
            parts.append(writeback.apply_upper(layers.upper(earlier), self.workdir,
                                               since_ns=since, seen=seen))
        if held:
            handled: dict[tuple[str, ...], tuple[int, int]] = {}
            parts.append(writeback.apply_upper(layers.upper(layer), self.workdir,
                                               since_ns=since, seen=handled))
            self._held.append((layer, handled))
        else:
            parts.append(writeback.apply_upper(layers.upper(layer), self.workdir,
                                               since_ns=since, move=True))
            layers.discard(layer)
        return _merge(parts)


def _merge(parts: list[Changes]) -> Changes:
    if len(parts) == 1:
        return parts[0]
    return Changes(*(tuple(dict.fromkeys(p for part in parts for p in getattr(part, name)))
                     for name in ("created", "modified", "deleted", "warnings", "refused")))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    os.set_blocking(fd, True)
    while view:
        written = os.write(fd, view)
        view = view[written:]
