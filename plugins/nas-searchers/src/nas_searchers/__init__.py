"""Search algorithms on the NAS Kernel loop, under Archai's class names. Classes load on first
use, so importing the package stays cheap."""
from nas_kernel.toolbox.lazy import lazy_exports

_LAZY = {
    "RandomSearch": "nas_searchers.random_search",
    "RegularizedEvolutionSearch": "nas_searchers.regularized_evolution",
    "EvolutionParetoSearch": "nas_searchers.evolution_pareto",
    "LocalSearch": "nas_searchers.local_search",
    "SuccessiveHalvingSearch": "nas_searchers.successive_halving",
    "MoBananasSearch": "nas_searchers.bananas",
    "BeeColonySearch": "nas_searchers.bee_colony",
    "HiveNasInterface": "nas_searchers.hivenas_interface",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
