"""What every command that runs code or loads a model does first, in one place."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from oci_interpreter.backend.base import Backend
    from oci_interpreter.core.config import Settings


def say_containment(err: Console, settings: Settings) -> None:
    """Probe the sandbox and say, once, what it cannot enforce here (if anything)."""
    from oci_interpreter.sandbox import containment
    from oci_interpreter.ui.execution import print_note

    contained = containment.probe(settings.sandbox)
    # Without namespaces nothing is isolated, network or not: say so whatever was asked.
    if not settings.allow_network or not contained.pid_namespace:
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    # A byte that was not UTF-8 (os.fsdecode keeps it as U+DC80..U+DCFF): shown as \xff.
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _utf8(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub(_visible, value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_utf8(k): _utf8(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_utf8(v) for v in value]
    return value


def json_line(data: Any) -> str:
    """``data`` as one line of JSON (and a newline) that is always valid UTF-8: a file name
    that is not UTF-8 (``b"\\xff.txt"``) holds lone surrogates, which would be written as
    raw bytes or fail on a strict UTF-8 stdout; they become the text ``\\xff``."""
    return json.dumps(_utf8(data), ensure_ascii=False) + "\n"
