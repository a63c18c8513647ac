"""Registers the searchers as lazy references: importing this module costs nothing."""
from nas_kernel import hookimpl


@hookimpl
def register_searchers(register):
    register("random", "nas_searchers.random_search:RandomSearch")
    register("regularized_evolution", "nas_searchers.regularized_evolution:RegularizedEvolutionSearch")
    register("evolution_pareto", "nas_searchers.evolution_pareto:EvolutionParetoSearch")
    register("local_search", "nas_searchers.local_search:LocalSearch")
    register("successive_halving", "nas_searchers.successive_halving:SuccessiveHalvingSearch")
    register("bananas", "nas_searchers.bananas:MoBananasSearch")
    register("bee_colony", "nas_searchers.bee_colony:BeeColonySearch")
