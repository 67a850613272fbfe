"""Load the backend a command asked for (the model resolved from the settings)."""

from __future__ import annotations

from oci_cli.backend.base import Backend
from oci_cli.core.config import Settings
from oci_cli.core.store import Progress, resolve_model


def load_backend(settings: Settings, progress: Progress | None = None) -> Backend:
    """Resolve ``settings.model`` (flag > env > config > best present > embedded) and load it."""
    resolved = resolve_model(settings.model, progress)
    from oci_cli.backend.llama import LlamaBackend

    return LlamaBackend(resolved.path, settings, family=resolved.family, name=resolved.name)
