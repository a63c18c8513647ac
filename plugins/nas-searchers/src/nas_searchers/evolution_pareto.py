"""Pareto evolution (Archai's quick-start algorithm): mutate and cross over the current Pareto
front, mix in random samples, and evaluate the unseen ones."""
from __future__ import annotations

from typing import List, Optional

from overrides import overrides

from nas_kernel import ModelEvaluator
from nas_kernel.loop import Proposal
from nas_kernel.toolbox.params import check_int
from nas_searchers.base import AlgorithmSearcher, require


class EvolutionParetoSearch(AlgorithmSearcher):
    """Parents are the Pareto front of everything evaluated, topped up from the next fronts until
    there are at least ``min_parents`` (with one objective the front is a single model, which
    would make crossover useless). Children: ``mutations_per_parent`` mutations per parent,
    ``num_crossovers`` crossovers of random parent pairs, ``num_random_mix`` random samples; at
    most ``max_unseen_population`` of them, drawn at random, are evaluated. When the parents have
    no unseen mutation or crossover left, each parent in turn is kicked ``perturb_moves``
    mutations away before random samples are the only news (Archai stops there).
    ``warm_start``, ``warm_start_pool``, ``proxy_moves``: zero-cost warm start and move proposal
    (``AlgorithmSearcher.setup_warm_start``).
    """

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10,
                 init_num_models: int = 10, initial_population_paths: Optional[List[str]] = None,
                 num_random_mix: int = 5, max_unseen_population: int = 100, mutations_per_parent: int = 1,
                 num_crossovers: int = 5, min_parents: int = 5, perturb_moves: int = 2,
                 warm_start: Optional[ModelEvaluator] = None, warm_start_pool: int = 1000, proxy_moves: int = 1,
                 clear_evaluated_models: bool = True,
                 save_pareto_model_weights: bool = False, seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        require(search_space, "mutate", type(self).__name__)
        self.init_num_models = check_int("init_num_models", init_num_models, 1)
        self.initial_population_paths = initial_population_paths
        self.num_random_mix = check_int("num_random_mix", num_random_mix, 0)
        self.max_unseen_population = check_int("max_unseen_population", max_unseen_population, 1)
        self.mutations_per_parent = check_int("mutations_per_parent", mutations_per_parent, 0)
        self.num_crossovers = check_int("num_crossovers", num_crossovers, 0)
        self.min_parents = check_int("min_parents", min_parents, 1)
        self.perturb_moves = check_int("perturb_moves", perturb_moves, 1)
        self.setup_warm_start(warm_start, warm_start_pool, proxy_moves)
        if self.num_crossovers:
            require(search_space, "crossover", type(self).__name__)

    def parents(self):
        models, values = self.history(latest=True)
        front = self.front(models, values)
        if len(front) >= self.min_parents:
            return front
        chosen = {m.archid for m in front}
        extra = [m for m in self.ranked(models, values) if m.archid not in chosen]
        return front + extra[: self.min_parents - len(front)]

    @overrides
    def propose(self, iteration):
        if iteration == 1:
            models = self.initial_models(self.init_num_models, self.initial_population_paths)
            return Proposal(models, extra={"parent": [None] * len(models)})
        parents = self.parents()
        children, parent_ids = self.mutations(parents, self.mutations_per_parent) if parents else ([], [])
        if len(parents) >= 2:
            for _ in range(self.num_crossovers):
                pair = self.rng.sample(parents, 2)
                found = self.sample_candidates(lambda: self.search_space.crossover(pair), 1, patience=30)
                if found and all(c.archid != found[0].archid for c in children):
                    children.append(found[0])
                    parent_ids.append(f"{pair[0].archid}+{pair[1].archid}")
        if not children:  # the parents are used up: kick one
            children, parent_ids = self.first_kick(parents, self.perturb_moves)
        for model in self.random_models(self.num_random_mix):
            if all(c.archid != model.archid for c in children):
                children.append(model)
                parent_ids.append(None)
        if len(children) > self.max_unseen_population:
            keep = sorted(self.rng.sample(range(len(children)), self.max_unseen_population))
            children = [children[i] for i in keep]
            parent_ids = [parent_ids[i] for i in keep]
        if not children:
            self.stop_reason = "no valid unseen mutation, crossover or random sample was found"
        return Proposal(children, extra={"parent": parent_ids})
