"""A random forest as surrogate: the mean over trees is the prediction, the variance across
trees the uncertainty. Cheap to fit, needs no scaling, handles several targets in one forest."""
from __future__ import annotations

from typing import Optional

import numpy as np
from overrides import overrides

from nas_kernel import MeanVar, Predictor
from nas_kernel.toolbox.params import check_int
from nas_predictors.data import check_x, check_xy


class RandomForestPredictor(Predictor):
    """``n_estimators`` trees; ``max_features`` as in scikit-learn (fraction, "sqrt" or None = all);
    ``min_samples_leaf`` > 1 smooths predictions on small training sets."""

    def __init__(self, n_estimators: int = 100, max_features: Optional[float] = 0.5, min_samples_leaf: int = 1,
                 replace_nan_value: float = -1.0, seed: int = 1) -> None:
        self.n_estimators = check_int("n_estimators", n_estimators, 2)
        if max_features is not None and max_features not in ("sqrt", "log2") and not (
                isinstance(max_features, (int, float)) and 0 < max_features <= 1):
            raise ValueError(f"max_features must be a fraction in (0, 1], 'sqrt', 'log2' or None, got {max_features!r}")
        self.max_features = max_features
        self.min_samples_leaf = check_int("min_samples_leaf", min_samples_leaf, 1)
        self.replace_nan_value = float(replace_nan_value)
        self.seed = seed
        self._forest = None
        self._targets = 0

    @overrides
    def fit(self, encoded_archs, y):
        from sklearn.ensemble import RandomForestRegressor

        x, y = check_xy(encoded_archs, y, self.replace_nan_value)
        max_features = 1.0 if self.max_features is None else self.max_features
        self._forest = RandomForestRegressor(n_estimators=self.n_estimators, max_features=max_features,
                                             min_samples_leaf=self.min_samples_leaf, random_state=int(self.seed),
                                             n_jobs=1)
        self._forest.fit(x, y[:, 0] if y.shape[1] == 1 else y)
        self._targets = y.shape[1]
        return self

    @overrides
    def predict(self, encoded_archs):
        if self._forest is None:
            raise RuntimeError("RandomForestPredictor.predict called before fit")
        x = check_x(encoded_archs, self.replace_nan_value)
        per_tree = np.stack([tree.predict(x).reshape(len(x), self._targets)
                             for tree in self._forest.estimators_])  # (trees, N, T)
        return MeanVar(per_tree.mean(axis=0), per_tree.var(axis=0))
