"""HiveNAS's momentum evaluation (ME): extra training epochs go to the candidates whose
accuracy was still rising fastest, in proportion to that momentum."""
from __future__ import annotations

import random
from typing import Dict

from nas_kernel.toolbox.momentum import momentum_record, momentum_score  # noqa: F401  (the score is defined once, in the kernel)


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
