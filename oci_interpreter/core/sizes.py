"""Human-readable byte sizes: ``"512M"`` <-> 536870912 (binary units)."""

from __future__ import annotations

import re

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": KiB, "m": MiB, "g": GiB, "t": 1024 * GiB}


def parse_size(text: str | int) -> int | None:
    """``"512M"``, ``"1G"``, ``"1.5GiB"``, ``"65536"`` -> bytes; None when not a size > 0."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if text > 0 else None
    match = _SIZE.match(str(text))
    if not match:
        return None
    value = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    return value if value > 0 else None


def format_size(value: int) -> str:
    """Bytes as a short string: ``512 B``, ``1.5 KiB``, ``256.0 MiB``, ``1.0 GiB``."""
    size = float(value)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def format_decimal(value: float) -> str:
    """Bytes in decimal units, as model files are published: ``491.40 MB``, ``1.12 GB``."""
    n = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.2f} TB"  # pragma: no cover
