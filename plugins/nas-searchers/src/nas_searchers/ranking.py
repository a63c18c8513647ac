"""Orders of evaluated models for the searchers, on the kernel's vectorised front ranks."""
from __future__ import annotations

import random
from typing import List, Optional

import numpy as np

from nas_kernel.pareto import front_ranks, pareto_front_indices


def ranked_indices(points: np.ndarray, rng: Optional[random.Random] = None,
                   exclude_failed: bool = True) -> List[int]:
    """Indices best first: by front, ties shuffled with ``rng`` (or kept in order without one)."""
    ranks = front_ranks(points)
    failed = np.isnan(points).any(axis=1) if len(points) else np.zeros(0, dtype=bool)
    keys = list(range(len(points)))
    if rng is not None:
        rng.shuffle(keys)
    order = sorted(keys, key=lambda i: ranks[i])
    if exclude_failed:
        order = [i for i in order if not failed[i]]
    return order


def pareto_indices(points: np.ndarray) -> List[int]:
    """Indices of the Pareto front, in their original order: the kernel's one definition
    (``nas_kernel.pareto.pareto_front_indices``: of identical points only the first counts)."""
    return pareto_front_indices(points)
