"""Surrogate models (``Predictor``) for predictor-guided searchers. Classes load on first use,
so importing the package does not import torch or scikit-learn."""
from importlib import import_module

_LAZY = {
    "PredictiveDNNEnsemble": "nas_predictors.mlp_ensemble",
    "GaussianProcessPredictor": "nas_predictors.gaussian_process",
    "RandomForestPredictor": "nas_predictors.random_forest",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nas_predictors' has no attribute {name!r}")
