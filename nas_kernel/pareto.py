"""Pareto fronts, with Archai's rule: a unique point is on the front when no other unique point
is at least as good on every objective; of identical points only the first counts; failed (NaN)
points are never on the front. ``ParetoArchive`` keeps the front incrementally so the cost per
new point is proportional to the front, not to the history.
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np


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


def non_dominated_sorting(points: np.ndarray) -> List[List[int]]:
    """Split ``points`` into successive fronts (front 0 first); NaN rows form a last group."""
    remaining = [i for i in range(len(points)) if not np.isnan(points[i]).any()]
    failed = [i for i in range(len(points)) if np.isnan(points[i]).any()]
    fronts: List[List[int]] = []
    while remaining:
        sub = points[remaining]
        front_local = _front_with_duplicates(sub)
        front = [remaining[i] for i in front_local]
        fronts.append(front)
        chosen = set(front)
        remaining = [i for i in remaining if i not in chosen]
    if failed:
        fronts.append(failed)
    return fronts


def _front_with_duplicates(points: np.ndarray) -> List[int]:
    """Non-dominated rows, keeping every copy of a front point (sorting must place duplicates)."""
    keep = []
    for i, p in enumerate(points):
        dominated = np.all(points <= p, axis=1) & np.any(points < p, axis=1)
        if not dominated.any():
            keep.append(i)
    return keep


class ParetoArchive:
    """The current non-dominated set, updated one point at a time (minimisation)."""

    def __init__(self, num_objectives: int) -> None:
        self._points = np.zeros((0, num_objectives))
        self._indices: List[int] = []

    @property
    def indices(self) -> List[int]:
        return list(self._indices)

    def __len__(self) -> int:
        return len(self._indices)

    def add(self, index: int, point: Sequence[float]) -> bool:
        """Offer a point; returns whether it joined the front (dominated members are dropped)."""
        p = np.asarray(point, dtype=np.float64)
        if np.isnan(p).any():
            return False
        if len(self._indices):
            if np.all(self._points <= p, axis=1).any():  # dominated by, or equal to, a member
                return False
            survivors = ~np.all(p <= self._points, axis=1)
            self._points = self._points[survivors]
            self._indices = [i for i, keep in zip(self._indices, survivors) if keep]
        self._points = np.vstack([self._points, p[None, :]])
        self._indices.append(index)
        return True
