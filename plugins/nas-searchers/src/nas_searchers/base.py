"""What the searchers of this package share on top of the kernel loop: argument checks, the
evaluated history as arrays, ranking, and initial populations."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from nas_kernel import ArchaiModel
from nas_kernel.loop import IterativeSearcher
from nas_kernel.toolbox.params import check_int
from nas_kernel.pareto import to_minimization
from nas_searchers.ranking import pareto_indices, ranked_indices
from nas_searchers.warm_start import ProxyScores



def require(space: Any, capability: str, searcher: str) -> None:
    """Fail at construction, not mid-search, when the space lacks a method the algorithm uses."""
    if not callable(getattr(space, capability, None)):
        raise TypeError(f"{searcher} needs a search space with {capability}(); "
                        f"{type(space).__name__} has none")


class AlgorithmSearcher(IterativeSearcher):
    """An ``IterativeSearcher`` with the history helpers the algorithms of this package use."""

    warm_start: Optional[ProxyScores] = None  # set by setup_warm_start
    warm_start_pool = 1
    proxy_moves = 1

    def setup_warm_start(self, warm_start: Any, warm_start_pool: int, proxy_moves: int) -> None:
        """``warm_start``: a cheap ``ModelEvaluator`` (higher is better: a zero-cost proxy or a
        cheap objective) that ranks ``warm_start_pool`` random models, the best of which are the
        initial population instead of random ones; ``proxy_moves`` > 1: each mutation is the best
        by that score of ``proxy_moves`` drawn (see ``nas_searchers.warm_start``)."""
        self.warm_start = None if warm_start is None else ProxyScores(warm_start)
        self.warm_start_pool = check_int("warm_start_pool", warm_start_pool, 1)
        self.proxy_moves = check_int("proxy_moves", proxy_moves, 1)
        if self.proxy_moves > 1 and self.warm_start is None:
            raise ValueError("proxy_moves > 1 needs a warm_start proxy to rank the moves with")

    def history(self, budget: Optional[float] = None, *, latest: bool = False
                ) -> Tuple[List[ArchaiModel], Dict[str, np.ndarray]]:
        """Every evaluated model (in evaluation order) and its objective values. Rows evaluated at
        several budgets appear once per budget unless ``latest``: then only each archid's last row."""
        models: List[ArchaiModel] = []
        values: Dict[str, list] = {name: [] for name in self.objectives.objective_names}
        for entry in (self.results.results if self.results is not None else []):
            budgets = entry.get("budget") or [None] * len(entry["models"])
            for pos, model in enumerate(entry["models"]):
                if budget is not None and budgets[pos] != budget:
                    continue
                models.append(model)
                for name in values:
                    values[name].append(entry[name][pos])
        arrays = {name: np.asarray(col, dtype=np.float64) for name, col in values.items()}
        if latest and models:
            last: Dict[str, int] = {}
            for i, model in enumerate(models):
                last[model.archid] = i
            keep = sorted(last.values())
            models = [models[i] for i in keep]
            arrays = {name: col[keep] for name, col in arrays.items()}
        return models, arrays

    def points(self, values: Dict[str, np.ndarray], names: Optional[Sequence[str]] = None) -> np.ndarray:
        hib = self.objectives.higher_is_better
        names = list(names) if names is not None else list(hib)
        return to_minimization({n: values[n] for n in names}, {n: hib[n] for n in names})

    def ranked(self, models: Sequence[ArchaiModel], values: Dict[str, np.ndarray], *, shuffle: bool = True
               ) -> List[ArchaiModel]:
        """Models best first by non-dominated front (ties shuffled with ``self.rng``); failed ones dropped."""
        return [models[i] for i in ranked_indices(self.points(values), self.rng if shuffle else None)]

    def front(self, models: Sequence[ArchaiModel], values: Dict[str, np.ndarray]) -> List[ArchaiModel]:
        return [models[i] for i in pareto_indices(self.points(values))]

    def rebuilt(self, model: ArchaiModel) -> ArchaiModel:
        """``model`` itself, or - when the loop cleared it after evaluation - a fresh copy made
        through ``save_arch``/``load_arch`` (which work from the archid alone), so an evaluator
        asked to continue training at a higher budget gets a real architecture again."""
        if not model.is_built or model.arch is not None:
            return model
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "arch")
            self.search_space.save_arch(model, path)
            copy = self.search_space.load_arch(path)
        copy.metadata.update(model.metadata)
        return copy

    def random_models(self, n: int, budget: Optional[float] = None) -> List[ArchaiModel]:
        return self.sample_candidates(self.search_space.random_sample, n, budget=budget)

    def initial_models(self, n: int, paths: Optional[Sequence[str]] = None) -> List[ArchaiModel]:
        """``paths`` (Archai's ``initial_population_paths``) loaded with ``load_arch``, else the
        best ``n`` of ``warm_start_pool`` random models by the warm-start proxy, else random."""
        if paths:
            loaded = [self.search_space.load_arch(p) for p in paths]
            distinct = {m.archid: m for m in loaded if not self.is_seen(m.archid)}
            return [m for m in distinct.values() if self.objectives.is_model_valid(m)]
        if self.warm_start is not None:
            return self.warm_start.best(self.random_models(max(n, self.warm_start_pool)), n)
        return self.random_models(n)

    def preferred_mutations(self, parent: ArchaiModel, n: int, budget: Optional[float] = None
                            ) -> List[ArchaiModel]:
        """Up to ``n`` valid, unseen mutations of ``parent``: with ``proxy_moves`` > 1 the best
        ``n`` by the proxy of ``n * proxy_moves`` drawn (move proposal), else the first drawn."""
        if self.warm_start is None or self.proxy_moves == 1:
            return self.sample_candidates(lambda: self.search_space.mutate(parent), n, budget=budget)
        drawn = self.sample_candidates(lambda: self.search_space.mutate(parent), n * self.proxy_moves,
                                       budget=budget)
        return self.warm_start.best(drawn, n)

    def perturbations(self, model: ArchaiModel, moves: int, n: int = 1) -> List[ArchaiModel]:
        """Up to ``n`` valid, unseen models ``moves`` chained mutations away from ``model``: the
        kick that moves a search off a local optimum whose one-move neighbourhood is used up,
        while keeping most of its structure (iterated local search)."""

        def kick() -> ArchaiModel:
            child = model
            for _ in range(moves):
                child = self.search_space.mutate(child)
            return child

        return self.sample_candidates(kick, n)

    def first_kick(self, models: Sequence[ArchaiModel], moves: int) -> Tuple[List[ArchaiModel], List[str]]:
        """One kicked child of the first of ``models`` that has one, with its parent's archid
        (``[], []`` when none has): what an evolution does when its parents are used up."""
        for model in models:
            found = self.perturbations(model, moves, 1)
            if found:
                return found, [model.archid]
        return [], []

    def mutations(self, parents: Sequence[ArchaiModel], per_parent: int, budget: Optional[float] = None
                  ) -> Tuple[List[ArchaiModel], List[str]]:
        """Up to ``per_parent`` valid, unseen, distinct mutations of each parent, with parent ids."""
        children: List[ArchaiModel] = []
        parent_ids: List[str] = []
        taken = set()
        for parent in parents:
            found = self.preferred_mutations(parent, per_parent, budget=budget)
            for child in found:
                if child.archid not in taken:
                    taken.add(child.archid)
                    children.append(child)
                    parent_ids.append(parent.archid)
        return children, parent_ids
