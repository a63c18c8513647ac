"""One way to turn Python and numpy values into what JSON can carry, for everything the kernel
and the plugins write or print as JSON (store columns, ``nas components --json``, dashboards)."""
from __future__ import annotations

import json
from typing import Any, Callable

__all__ = ["plain", "json_items"]


def plain(value: Any, fallback: Callable[[Any], Any] = str) -> Any:
    """``value`` with tuples as lists, mapping keys as text, numpy scalars and 0-d arrays as
    numbers; anything else becomes ``fallback(value)`` (``str``; ``repr`` to show code-like
    defaults). Usable as ``json.dumps(..., default=plain)``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v, fallback) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, fallback) for v in value]
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalars and one-element arrays
        try:
            return plain(item(), fallback)
        except (TypeError, ValueError):
            pass
    return fallback(value)


def json_items(mapping: dict) -> dict:
    """The entries of ``mapping`` that JSON can store as they are (others are left out)."""
    kept = {}
    for key, value in mapping.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        kept[str(key)] = value
    return kept
