"""What every command that runs code or loads a model does first, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from oci_interpreter.backend.base import Backend
    from oci_interpreter.core.config import Settings


def say_containment(err: Console, settings: Settings) -> None:
    """Probe the sandbox and say, once, what it cannot enforce here (if anything)."""
    from oci_interpreter.sandbox import containment
    from oci_interpreter.ui.execution import print_note

    contained = containment.probe(settings.sandbox)
    if not settings.allow_network or contained.mode == "none":
        print_note(err, contained.note)


def prepare_backend(err: Console, settings: Settings) -> Backend:
    """The model the settings name (assembled, verified, loaded), with a progress bar."""
    from oci_interpreter.backend.loader import load_backend
    from oci_interpreter.ui.progress import byte_progress

    with byte_progress(err, "preparing model", waiting="loading the model") as bar:
        backend = load_backend(settings, bar)
    if backend.info.note:
        err.print(f"[yellow]{backend.info.note}[/yellow]", highlight=False)
    return backend
