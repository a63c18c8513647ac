"""The Pareto front, defined once for the kernel and every plugin, with Archai's rule: a unique
point is on the front when no other unique point is at least as good on every objective; of
identical points only the first (lowest index) counts; failed (NaN) points are never on the
front. ``pareto_front_indices`` and ``ParetoArchive`` (which keeps the front incrementally, so the
cost per new point is proportional to the front, not to the history) both follow it.

``front_ranks`` / ``non_dominated_sorting`` rank for selection, not for the front: identical
rows share a rank there, so rank 0 is the front plus the later copies of its points.
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

__all__ = ["to_minimization", "pareto_front_indices", "front_ranks", "non_dominated_sorting", "ParetoArchive"]


def to_minimization(values: Dict[str, Sequence[float]], higher_is_better: Dict[str, bool]) -> np.ndarray:
    """Stack objective columns into an (N, K) array where smaller is better on every column."""
    columns = []
    for name, hib in higher_is_better.items():
        col = np.asarray(values[name], dtype=np.float64)
        columns.append(-col if hib else col)
    if not columns:
        return np.zeros((0, 0))
    return np.stack(columns, axis=1)


def pareto_front_indices(points: np.ndarray) -> List[int]:
    """Indices (ascending) of the front of ``points`` (N, K), minimising every column."""
    archive = ParetoArchive(points.shape[1] if points.ndim == 2 else 0)
    for i, p in enumerate(points):
        archive.add(i, p)
    return sorted(archive.indices)


def front_ranks(points: np.ndarray) -> np.ndarray:
    """Front number of each row of ``points`` (N, K), minimising every column: 0 for the
    non-dominated rows (identical rows share a front), then 1, 2, ...; rows with NaN (failed
    evaluations) come last. Vectorised: searchers rank their whole history every iteration."""
    n = len(points)
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    failed = np.isnan(points).any(axis=1)
    ok = np.nonzero(~failed)[0]
    if points.shape[1] == 1:
        _, inverse = np.unique(points[ok, 0], return_inverse=True)
        ranks[ok] = inverse
    elif len(ok):
        p = points[ok]
        leq = np.all(p[:, None, :] <= p[None, :, :], axis=2)
        lt = np.any(p[:, None, :] < p[None, :, :], axis=2)
        dominates = leq & lt  # dominates[i, j]: row i dominates row j
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


def non_dominated_sorting(points: np.ndarray) -> List[List[int]]:
    """Split ``points`` into successive fronts (front 0 first); NaN rows form a last group."""
    ranks = front_ranks(points)
    return [np.nonzero(ranks == r)[0].tolist() for r in range(int(ranks.max()) + 1)] if len(points) else []


class ParetoArchive:
    """The current non-dominated set, updated one point at a time (minimisation).

    Points live in a preallocated array that doubles when full, so adding costs one vectorised
    pass over the front, however long the history."""

    def __init__(self, num_objectives: int) -> None:
        self._points = np.empty((16, num_objectives))
        self._ids = np.empty(16, dtype=np.int64)
        self._size = 0

    @property
    def indices(self) -> List[int]:
        return self._ids[: self._size].tolist()

    def __len__(self) -> int:
        return self._size

    def add(self, index: int, point: Sequence[float]) -> bool:
        """Offer a point; returns whether it joined the front (dominated members are dropped)."""
        p = np.asarray(point, dtype=np.float64)
        if np.isnan(p).any():
            return False
        n = self._size
        if n:
            front = self._points[:n]
            if (front <= p).all(axis=1).any():  # dominated by, or equal to, a member
                return False
            beaten = (p <= front).all(axis=1)
            if beaten.any():
                keep = ~beaten
                n = int(keep.sum())
                self._points[:n] = front[keep]
                self._ids[:n] = self._ids[: self._size][keep]
        if n == len(self._ids):
            self._points = np.concatenate([self._points, np.empty_like(self._points)])
            self._ids = np.concatenate([self._ids, np.empty_like(self._ids)])
        self._points[n] = p
        self._ids[n] = index
        self._size = n + 1
        return True
