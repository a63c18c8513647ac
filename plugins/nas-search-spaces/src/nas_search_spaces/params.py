"""Argument checks shared by the spaces' constructors: a bad value raises ValueError naming the
parameter (sklearn's rule), so a wrong experiment file fails with a clear message."""
from __future__ import annotations

from typing import Any, List, Sequence

from nas_kernel.toolbox.params import check_int


def check_int_list(name: str, values: Any, minimum: int = 1) -> List[int]:
    """A non-empty list of distinct integers, kept in the given order."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{name} must be a non-empty list of integers, got {values!r}")
    checked = [check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(values)]
    if len(set(checked)) != len(checked):
        raise ValueError(f"{name} has repeated values: {checked}")
    return checked


def check_size(name: str, value: Any) -> tuple:
    """An image size: one positive int (square) or a pair (height, width)."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a [height, width] pair, got {value!r}")
        return check_int(f"{name}[0]", value[0], 1), check_int(f"{name}[1]", value[1], 1)
    size = check_int(name, value, 1)
    return size, size
