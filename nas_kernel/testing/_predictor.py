"""Checks for predictors, on a small seeded regression problem the kit makes itself: 24
encodings of 5 features, two targets (a linear mix plus noise). A predictor that reads only
encodings of a certain layout (graphs, say) is given its own with ``with_inputs(predictor,
data=(X, y, X_new))``."""
from __future__ import annotations

from typing import Callable, List

import numpy as np

from nas_kernel.api import MeanVar, Predictor
from nas_kernel.testing._naming import name_of, rebuild
from nas_kernel.testing._results import fail


def regression_data(n: int = 24, features: int = 5, targets: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, features))
    y = x @ rng.normal(size=(features, targets)) + 0.01 * rng.normal(size=(n, targets))
    return x, y, rng.random((7, features))


def _predict(predictor, x, y, x_new):
    predictor.fit(x, y)
    out = predictor.predict(x_new)
    if not isinstance(out, MeanVar):
        fail(f"{name_of(predictor)}.predict should return MeanVar(mean, var), got {type(out).__name__}")
    return out


def _data(data):
    """``(X, y, X_new)`` as arrays: the given ones, or the kit's regression problem."""
    if data is None:
        return regression_data()
    if not isinstance(data, (tuple, list)) or len(data) != 3:
        raise TypeError(f"data must be (X, y, X_new), got {type(data).__name__}")
    return tuple(np.asarray(part) for part in data)


def check_predict_returns_meanvar_shapes(predictor, data=None):
    x, y, x_new = _data(data)
    for targets in ((y, y[:, 0]) if y.ndim == 2 else (y,)):
        out = _predict(predictor, x, targets, x_new)
        wanted = (len(x_new), 1 if targets.ndim == 1 else targets.shape[1])
        for field in ("mean", "var"):
            value = np.asarray(getattr(out, field))
            if value.shape != wanted:
                fail(f"{name_of(predictor)}.predict after fit(X {x.shape}, y {targets.shape}) gave {field} of shape "
                     f"{value.shape}; expected {wanted} (N rows, one column per target; a 1-D y is one target)")


def check_predict_variance_is_non_negative(predictor, data=None):
    out = _predict(predictor, *_data(data))
    var, mean = np.asarray(out.var, dtype=float), np.asarray(out.mean, dtype=float)
    if not np.all(np.isfinite(mean)):
        fail(f"{name_of(predictor)}.predict gave non-finite means {mean.ravel()[:6]}")
    if not np.all(np.isfinite(var)) or np.any(var < 0):
        fail(f"{name_of(predictor)}.predict gave variances {var.ravel()[:6]}; expected finite values >= 0")


def check_same_seed_same_predictions(predictor, data=None):
    data = _data(data)
    a = _predict(rebuild(predictor), *data)
    b = _predict(rebuild(predictor), *data)
    for field in ("mean", "var"):
        left, right = np.asarray(getattr(a, field), float), np.asarray(getattr(b, field), float)
        if left.shape != right.shape or not np.allclose(left, right, rtol=1e-6, atol=1e-9, equal_nan=True):
            fail(f"two {name_of(predictor)} built with the same parameters (same seed) and fitted on the same data "
                 f"predicted different {field}s ({left.ravel()[:3]} vs {right.ravel()[:3]}); draw every random "
                 "choice from a generator seeded by the constructor's seed")


def predictor_checks(predictor) -> List[Callable[..., None]]:
    if not isinstance(predictor, Predictor):
        return []
    return [check_predict_returns_meanvar_shapes, check_predict_variance_is_non_negative,
            check_same_seed_same_predictions]
