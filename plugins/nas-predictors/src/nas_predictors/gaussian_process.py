"""Exact Gaussian-process regression on architecture encodings, one GP per target.

The kernel (amplitude x Matern-5/2 with one length scale per feature, plus white noise) is
learned by maximising the marginal likelihood, so the encoding's irrelevant positions get long
length scales. Exact GPs cost O(N^3): fine for the few hundred points a search evaluates.
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np
from overrides import overrides

from nas_kernel import MeanVar, Predictor
from nas_kernel.toolbox.params import check_int
from nas_predictors.data import Standardizer, check_x, check_xy


class GaussianProcessPredictor(Predictor):
    """``ard``: one length scale per feature (many more hyperparameters: slower, and only worth it
    on encodings with irrelevant positions); ``n_restarts_optimizer``: extra random starts of the
    kernel fit (seeded); ``max_optimizer_iters`` bounds each fit of the kernel (L-BFGS-B steps),
    which keeps the cost predictable."""

    def __init__(self, ard: bool = False, nu: float = 2.5, n_restarts_optimizer: int = 0,
                 max_optimizer_iters: int = 50, replace_nan_value: float = -1.0, seed: int = 1) -> None:
        if nu not in (0.5, 1.5, 2.5):
            raise ValueError(f"nu must be 0.5, 1.5 or 2.5, got {nu!r}")
        self.ard = bool(ard)
        self.nu = float(nu)
        self.n_restarts_optimizer = check_int("n_restarts_optimizer", n_restarts_optimizer, 0)
        self.max_optimizer_iters = check_int("max_optimizer_iters", max_optimizer_iters, 1)
        self.replace_nan_value = float(replace_nan_value)
        self.seed = seed
        self._models: Optional[List] = None
        self._y_scale: Optional[Standardizer] = None

    def _kernel(self, num_features: int):
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        scale = np.ones(num_features) if self.ard else 1.0
        return (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(scale, (1e-2, 1e3), nu=self.nu)
                + WhiteKernel(0.1, (1e-6, 1e1)))

    def _optimizer(self, objective, initial_theta, bounds):
        """L-BFGS-B on the negative log marginal likelihood, at most ``max_optimizer_iters`` steps."""
        from scipy.optimize import minimize

        result = minimize(objective, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds,
                          options={"maxiter": self.max_optimizer_iters})
        return result.x, result.fun

    @overrides
    def fit(self, encoded_archs, y):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor

        x, y = check_xy(encoded_archs, y, self.replace_nan_value)
        self._y_scale = Standardizer(y)
        ys = self._y_scale.forward(y)
        self._models = []
        for t in range(ys.shape[1]):
            gp = GaussianProcessRegressor(self._kernel(x.shape[1]), normalize_y=False,
                                          n_restarts_optimizer=self.n_restarts_optimizer,
                                          optimizer=self._optimizer,
                                          random_state=int(self.seed) + t)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gp.fit(x, ys[:, t])
            self._models.append(gp)
        return self

    @overrides
    def predict(self, encoded_archs):
        if self._models is None:
            raise RuntimeError("GaussianProcessPredictor.predict called before fit")
        x = check_x(encoded_archs, self.replace_nan_value)
        means, variances = [], []
        for gp in self._models:
            mean, std = gp.predict(x, return_std=True)
            means.append(mean)
            variances.append(std ** 2)
        mean = self._y_scale.mean_back(np.stack(means, axis=1))
        var = self._y_scale.var_back(np.stack(variances, axis=1))
        return MeanVar(mean, np.maximum(var, 0.0))
