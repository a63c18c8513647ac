"""HiveNAS's momentum score of a candidate's per-epoch validation accuracies, defined once: the
bee colony's momentum phase ranks candidates by it, and ``nas results show`` and
``evaluations.yaml`` show it next to each training evaluation. Importing this module imports
nothing."""
from __future__ import annotations

import math
from typing import List, Optional, Sequence

__all__ = ["momentum_record", "momentum_score"]


def momentum_record(history: Optional[Sequence[float]]) -> List[float]:
    """HiveNAS's per-epoch record of validation accuracies ``history``: the first two entries are
    the accuracies, every later one the ratio of successive gains (0 when the previous gain was 0)."""
    values = [float(v) for v in history or []]
    record: List[float] = []
    for i, acc in enumerate(values):
        if i < 2:
            record.append(acc)
            continue
        previous_gain = values[i - 1] - values[i - 2]
        record.append(0.0 if previous_gain == 0 else (acc - values[i - 1]) / previous_gain)
    return record


def momentum_score(history: Optional[Sequence[float]], fallback: float) -> float:
    """Mean of the per-epoch record (``momentum_record``). Without a history, ``fallback``."""
    if not history:
        return fallback
    record = momentum_record(history)
    score = sum(record) / len(record)
    return score if math.isfinite(score) else 0.0
