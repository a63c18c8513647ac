"""Seeded splitting and the per-channel statistics the loaders standardise with."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np


def check_fraction(value: float, name: str, *, allow_zero: bool = True) -> float:
    value = float(value)
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        bound = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(f"{name} must be in {bound}, got {value}")
    return value


def split_indices(n: int, fractions: Tuple[float, ...], seed: int) -> Tuple[np.ndarray, ...]:
    """Shuffle ``range(n)`` with ``seed`` and cut off one part per fraction; the rest comes first.

    Returns ``(rest, part_1, part_2, ...)``; every part gets at least one sample when its
    fraction is positive, so tiny datasets still have a non-empty validation split.
    """
    order = np.random.default_rng(seed).permutation(n)
    sizes = [max(1, int(round(f * n))) if f > 0 else 0 for f in fractions]
    if sum(sizes) >= n:
        raise ValueError(f"fractions {fractions} leave no training samples out of {n}")
    parts, start = [], n - sum(sizes)
    for size in sizes:
        parts.append(np.sort(order[start:start + size]))
        start += size
    return (np.sort(order[: n - sum(sizes)]),) + tuple(parts)


def channel_stats(X: np.ndarray, rows: Optional[np.ndarray] = None,
                  chunk: int = 4096) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and std per channel (axis 1) of ``X`` shaped ``(N, C, ...)`` (only ``rows`` of it when
    given); std never zero. Read ``chunk`` samples at a time, so a memory-mapped file is never
    converted whole."""
    axes = (0,) + tuple(range(2, X.ndim))
    picked = np.arange(len(X)) if rows is None else np.sort(np.asarray(rows, dtype=np.int64))
    count = len(picked) * int(np.prod(X.shape[2:], dtype=np.int64))
    total = np.zeros(X.shape[1], dtype=np.float64)
    for start in range(0, len(picked), chunk):
        total += _part(X, picked, start, chunk).sum(axis=axes)
    mean = total / count
    spread = np.zeros_like(total)
    centre = mean.reshape((1, -1) + (1,) * (X.ndim - 2))
    for start in range(0, len(picked), chunk):
        spread += ((_part(X, picked, start, chunk) - centre) ** 2).sum(axis=axes)
    std = np.sqrt(spread / count)
    std[std < 1e-8] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def _part(X: np.ndarray, picked: np.ndarray, start: int, chunk: int) -> np.ndarray:
    sel = picked[start:start + chunk]
    if len(sel) and sel[-1] - sel[0] == len(sel) - 1:  # a contiguous run: a slice, no index copy
        return np.asarray(X[sel[0]:sel[-1] + 1], dtype=np.float64)
    return np.asarray(X[sel], dtype=np.float64)


def make_splits(X: np.ndarray, y: np.ndarray, *, val_fraction: float, seed: int, test_fraction: float = 0.0,
                test=None, max_train=None) -> dict:
    """Keyword arguments for ``ArrayDataset``: a seeded train/val(/test) split of ``(X, y)``.

    ``test`` (an ``(X, y)`` pair, e.g. an official test set) is used as is; otherwise
    ``test_fraction`` of the samples are held out. ``max_train`` keeps only the first that many
    training samples (after shuffling), for quick CPU runs. Statistics come from the training
    part only, so nothing about validation or test leaks into the inputs.
    """
    check_fraction(val_fraction, "val_fraction", allow_zero=False)
    check_fraction(test_fraction, "test_fraction")
    if test is not None and test_fraction:
        raise ValueError("test_fraction must be 0 when the dataset has its own test set")
    if max_train is not None and int(max_train) < 1:
        raise ValueError(f"max_train must be a positive integer or None, got {max_train}")
    fractions = (val_fraction,) if test is not None else (val_fraction, test_fraction)
    parts = split_indices(len(y), fractions, seed)
    train_idx = parts[0]
    if max_train is not None:
        order = np.random.default_rng(seed + 1).permutation(train_idx)
        train_idx = np.sort(order[: int(max_train)])
    mean, std = channel_stats(X[train_idx])
    if test is None and len(parts) > 2 and len(parts[2]):
        test = (X[parts[2]], y[parts[2]])
    return {"train": (X[train_idx], y[train_idx]), "val": (X[parts[1]], y[parts[1]]), "test": test,
            "mean": mean, "std": std}
