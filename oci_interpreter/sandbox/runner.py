"""Fresh runs: one program in a fresh sandbox (:func:`run_program`), its working
directory given to it copy-on-write where an overlay can be mounted (applied afterwards
by writeback.py) and directly otherwise, and the result (:func:`finish`).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from oci_interpreter.core.errors import SandboxError
from oci_interpreter.sandbox import containment as _containment
from oci_interpreter.sandbox import workspace, writeback
from oci_interpreter.sandbox._inside.wire import Config
from oci_interpreter.sandbox.box import (
    OutputCallback,
    OverlayUnavailable,
    Sandboxed,
    _precompile,
    _sandbox_home,
)
from oci_interpreter.sandbox.capture import OutputCapture
from oci_interpreter.sandbox.layers import Layers
from oci_interpreter.sandbox.limits import ExecResult, Limits
from oci_interpreter.sandbox.status import RunState

__all__ = ["OutputCallback", "finish", "overlay_failed", "overlay_layers", "resolve_workdir",
           "run_program", "workspace_changes"]


# --------------------------------------------------------------- fresh runs --

def resolve_workdir(cwd: Path | str | None, limits: Limits) -> Path:
    """The working directory as an absolute path, refused where a program could reach the
    host through it (see ``workspace.check_workdir``)."""
    workdir = Path(cwd or os.getcwd()).resolve()
    if not workdir.is_dir():
        raise SandboxError(f"working directory {workdir} does not exist",
                           "Create it, or pass an existing directory.")
    workspace.check_workdir(workdir, allow_home=limits.allow_home)
    return workdir


def run_program(*, code: str | None = None, path: Path | str | None = None,
        args: Iterable[str] = (), cwd: Path | str | None = None,
        limits: Limits | None = None, sandbox: str = "auto", python: str | None = None,
        on_output: OutputCallback | None = None, filename: str | None = None,
        trace_lines: bool = False, stdin_file: Path | str | None = None,
        explain_asserts: bool = False) -> ExecResult:
    """Run a file or a code string in a fresh, contained process and wait for it.

    Never raises for the program's failure (that is in the result); raises
    :class:`SandboxError` only when the sandbox itself cannot run it. ``trace_lines``: the
    result's ``lines_run`` says which lines of the file (or of the code) ran.
    ``stdin_file``: the program's standard input (data piped to oci); otherwise stdin is
    closed and reading it gives end-of-file at once. ``explain_asserts``: a bare failed
    ``assert`` in the program, or in a Python program it starts, says its values
    (``assert 13.5 == 18.9``, as pytest does; sandbox/_assertinfo), for a model to read.
    """
    if (code is None) == (path is None):
        raise ValueError("give exactly one of code= or path=")
    limits = limits or Limits()
    workdir = resolve_workdir(cwd, limits)
    what: dict[str, Any] = {"args": list(args), "explain_asserts": explain_asserts,
                            "trace_lines": trace_lines}
    if stdin_file is not None:
        what["stdin_file"] = str(Path(stdin_file).resolve())
    if path is not None:
        script = Path(path).resolve()
        if not script.is_file():
            raise SandboxError(f"{path} is not a file", "Check the path.")
        what.update(mode="file", path=str(script))
    else:
        what.update(mode="code", code=code, filename=filename)
    _precompile()  # oci's own write (the supervisor's bytecode): before any scan
    contain = _containment.probe(sandbox)
    layers, note = overlay_layers(workdir, contain)
    if layers is not None:
        try:
            return _run_once(what, workdir, limits, sandbox, python, on_output, layers)
        except OverlayUnavailable as exc:
            note = overlay_failed(workdir, str(exc))
        finally:
            layers.close()
    result = _run_once(what, workdir, limits, sandbox, python, on_output, None)
    if note:
        result = replace(result, warnings=(note, *result.warnings))
    return result


def _run_once(what: dict[str, Any], workdir: Path, limits: Limits, sandbox: str,
              python: str | None, on_output: OutputCallback | None,
              layers: Layers | None) -> ExecResult:
    """One attempt at a fresh run (``what``: the Config fields of the program)."""
    cfg = Config(**what)
    since = time.time_ns()
    before = None
    layer = None
    if layers is not None:
        try:
            layer = layers.new()
        except OSError as exc:
            raise OverlayUnavailable(f"cannot make its upper layer: {exc}") from None
    else:
        before = workspace.scan(workdir)
    state = RunState(OutputCapture(limits.max_output), OutputCapture(limits.max_output))
    box = Sandboxed(cfg, workdir=workdir, limits=limits, sandbox=sandbox, python=python,
                    before=before, layers=layers, layer=layer)
    try:
        deadline = box.started + limits.timeout
        if box.contain.pid_namespace:
            def done() -> bool:
                return not box.open_fds and box.proc.poll() is not None
        else:
            def done() -> bool:
                return box.exit_event is not None or box.proc.poll() is not None
        box.pump(state, deadline=deadline, done=done, on_output=on_output)
        if state.limit is None and not state.interrupted:
            box.drain(state, 0.2 if not box.contain.pid_namespace else 1.0, on_output)
    finally:
        box.close(state)
    duration = time.monotonic() - box.started
    failure = box.setup_failure(state)  # raises OverlayUnavailable: nothing ran
    if failure:
        raise SandboxError(f"the sandbox could not start: {failure}",
                           "Try --sandbox unshare or --sandbox none, and see docs/security.md.")
    if layers is not None and layer is not None:
        # Every process of the sandbox is gone: nothing writes the upper layer any more.
        changes = writeback.apply_upper(layers.upper(layer), workdir, since_ns=since,
                                        move=True)
        return finish(state, box, limits, duration, changes, workspace_kind="overlay")
    assert before is not None
    return finish(state, box, limits, duration, workspace_changes(before, workdir))


_OVERLAY_BROKEN: dict[int, str] = {}
"""Devices (of working directories) where the overlay failed in this process: why."""


def overlay_layers(workdir: Path, contain: _containment.Containment
                   ) -> tuple[Layers | None, str | None]:
    """Layers for a copy-on-write view of ``workdir``, or (None, why not) -- the why said
    once per process (None under ``none``, which has no mount namespace)."""
    if not contain.can_overlay:
        return None, None
    reason = _OVERLAY_BROKEN.get(_device(workdir))
    if reason is None:
        inner = _mounts_inside(workdir)
        if inner:
            reason = f"it holds another mount ({inner[0]}), which an overlay would hide"
    if reason is None:
        made = Layers.create(workdir)
        if isinstance(made, Layers):
            return made, None
        reason = made
    return None, _fallback_note(workdir, reason)


def overlay_failed(workdir: Path, reason: str) -> str | None:
    """Remember that the overlay cannot be mounted for ``workdir`` (this process)."""
    _OVERLAY_BROKEN[_device(workdir)] = reason
    return _fallback_note(workdir, reason)


_NOTED: set[str] = set()


def _fallback_note(workdir: Path, reason: str) -> str | None:
    if reason in _NOTED:
        return None
    _NOTED.add(reason)
    return (f"the working directory cannot be given to the program copy-on-write here "
            f"({reason}): it writes {workdir} itself, with only the .git, virtualenvs and "
            "oci's own files a scan finds at the start read-only; see docs/security.md")


def _device(path: Path) -> int:
    try:
        return os.stat(path).st_dev
    except OSError:
        return -1


def _mounts_inside(workdir: Path) -> list[str]:
    """Mount points strictly below ``workdir`` (an overlay shows none of them)."""
    top = str(workdir).rstrip("/") + "/"
    found = []
    try:
        with open("/proc/self/mountinfo", "rb") as fh:
            for line in fh:
                raw = line.split(b" ")[4]
                point = os.fsdecode(raw.decode("unicode_escape").encode("latin-1"))
                if point.startswith(top):
                    found.append(point)
    except OSError:
        pass
    return sorted(found)


def workspace_changes(before: workspace.Scan, workdir: Path) -> workspace.Changes:
    """What the run changed in the working directory (oci's sandbox home left out)."""
    return workspace.changes(before, workdir, own=_sandbox_home())


def finish(state: RunState, box: Sandboxed, limits: Limits, duration: float,
           changes: workspace.Changes, state_lost: bool = False,
           exit_code: int | None = None, workspace_kind: str = "direct") -> ExecResult:
    """Turn what the pump saw into an :class:`ExecResult`, naming the limit precisely."""
    exit_code = state.exit_code if exit_code is None else exit_code
    if exit_code is None:  # killed before the supervisor could report
        rc = box.proc.returncode
        exit_code = -signal.SIGKILL if rc is None or rc < 0 or state.limit else rc
    error = state.error
    if state.supervisor_lost:
        exit_code = -signal.SIGKILL
        error = ("SandboxError: the sandbox's supervisor stopped answering (stopped or traced "
                 "from inside?); the program was killed")
    limit = state.limit or state.supervisor_limit or state.error_limit
    if limit is None and exit_code < 0:
        sig = -exit_code
        if sig == signal.SIGXCPU or (
            sig == signal.SIGKILL and state.cpu >= limits.cpu_seconds - 0.5
        ):
            limit = "cpu"
        elif sig == signal.SIGXFSZ:
            limit = "file_size"
        elif sig in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGKILL) and (
            state.peak >= 0.9 * limits.memory
        ):
            limit = "memory"
    return ExecResult(
        exit_code=exit_code,
        stdout=state.stdout.text(),
        stderr=state.stderr.text(),
        duration_s=duration,
        limit=limit,
        peak_memory_bytes=state.peak,
        cpu_s=state.cpu,
        files=changes.created,
        modified=changes.modified,
        deleted=changes.deleted,
        warnings=changes.warnings,
        refused=changes.refused,
        workspace=workspace_kind,
        lines_run=tuple(sorted(state.lines)) if box.traced else None,
        plots=tuple(state.plots),
        stdin_read=state.stdin_read,
        error=error,
        interrupted=state.interrupted,
        state_lost=state_lost,
        stdout_bytes=state.stdout.total,
        stderr_bytes=state.stderr.total,
        sandbox=box.contain.mode,
        network=box.contain.network_label(limits.allow_network),
        limits=limits.to_dict(),
    )
