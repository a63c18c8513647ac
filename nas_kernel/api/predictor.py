"""Predictor contract: a surrogate of expensive objectives from architecture encodings."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from overrides import EnforceOverrides

from nas_kernel.api.overridable import OpenOverrides, abstract

__all__ = ["MeanVar", "Predictor"]


class MeanVar(NamedTuple):
    """Predicted mean and variance, each an array of shape (N, T)."""

    mean: np.ndarray
    var: np.ndarray


class Predictor(OpenOverrides, EnforceOverrides):
    """Fits (N, F) encodings to (N, T) targets; predicts mean and variance per target."""

    @abstract
    def fit(self, encoded_archs: np.ndarray, y: np.ndarray):
        """Train on encodings ``(N, F)`` and targets ``(N, T)`` (a 1-D ``y`` is one target)."""

    @abstract
    def predict(self, encoded_archs: np.ndarray):
        """Return ``MeanVar`` with arrays of shape ``(N, T)``."""
