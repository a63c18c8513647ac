"""HiveNAS's momentum evaluation (ME): extra training epochs go to the candidates whose
accuracy was still rising fastest, in proportion to that momentum."""
from __future__ import annotations

import math
import random
from typing import Dict, List, Optional, Sequence


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


def allocate_epochs(scores: Dict[str, float], epochs: Dict[str, float], pool: int, rng: random.Random
                    ) -> Dict[str, int]:
    """Draw ``pool`` epochs with replacement, probability proportional to max(score, 0) / epochs
    already granted (negative momentum gets nothing, HiveNAS's invalid-probability defect).
    Returns archid -> extra epochs, only for archids that got some; empty if all scores are 0."""
    ids = list(scores)
    weights = [max(0.0, scores[a]) / max(epochs[a], 1e-9) for a in ids]
    if not ids or sum(weights) <= 0:
        return {}
    granted: Dict[str, int] = {}
    for archid in rng.choices(ids, weights=weights, k=pool):
        granted[archid] = granted.get(archid, 0) + 1
    return {a: granted[a] for a in ids if a in granted}
