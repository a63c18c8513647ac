"""Local search: best-improvement walks over one-move neighbourhoods, with restarts.

Archai's local search mutates its whole front once per iteration and stops as soon as the front
has no unseen neighbour, which happens early on a table benchmark. Here each walk evaluates the
full neighbourhood of its head and moves to the best model found; when no neighbour improves
(a local optimum) the walk restarts - by default from the best evaluated model whose
neighbourhood has not been expanded yet (so nothing learned is thrown away), or from a random
sample. With several objectives "best" is the first non-dominated front (ties drawn with the
searcher's rng), which makes this a Pareto local search.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np
from overrides import overrides

from nas_kernel.loop import Proposal
from nas_searchers.base import AlgorithmSearcher, check_choice, check_int, require
from nas_searchers.neighbourhood import neighbourhood

RESTARTS = ("best_unexpanded", "random")


class LocalSearch(AlgorithmSearcher):
    """``mutations_per_parent``: None evaluates every neighbour (best improvement); a number
    evaluates at most that many unseen neighbours per expansion. ``walks_per_iter`` heads are
    expanded per iteration. ``restart``: ``best_unexpanded`` or ``random`` (a new walk starts from
    the best of ``restart_samples`` random architectures)."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10,
                 init_num_models: int = 10, initial_population_paths: Optional[List[str]] = None,
                 mutations_per_parent: Optional[int] = None, walks_per_iter: int = 1,
                 restart: str = "best_unexpanded", restart_samples: int = 1, neighbour_patience: int = 40,
                 clear_evaluated_models: bool = True, save_pareto_model_weights: bool = False,
                 seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        require(search_space, "mutate", type(self).__name__)
        self.init_num_models = check_int("init_num_models", init_num_models)
        self.initial_population_paths = initial_population_paths
        self.mutations_per_parent = (None if mutations_per_parent is None
                                     else check_int("mutations_per_parent", mutations_per_parent))
        self.walks_per_iter = check_int("walks_per_iter", walks_per_iter)
        self.restart = check_choice("restart", restart, RESTARTS)
        self.restart_samples = check_int("restart_samples", restart_samples)
        self.neighbour_patience = check_int("neighbour_patience", neighbour_patience)
        self.expanded: Dict[str, bool] = {}
        self._walk_heads: List[str] = []  # restart="random": where the walks continue

    @overrides
    def search(self):
        self.expanded, self._walk_heads = {}, []
        return super().search()

    @overrides
    def propose(self, iteration):
        if iteration == 1:
            models = self.initial_models(self.init_num_models, self.initial_population_paths)
            return Proposal(models, extra={"parent": [None] * len(models)})
        models, values = self.history(latest=True)
        ranked = self.ranked(models, values)
        children, parents = [], []
        for head in self._heads(ranked):
            self.expanded[head.archid] = True
            near = [m for m in neighbourhood(self.search_space, head, patience=self.neighbour_patience)
                    if not self.is_seen(m.archid) and all(c.archid != m.archid for c in children)]
            near = [m for m in near if self.objectives.is_model_valid(m)]
            if self.mutations_per_parent is not None:
                near = near[: self.mutations_per_parent]
            children += near
            parents += [head.archid] * len(near)
        if not children:  # every head's neighbourhood is known: restart at random
            children = self.random_models(self.restart_samples)
            parents = [None] * len(children)
        return Proposal(children, extra={"parent": parents})

    def _heads(self, ranked):
        if self.restart == "best_unexpanded":
            heads = [m for m in ranked if m.archid not in self.expanded]
            return heads[: self.walks_per_iter]
        by_id = {m.archid: m for m in ranked}
        return [by_id[a] for a in self._walk_heads if a in by_id and a not in self.expanded]

    @overrides
    def learn(self, iteration, models, results):
        if self.restart != "random":
            return
        history, values = self.history(latest=True)
        ranked = self.ranked(history, values)
        position = {m.archid: i for i, m in enumerate(ranked)}
        heads: List[str] = []
        if iteration == 1:
            if ranked:
                heads = [ranked[0].archid]
        else:
            groups: Dict[Optional[str], List[str]] = {}
            parents = self.results.results[-1].get("parent") or [None] * len(models)
            for model, parent in zip(models, parents):
                groups.setdefault(parent, []).append(model.archid)
            for parent, ids in groups.items():
                candidates = [a for a in ids + ([parent] if parent else []) if a in position]
                if not candidates:
                    continue
                best = min(candidates, key=lambda a: position[a])
                if best != parent and best not in self.expanded:
                    heads.append(best)  # the walk moves on (a restart's sample starts one)
        self._walk_heads = heads[: self.walks_per_iter]
