"""Load the backend a command asked for (the model resolved from the settings)."""

from __future__ import annotations

import json
from pathlib import Path

from oci_interpreter.backend.base import Backend
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import ModelNotFoundError
from oci_interpreter.core.store import Progress, resolve_model

FAKE_PREFIX = "fake:"


def load_backend(settings: Settings, progress: Progress | None = None) -> Backend:
    """Resolve ``settings.model`` (flag > env > config > best present > embedded) and load it.

    With ``settings.base_url`` the model is the one a server serves (``server_model``, or
    the first it lists) and nothing is loaded here.

    ``fake:REPLIES.json`` loads the scripted test backend instead: a JSON list of the
    replies it gives, in order (like simonw/llm's mock model, for tests of whole commands),
    or ``{"replies": [...], "word_delay_s": S}`` for one that writes a word every S seconds.
    """
    if settings.model and settings.model.startswith(FAKE_PREFIX):
        return _fake(settings.model[len(FAKE_PREFIX):], settings)
    if settings.base_url:
        from oci_interpreter.backend.server import ServerBackend, api_key_from_env

        return ServerBackend(settings.base_url, settings, model=settings.server_model,
                             api_key=api_key_from_env(settings))
    resolved = resolve_model(settings.model, progress)
    from oci_interpreter.backend.llama import LlamaBackend

    return LlamaBackend(resolved.path, settings, family=resolved.family, name=resolved.name)


def _fake(path: str, settings: Settings) -> Backend:
    from oci_interpreter.backend.fake import FakeBackend

    try:
        replies = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(f"fake model {path}: {exc}",
                                 "Give a JSON list of replies.") from None
    delay = 0.0
    if isinstance(replies, dict):  # {"replies": [...], "word_delay_s": 0.05}: a slow model
        delay = replies.get("word_delay_s", 0.0)
        replies = replies.get("replies")
        if not isinstance(delay, (int, float)) or delay < 0:
            raise ModelNotFoundError(f"fake model {path}: word_delay_s is not a number of "
                                     "seconds")
    if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
        raise ModelNotFoundError(f"fake model {path}: not a JSON list of strings")
    return FakeBackend(replies, n_ctx=settings.n_ctx, word_delay_s=float(delay))
