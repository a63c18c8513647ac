"""A parameter's value against its factory's plain annotation (int, float, bool, str, list,
dict, Optional or Union of those), so ``size: "big"`` is refused naming the key before any
factory runs. Other annotations (a contract, a Literal, a class) are left to the factory."""
from __future__ import annotations

import inspect
import typing
from typing import Any, Dict, Optional, Tuple

from nas_kernel.experiment.errors import ConfigError, describe

__all__ = ["check_type", "type_hints"]


def type_hints(factory: Any) -> Dict[str, Any]:
    """The annotations of a factory's parameters (of ``__init__`` for a class); none when unreadable."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        return typing.get_type_hints(target)
    except Exception:
        return {}


def check_type(value: Any, hint: Any, key: str, source: str) -> None:
    """A ``ConfigError`` naming ``key``, what ``hint`` expects and what ``value`` is, when they differ."""
    if hint is None:
        return
    allowed = _plain_types(hint)
    if allowed is None:
        return
    if value is None and type(None) in allowed:
        return
    ok = False
    for t in allowed:
        if t is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            ok = True
        elif t is int and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        elif t is bool and isinstance(value, bool):
            ok = True
        elif t in (str, list, dict, tuple) and isinstance(value, list if t is tuple else t):
            ok = True
    if not ok:
        names = " or ".join("null" if t is type(None) else ("list" if t is tuple else t.__name__) for t in allowed)
        raise ConfigError(f"expected {names}, got {describe(value)} {value!r}", source=source, key=key)


def _plain_types(hint: Any) -> Optional[Tuple[type, ...]]:
    simple = (int, float, bool, str, list, dict, tuple, type(None))
    origin = typing.get_origin(hint)
    if origin is typing.Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        parts = []
        for arg in typing.get_args(hint):
            sub = _plain_types(arg)
            if sub is None:
                return None
            parts.extend(sub)
        return tuple(parts)
    if origin in (list, dict, tuple):
        return (origin,)
    if hint in simple:
        return (hint,)
    return None
