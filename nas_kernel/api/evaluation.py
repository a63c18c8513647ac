"""One evaluation's outcome and its cache key, shared by the objectives, the store and the loop."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ["Evaluation", "outcome", "budget_key", "normalize_budget"]


def budget_key(budget: Any) -> str:
    """Canonical text of a budget, so 1, 1.0 and numpy 1.0 are one cache entry; '' is no budget."""
    if budget is None:
        return ""
    if isinstance(budget, bool):
        raise ValueError(f"budget must be a number or None, got {budget!r}")
    try:
        return repr(float(budget))
    except (TypeError, ValueError):
        raise ValueError(f"budget must be a number or None, got {budget!r}") from None


def normalize_budget(budget: Any) -> Optional[float]:
    return None if budget is None else float(budget_key(budget))


@dataclass
class Evaluation:
    """What happened when one objective was computed for one (archid, budget)."""

    value: Optional[float]
    status: str = "ok"  # "ok" or "failed"
    error: Optional[str] = None
    seconds: float = 0.0
    metadata: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def number(self) -> float:
        """The value as a float, NaN when the evaluation failed."""
        return float(self.value) if self.ok and self.value is not None else math.nan


def outcome(value: Any, seconds: float, metadata: Optional[dict] = None) -> Evaluation:
    """Classify an evaluator's return value: a finite-or-infinite float is ok; None/NaN/junk failed."""
    meta = dict(metadata or {})
    if value is None:
        return Evaluation(None, "failed", "evaluator returned None (job failed)", seconds, meta)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return Evaluation(None, "failed", f"evaluator returned {type(value).__name__} {value!r}, not a number", seconds, meta)
    if math.isnan(number):
        return Evaluation(None, "failed", "evaluator returned NaN", seconds, meta)
    return Evaluation(number, "ok", None, seconds, meta)
