"""The rules an objective or constraint declaration obeys, each checked by one function.

``SearchObjectives`` (code) and the experiment file's reader (YAML) declare objectives the same
way, so both call these functions and a broken rule reads the same from either side: the file
reader puts the key path in front (``objectives[1].constraint``), the Python API the entry's name
(``objective 'size'``). Kept import-free so the reader checks a file before anything is built.
"""
from __future__ import annotations

import numbers
from typing import Any, Mapping, Optional, Tuple

from nas_kernel.api.columns import RESERVED_COLUMNS

__all__ = ["ObjectiveRuleError", "check_constraint_is_cheap", "check_constraint_range", "check_objective_name"]


class ObjectiveRuleError(ValueError):
    """A declaration broke a rule; ``field`` is the entry's field at fault (``name`` or
    ``constraint``), which the file reader appends to the entry's key path."""

    def __init__(self, message: str, *, field: str) -> None:
        self.field = field
        super().__init__(message)


def check_objective_name(name: Any, taken: Mapping[str, str]) -> str:
    """``name`` is non-empty text, not a column the results table uses itself, and not in
    ``taken`` (name -> where the earlier entry was declared, said in the message)."""
    if not isinstance(name, str) or not name:
        raise ObjectiveRuleError(f"expected the name as non-empty text, got {name!r}", field="name")
    if name in RESERVED_COLUMNS:
        raise ObjectiveRuleError(f"{name!r} is a column the results table uses itself; choose another name "
                                 f"(reserved: {', '.join(RESERVED_COLUMNS)})", field="name")
    if name in taken:
        raise ObjectiveRuleError(f"name {name!r} is already used by {taken[name]}", field="name")
    return name


def check_constraint_range(constraint: Any, *, required: bool = False) -> Optional[Tuple[float, float]]:
    """A constraint is ``[low, high]``: two real numbers (not NaN), low not above high; the
    inclusive range as floats (None when absent and not ``required``)."""
    if constraint is None:
        if required:
            raise ObjectiveRuleError("missing; expected [low, high]", field="constraint")
        return None
    values = constraint.tolist() if hasattr(constraint, "tolist") else constraint  # a numpy pair too
    pair = isinstance(values, (list, tuple)) and len(values) == 2
    if not pair or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        raise ObjectiveRuleError(f"expected [low, high] numbers, got {constraint!r}", field="constraint")
    low, high = values
    if low != low or high != high:  # NaN compares unequal to itself
        raise ObjectiveRuleError(f"bounds must be numbers, got {constraint!r} (NaN)", field="constraint")
    if low > high:
        raise ObjectiveRuleError(f"low {low} is above high {high}", field="constraint")
    return (float(low), float(high))


def check_constraint_is_cheap(constraint: Any, compute_intensive: Any) -> None:
    """Only a cheap objective carries a constraint: constraints are checked before expensive work."""
    if constraint is not None and compute_intensive:
        raise ObjectiveRuleError("a constraint needs a cheap objective (compute_intensive: false): constraints "
                                 "are checked before expensive evaluations", field="constraint")
