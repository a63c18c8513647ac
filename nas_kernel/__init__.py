"""NAS Kernel: the contracts, plugin system and search loop of a neural architecture search
framework for PyTorch. Importing it is cheap: no torch, pandas or matplotlib."""
from nas_kernel.api import (
    ArchaiModel,
    AsyncModelEvaluator,
    BayesOptSearchSpace,
    DatasetProvider,
    DiscreteSearchSpace,
    Evaluation,
    EvolutionarySearchSpace,
    MeanVar,
    ModelEvaluator,
    Predictor,
    SearchConstraint,
    SearchObjective,
    SearchObjectives,
    SearchResults,
    Searcher,
    StopSearch,
)
from nas_kernel.hookspecs import hookimpl, hookspec

__version__ = "0.1.0"

__all__ = [
    "ArchaiModel",
    "AsyncModelEvaluator",
    "BayesOptSearchSpace",
    "DatasetProvider",
    "DiscreteSearchSpace",
    "Evaluation",
    "EvolutionarySearchSpace",
    "MeanVar",
    "ModelEvaluator",
    "Predictor",
    "SearchConstraint",
    "SearchObjective",
    "SearchObjectives",
    "SearchResults",
    "Searcher",
    "StopSearch",
    "hookimpl",
    "hookspec",
    "__version__",
]
