"""Regularized (aging) evolution: tournaments among the most recent models, so old models age
out of the population however good they were (Real et al., 2019)."""
from __future__ import annotations

from typing import List, Optional

import numpy as np
from overrides import overrides

from nas_kernel import ModelEvaluator
from nas_kernel.loop import Proposal
from nas_kernel.toolbox.params import check_int, check_number
from nas_searchers.base import AlgorithmSearcher, require


class RegularizedEvolutionSearch(AlgorithmSearcher):
    """Each iteration runs ``tournaments_per_iter`` tournaments: draw ``pareto_sample_size`` models
    from the last ``history_size`` evaluated, take the sample's Pareto front (with one objective:
    its best model) and mutate each winner once; with probability ``crossover_prob`` a child is
    instead the crossover of two winners (or of a winner and another sampled model).

    When no winner has an unseen mutation left (Archai stops), a winner is kicked instead: an
    unseen model ``perturb_moves`` mutations away, which keeps most of the winner's structure;
    failing that a random member of the population is mutated. Measured on NAS-Bench-201
    (tests/benchmarks/nb201_search.py): the kick beats both mutating another member and a random
    sample at 300 queries, and the defaults (50 of the last 150) beat Archai's 40 of 100.
    Archai's defaults crash when the sample is larger than the population; here the sample is
    capped by the population, so any combination of sizes works. ``warm_start``,
    ``warm_start_pool``, ``proxy_moves``: zero-cost warm start and move proposal
    (``AlgorithmSearcher.setup_warm_start``).
    """

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10,
                 init_num_models: int = 10, initial_population_paths: Optional[List[str]] = None,
                 pareto_sample_size: int = 50, history_size: int = 150, tournaments_per_iter: int = 1,
                 crossover_prob: float = 0.0, perturb_moves: int = 2, warm_start: Optional[ModelEvaluator] = None,
                 warm_start_pool: int = 1000, proxy_moves: int = 1, clear_evaluated_models: bool = True,
                 save_pareto_model_weights: bool = False, seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        require(search_space, "mutate", type(self).__name__)
        self.init_num_models = check_int("init_num_models", init_num_models, 1)
        self.initial_population_paths = initial_population_paths
        self.pareto_sample_size = check_int("pareto_sample_size", pareto_sample_size, 1)
        self.history_size = check_int("history_size", history_size, 1)
        self.tournaments_per_iter = check_int("tournaments_per_iter", tournaments_per_iter, 1)
        self.crossover_prob = check_number("crossover_prob", crossover_prob, 0.0, 1.0)
        self.perturb_moves = check_int("perturb_moves", perturb_moves, 1)
        self.setup_warm_start(warm_start, warm_start_pool, proxy_moves)
        if self.crossover_prob > 0:
            require(search_space, "crossover", type(self).__name__)

    @overrides
    def propose(self, iteration):
        if iteration == 1:
            models = self.initial_models(self.init_num_models, self.initial_population_paths)
            return Proposal(models, extra={"parent": [None] * len(models)})
        models, values = self.history()
        failed = np.isnan(self.points(values)).any(axis=1)
        keep = [i for i in range(len(models)) if not failed[i]][-self.history_size:]
        if not keep:
            return Proposal(self.random_models(self.tournaments_per_iter),
                            extra={"parent": [None] * self.tournaments_per_iter})
        population = [models[i] for i in keep]
        pop_values = {n: col[keep] for n, col in values.items()}
        children, parents, all_winners = [], [], []
        for _ in range(self.tournaments_per_iter):
            sample = self.rng.sample(range(len(population)), min(self.pareto_sample_size, len(population)))
            members = [population[i] for i in sample]
            member_values = {n: c[sample] for n, c in pop_values.items()}
            winners = self.front(members, member_values)
            all_winners += winners
            for winner in winners:
                self._add_child(winner, winners, population, children, parents)
        if not children:  # the winners' neighbourhoods are used up: kick one
            children, parents = self.first_kick(all_winners, self.perturb_moves)
        if not children:  # no kick either: mutate another member
            for member in self.rng.sample(population, len(population)):
                if self._add_child(member, [member], population, children, parents):
                    break
        if not children:  # the whole population is exhausted: explore instead of stopping
            children = self.random_models(self.tournaments_per_iter)
            parents = [None] * len(children)
        return Proposal(children, extra={"parent": parents})

    def _add_child(self, winner, winners, population, children, parents) -> bool:
        child, parent = self._child(winner, winners, population)
        if child is None or any(c.archid == child.archid for c in children):
            return False
        children.append(child)
        parents.append(parent)
        return True

    def _child(self, winner, winners, population):
        if self.crossover_prob > 0 and self.rng.random() < self.crossover_prob:
            others = [w for w in winners if w.archid != winner.archid] or population
            mate = self.rng.choice(others)
            found = self.sample_candidates(lambda: self.search_space.crossover([winner, mate]), 1)
            if found:
                return found[0], f"{winner.archid}+{mate.archid}"
        found = self.preferred_mutations(winner, 1)
        return (found[0], winner.archid) if found else (None, None)
