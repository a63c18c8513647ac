"""Input checks and scaling shared by every predictor: (N, F) encodings, (N, T) targets.

Rows whose target is NaN (a failed evaluation) carry no information and are dropped; NaN inside
encodings is replaced by a constant so a partially encoded architecture still gets a prediction.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np


def check_x(x, replace_nan_value: float = -1.0) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"encoded_archs must be 2-D (N, F), got shape {x.shape}")
    return np.where(np.isnan(x), replace_nan_value, x)


def check_xy(x, y, replace_nan_value: float = -1.0) -> Tuple[np.ndarray, np.ndarray]:
    """Validated (X, Y) with Y 2-D and rows with any NaN target removed."""
    x = check_x(x, replace_nan_value)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or len(y) != len(x):
        raise ValueError(f"y must be (N,) or (N, T) with N = {len(x)} rows like encoded_archs, got shape {y.shape}")
    keep = ~np.isnan(y).any(axis=1)
    x, y = x[keep], y[keep]
    if len(x) < 2:
        raise ValueError(f"need at least 2 rows with finite targets to fit, got {len(x)}")
    return x, y


class Standardizer:
    """Z-scores columns; constant columns get scale 1 so they pass through unchanged."""

    def __init__(self, data: np.ndarray) -> None:
        self.mean = data.mean(axis=0)
        std = data.std(axis=0)
        self.std = np.where(std > 1e-12, std, 1.0)

    def forward(self, data: np.ndarray) -> np.ndarray:
        return (data - self.mean) / self.std

    def mean_back(self, data: np.ndarray) -> np.ndarray:
        return data * self.std + self.mean

    def var_back(self, var: np.ndarray) -> np.ndarray:
        return var * self.std ** 2

