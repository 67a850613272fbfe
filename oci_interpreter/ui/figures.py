"""Figures a program saved, shown in the chat: inline where the terminal draws images
(sixel: xterm, foot, WezTerm, iTerm2, VS Code, Windows Terminal; kitty's graphics
protocol), otherwise as the path the status line already names.

Drawing is textual-image's (Rich renderables for sixel, kitty and coloured half cells; it
asks the terminal what it can draw the first time it is imported, with 0.1 s time-outs).
The files are the program's, so they are treated as hostile: only regular files inside
the working directory (no symlinks), at most 16 MiB and 40 megapixels, decoded by Pillow
from the PNG, JPEG, GIF, BMP and WebP formats only; one that cannot be drawn is named
with the reason and nothing else happens.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import stat
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from oci_interpreter.sandbox.limits import ExecResult
from oci_interpreter.ui.console import one_line

MODES = ("auto", "sixel", "kitty", "blocks", "off")
IMAGE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF",
                  ".bmp": "BMP", ".webp": "WEBP"}
MAX_BYTES = 16 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_FIGURES = 4  # per run: the rest are named in the status line only
WIDTH = 60  # cells; never wider than the terminal


def figure_paths(result: ExecResult, workdir: Path) -> list[Path]:
    """The images the run saved or changed, in order, that are safe to open."""
    root = workdir.resolve()
    seen: list[Path] = []
    for name in (*result.plots, *result.files, *result.modified):
        path = Path(name)
        if not path.is_absolute():
            path = root / path
        if path.suffix.lower() not in IMAGE_SUFFIXES or path in seen:
            continue
        try:
            info = path.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            continue
        with contextlib.suppress(ValueError, OSError):
            path.resolve().relative_to(root)  # no way out through a linked directory
            seen.append(path)
    return seen


def _quiet() -> None:
    """textual-image logs a warning when the terminal does not say its cell size (tmux);
    with no handler, Python would print it into the chat."""
    log = logging.getLogger("textual_image")
    log.addHandler(logging.NullHandler())
    log.propagate = False


@functools.cache
def detected() -> str | None:
    """What this terminal draws, asked once: ``sixel``, ``kitty`` or None."""
    _quiet()
    try:
        from textual_image import renderable
    except Exception:  # not installed, or the terminal query failed
        return None
    if renderable.Image is renderable.SixelImage:
        return "sixel"
    if renderable.Image is renderable.TGPImage:
        return "kitty"
    return None


def protocol(mode: str, console: Console) -> str | None:
    """How figures are drawn under the ``figures`` setting, or None for the path only."""
    if mode == "off" or not console.is_terminal or console.is_dumb_terminal:
        return None
    if mode == "auto":
        return detected()
    if mode == "blocks" and (console.no_color or console.color_system is None):
        return None  # cells without colours draw nothing
    return mode


def renderable(path: Path, how: str, width: int) -> Any:
    """A Rich renderable that draws ``path``; raises ValueError with a reason when it
    cannot be drawn."""
    try:
        from PIL import Image as PILImage
    except ImportError:
        raise ValueError("Pillow is not installed") from None
    _quiet()
    from textual_image.renderable import HalfcellImage, SixelImage, TGPImage

    fmt = IMAGE_SUFFIXES[path.suffix.lower()]
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            image = PILImage.open(handle, formats=[fmt])
            if image.width * image.height > MAX_PIXELS:
                raise ValueError(f"{image.width}x{image.height} pixels is too large to draw")
            image.load()
    except (OSError, SyntaxError, PILImage.DecompressionBombError) as exc:
        raise ValueError(f"not a readable {fmt} image ({exc})") from None
    kind = {"sixel": SixelImage, "kitty": TGPImage, "blocks": HalfcellImage}[how]
    return kind(image.convert("RGB"), width=width, height="auto")


def show_figures(console: Console, result: ExecResult, workdir: Path, mode: str) -> int:
    """Draw the run's figures below its output; how many were drawn."""
    how = protocol(mode, console)
    if how is None:
        return 0
    drawn = 0
    width = max(10, min(WIDTH, console.width - 2))
    for path in figure_paths(result, workdir)[:MAX_FIGURES]:
        try:
            image = renderable(path, how, width)
            console.print(image)
        except Exception as exc:  # a figure never breaks the chat
            reason = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
            console.print(Text(f"  cannot draw {one_line(path.name)}: {one_line(reason)}",
                               style="yellow"))
            continue
        drawn += 1
    return drawn
