"""Each searcher with tiny settings, shared by the test modules. BANANAS's surrogate is the
kernel's reference predictor, so the searchers' tests need no predictor plugin."""
from nas_kernel.testing.reference import NeighbourMean
from nas_searchers import (BeeColonySearch, EvolutionParetoSearch, LocalSearch, MoBananasSearch, RandomSearch,
                           RegularizedEvolutionSearch, SuccessiveHalvingSearch)

TINY = {
    "random": (RandomSearch, dict(num_iters=4, samples_per_iter=5)),
    "regularized_evolution": (RegularizedEvolutionSearch, dict(num_iters=8, init_num_models=6,
                                                               pareto_sample_size=3, history_size=10,
                                                               tournaments_per_iter=2, crossover_prob=0.3)),
    "evolution_pareto": (EvolutionParetoSearch, dict(num_iters=4, init_num_models=6, num_random_mix=2,
                                                     num_crossovers=2)),
    "local_search": (LocalSearch, dict(num_iters=4, init_num_models=4)),
    "successive_halving": (SuccessiveHalvingSearch, dict(num_iters=6, init_num_models=8)),
    "bananas": (MoBananasSearch, dict(num_iters=4, init_num_models=6, num_parents=3, mutations_per_parent=3,
                                      num_candidates=3, surrogate_model=NeighbourMean())),
    "bee_colony": (BeeColonySearch, dict(num_iters=4, colony_size=6, employee_ratio=0.5)),
}


def build(name, space, objs, output_dir, seed=1, **overrides):
    factory, params = TINY[name]
    params = {**params, **overrides}
    if name == "bananas" and "surrogate_model" not in overrides:
        params["surrogate_model"] = NeighbourMean(seed=seed)
    searcher = factory(space, objs, str(output_dir), seed=seed, **params)
    searcher.progress = False
    return searcher
