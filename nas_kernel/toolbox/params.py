"""Argument checks for component factories. A factory validates its parameters and raises
``ValueError`` naming the bad one (the plugin convention), which ``nas search`` turns into one
exit-2 line naming the experiment key; these checks keep the wording the same everywhere."""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Sequence

__all__ = ["check_int", "check_number", "check_choice"]


def check_int(name: str, value: Any, minimum: Optional[int] = None, maximum: Optional[int] = None) -> int:
    """``value`` as an int within ``[minimum, maximum]`` (either bound may be None); bools refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    _check_bounds(name, value, minimum, maximum, low_open=False)
    return value


def check_number(name: str, value: Any, minimum: Optional[float] = None, maximum: Optional[float] = None,
                 *, low_open: bool = False, allow_infinite: bool = False) -> float:
    """``value`` as a float within the bounds (``low_open``: above ``minimum``); NaN is never a
    number, and an infinite value (YAML ``.inf``) only where ``allow_infinite`` says it means
    something: elsewhere it would pass the bounds and break a computation later."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if math.isinf(value) and not allow_infinite:
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    _check_bounds(name, value, minimum, maximum, low_open=low_open)
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _check_bounds(name: str, value: float, minimum, maximum, *, low_open: bool) -> None:
    if minimum is not None and (value < minimum or (low_open and value == minimum)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
