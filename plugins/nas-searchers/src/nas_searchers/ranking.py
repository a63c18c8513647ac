"""Non-dominated ranking of evaluated models, vectorised: a searcher ranks its whole history
every iteration, so the cost must stay small for thousands of points."""
from __future__ import annotations

import random
from typing import Dict, List, Optional, Sequence

import numpy as np

from nas_kernel.pareto import to_minimization


def minimisation_points(values: Dict[str, Sequence[float]], higher_is_better: Dict[str, bool]) -> np.ndarray:
    """(N, K) array, smaller is better in every column, NaN where an evaluation failed."""
    return to_minimization(values, higher_is_better)


def front_numbers(points: np.ndarray) -> np.ndarray:
    """Front index of each row (0 = non-dominated); rows with NaN get the last index + 1."""
    n = len(points)
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    failed = np.isnan(points).any(axis=1)
    ok = np.nonzero(~failed)[0]
    if points.shape[1] == 1:
        col = points[ok, 0]
        _, inverse = np.unique(col, return_inverse=True)
        ranks[ok] = inverse
    elif len(ok):
        p = points[ok]
        leq = np.all(p[:, None, :] <= p[None, :, :], axis=2)
        lt = np.any(p[:, None, :] < p[None, :, :], axis=2)
        dominates = leq & lt  # dominates[i, j]: i dominates j
        count = dominates.sum(axis=0)
        remaining = np.ones(len(ok), dtype=bool)
        front = 0
        while remaining.any():
            current = remaining & (count == 0)
            ranks[ok[current]] = front
            remaining &= ~current
            count = count - dominates[current].sum(axis=0)
            front += 1
    ranks[failed] = (ranks.max() + 1) if len(ok) else 0
    return ranks


def ranked_indices(points: np.ndarray, rng: Optional[random.Random] = None,
                   exclude_failed: bool = True) -> List[int]:
    """Indices best first: by front, ties shuffled with ``rng`` (or kept in order without one)."""
    ranks = front_numbers(points)
    failed = np.isnan(points).any(axis=1) if len(points) else np.zeros(0, dtype=bool)
    keys = list(range(len(points)))
    if rng is not None:
        rng.shuffle(keys)
    order = sorted(keys, key=lambda i: ranks[i])
    if exclude_failed:
        order = [i for i in order if not failed[i]]
    return order


def pareto_indices(points: np.ndarray) -> List[int]:
    """Indices of the non-dominated, non-failed rows, in their original order."""
    ranks = front_numbers(points)
    failed = np.isnan(points).any(axis=1) if len(points) else np.zeros(0, dtype=bool)
    return [i for i in range(len(points)) if ranks[i] == 0 and not failed[i]]
