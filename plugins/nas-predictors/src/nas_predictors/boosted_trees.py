"""Gradient-boosted regression trees as surrogate, with an ensemble for the uncertainty.

Boosted trees rank NAS-Bench-201 architectures better than the MLP ensemble, the GP and the
random forest at every training-set size measured here (tests/benchmarks/predictors.py), the
finding of White et al., "How Powerful are Performance Predictors in Neural Architecture
Search?" (NeurIPS 2021), whose boosted-tree predictors are among the best with few hundred
training architectures. scikit-learn's ``GradientBoostingRegressor`` is used: scikit-learn is
already this distribution's dependency (no new native library, no OpenMP thread pool to pin on a
shared CPU), its exact splits suit the few hundred rows a search has, and its ``subsample``
(stochastic gradient boosting) makes members differ, so the spread of ``num_ensemble_members``
members fitted with different seeds is the variance acquisition functions need. XGBoost's CPU
package and LightGBM, fitted with the same trees, rank within about 0.01 Kendall tau of it on
NAS-Bench-201 (measured side by side, figures in docs/benchmarks.md): the encoding and the target
transform matter, the library does not.

The targets are fitted as normal scores of their ranks by default (``target_transform``, see
``nas_predictors.data.RankGauss``); each member's prediction is mapped back to the target's scale
before the mean and variance are taken, so acquisition functions see accuracies, not scores.
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np
from overrides import overrides

from nas_kernel import MeanVar, Predictor
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_predictors.data import TARGET_TRANSFORMS, check_x, check_xy, target_scaler


class BoostedTreesPredictor(Predictor):
    """``num_ensemble_members`` boosted models per target, each of ``n_estimators`` trees of depth
    ``max_depth`` with shrinkage ``learning_rate``, fitted on a random ``subsample`` of the rows
    per tree (seeded per member); ``min_samples_leaf`` smooths predictions on small training
    sets; ``max_features`` is the share of features each split considers. ``target_transform``:
    ``rank_gauss`` (default) or ``standardize`` (z-scores, the squared loss on the raw scale).
    The defaults were chosen on NAS-Bench-201 CIFAR-10. The mean over members is the
    prediction, their variance the uncertainty."""

    def __init__(self, num_ensemble_members: int = 5, n_estimators: int = 500, learning_rate: float = 0.02,
                 max_depth: int = 4, subsample: float = 0.7, min_samples_leaf: int = 3,
                 max_features: Optional[float] = 0.5, target_transform: str = "rank_gauss",
                 replace_nan_value: float = -1.0, seed: int = 1) -> None:
        self.num_ensemble_members = check_int("num_ensemble_members", num_ensemble_members, 1)
        self.n_estimators = check_int("n_estimators", n_estimators, 1)
        self.learning_rate = check_number("learning_rate", learning_rate, 0.0, 1.0, low_open=True)
        self.max_depth = check_int("max_depth", max_depth, 1)
        self.subsample = check_number("subsample", subsample, 0.0, 1.0, low_open=True)
        self.min_samples_leaf = check_int("min_samples_leaf", min_samples_leaf, 1)
        if max_features is not None:
            max_features = check_number("max_features", max_features, 0.0, 1.0, low_open=True)
        self.max_features = max_features
        self.target_transform = check_choice("target_transform", target_transform, TARGET_TRANSFORMS)
        self.replace_nan_value = float(replace_nan_value)
        self.seed = int(seed)
        self._members: Optional[List[list]] = None
        self._y_scale = None

    @overrides
    def fit(self, encoded_archs, y):
        from sklearn.ensemble import GradientBoostingRegressor

        x, y = check_xy(encoded_archs, y, self.replace_nan_value)
        self._y_scale = target_scaler(self.target_transform, y)
        ys = self._y_scale.forward(y)
        self._members = []
        for member in range(self.num_ensemble_members):
            per_target = []
            for t in range(ys.shape[1]):
                model = GradientBoostingRegressor(
                    n_estimators=self.n_estimators, learning_rate=self.learning_rate, max_depth=self.max_depth,
                    subsample=self.subsample, min_samples_leaf=self.min_samples_leaf,
                    max_features=self.max_features, random_state=self.seed * 1009 + member * 31 + t)
                per_target.append(model.fit(x, ys[:, t]))
            self._members.append(per_target)
        return self

    @overrides
    def predict(self, encoded_archs):
        if self._members is None:
            raise RuntimeError("BoostedTreesPredictor.predict called before fit")
        x = check_x(encoded_archs, self.replace_nan_value)
        # each member back on the target's scale, then their mean and spread
        out = np.stack([self._y_scale.back(np.stack([m.predict(x) for m in per_target], axis=1))
                        for per_target in self._members])
        return MeanVar(out.mean(axis=0), np.maximum(out.var(axis=0), 0.0))
