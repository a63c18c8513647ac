"""The discrete-search contracts (Archai's names and semantics)."""
from nas_kernel.api.dataset import DatasetProvider
from nas_kernel.api.evaluation import Evaluation
from nas_kernel.api.evaluator import AsyncModelEvaluator, ModelEvaluator
from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.objectives import SearchConstraint, SearchObjective, SearchObjectives
from nas_kernel.api.predictor import MeanVar, Predictor
from nas_kernel.api.results import SearchResults
from nas_kernel.api.search_space import BayesOptSearchSpace, DiscreteSearchSpace, EvolutionarySearchSpace
from nas_kernel.api.searcher import Searcher
from nas_kernel.api.stop import StopSearch

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
]
