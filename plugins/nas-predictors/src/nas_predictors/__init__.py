"""Surrogate models (``Predictor``) for predictor-guided searchers. Classes load on first use,
so importing the package does not import torch or scikit-learn."""
from nas_kernel.toolbox.lazy import lazy_exports

_LAZY = {
    "PredictiveDNNEnsemble": "nas_predictors.mlp_ensemble",
    "GaussianProcessPredictor": "nas_predictors.gaussian_process",
    "RandomForestPredictor": "nas_predictors.random_forest",
    "BoostedTreesPredictor": "nas_predictors.boosted_trees",
    "GCNPredictor": "nas_predictors.gcn",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
