"""Random search: the baseline every other searcher must beat."""
from __future__ import annotations

from overrides import overrides

from nas_kernel.toolbox.params import check_int
from nas_searchers.base import AlgorithmSearcher


class RandomSearch(AlgorithmSearcher):
    """Each iteration evaluates ``samples_per_iter`` valid architectures never evaluated before.

    Unlike Archai's, sampling gives up after a bounded number of tries, so constraints that reject
    everything end the search instead of looping forever.
    """

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10,
                 samples_per_iter: int = 10, clear_evaluated_models: bool = True,
                 save_pareto_model_weights: bool = False, seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        self.samples_per_iter = check_int("samples_per_iter", samples_per_iter, 1)

    @overrides
    def propose(self, iteration):
        return self.random_models(self.samples_per_iter)
