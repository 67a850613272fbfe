"""Where oci keeps its state.

Everything lives in platformdirs' per-user directories, unless ``OCI_HOME`` is
set: then config, models and data all live below that one directory (tests
point it at a temporary directory, like ``LLM_USER_PATH`` in simonw/llm).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "oci"
HOME_ENV = "OCI_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Directory of ``config.toml``."""
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def models_dir() -> Path:
    """The model store: assembled and downloaded GGUF files (a cache: safe to delete)."""
    home = _home()
    if home is not None:
        return home / "models"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "models"


def data_dir() -> Path:
    """History, saved sessions and other user data."""
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
