"""Local search: walks over one-move neighbourhoods, with restarts at local optima.

Archai's local search mutates its whole front once per iteration and stops as soon as the front
has no unseen neighbour, which happens early on a table benchmark. Here each walk evaluates the
neighbourhood of its head - all of it (best improvement, ``mutations_per_parent=None``) or in
chunks of ``mutations_per_parent`` unseen neighbours, moving as soon as a chunk holds a better
model - and moves to the best neighbour that improves on the head. Neighbours evaluated earlier
cost nothing and are compared too. A head with no improving neighbour is a local optimum: the
walk restarts from the best of ``restart_samples`` random architectures (``restart="random"``),
from the best evaluated model that is not a known local optimum (``"best_unexpanded"``), or -
iterated local search - from an unseen architecture ``perturb_moves`` mutations away from the
best local optimum found so far (``"perturb"``): good local optima share most of their
structure with the global one, so a small kick keeps it where a random restart throws it away.
With several objectives "improves" means "dominates", which makes this a Pareto local search.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np
from overrides import overrides

from nas_kernel import ArchaiModel, ModelEvaluator, Predictor
from nas_kernel.loop import Proposal
from nas_kernel.toolbox.params import check_choice, check_int
from nas_searchers.base import AlgorithmSearcher, require
from nas_searchers.encoding import check_encoding, encode_models
from nas_searchers.neighbourhood import neighbourhood
from nas_searchers.ranking import ranked_indices

RESTARTS = ("random", "best_unexpanded", "perturb")


class _Walk:
    def __init__(self, head: Optional[ArchaiModel] = None) -> None:
        self.head = head
        self.todo: Optional[List[ArchaiModel]] = None  # unseen neighbours not yet evaluated
        self.asked: List[str] = []  # archids proposed for this walk this iteration


class LocalSearch(AlgorithmSearcher):
    """``walks_per_iter`` walks advance in parallel (their candidates are evaluated as one batch).
    Defaults tuned on NAS-Bench-201 (tests/benchmarks/nb201_search.py): one neighbour at a time
    (first improvement) from the best of 10 random models, kicked restarts of 2 moves - fewer
    queries to the optimum than full best-improvement (``mutations_per_parent=None``), a larger
    initial sample or random restarts. ``warm_start``, ``warm_start_pool``: the first heads are
    the best of a random pool by a cheap proxy (``AlgorithmSearcher.setup_warm_start``);
    ``proxy_moves`` > 1: each neighbourhood is walked in the proxy's order, best first.
    ``surrogate_model`` (a ``Predictor``, fitted on the space's ``encoding`` of everything
    evaluated, once there are ``surrogate_min_points``): each new neighbourhood is walked best
    predicted first - model-guided local search."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10,
                 init_num_models: int = 10, initial_population_paths: Optional[List[str]] = None,
                 mutations_per_parent: Optional[int] = 1, walks_per_iter: int = 1, restart: str = "perturb",
                 restart_samples: int = 1, perturb_moves: int = 2, neighbour_patience: int = 40,
                 warm_start: Optional[ModelEvaluator] = None, warm_start_pool: int = 1000, proxy_moves: int = 1,
                 surrogate_model: Optional[Predictor] = None, encoding: str = "default",
                 surrogate_min_points: int = 10, clear_evaluated_models: bool = True,
                 save_pareto_model_weights: bool = False, seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        require(search_space, "mutate", type(self).__name__)
        self.init_num_models = check_int("init_num_models", init_num_models, 1)
        self.initial_population_paths = initial_population_paths
        self.mutations_per_parent = (None if mutations_per_parent is None
                                     else check_int("mutations_per_parent", mutations_per_parent, 1))
        self.walks_per_iter = check_int("walks_per_iter", walks_per_iter, 1)
        self.restart = check_choice("restart", restart, RESTARTS)
        self.restart_samples = check_int("restart_samples", restart_samples, 1)
        self.perturb_moves = check_int("perturb_moves", perturb_moves, 1)
        self.neighbour_patience = check_int("neighbour_patience", neighbour_patience, 1)
        self.setup_warm_start(warm_start, warm_start_pool, proxy_moves)
        if surrogate_model is not None and not isinstance(surrogate_model, Predictor):
            raise ValueError(f"surrogate_model must be a Predictor, got {type(surrogate_model).__name__}")
        self.surrogate_model = surrogate_model
        self.encoding = check_encoding(search_space, encoding)
        self.surrogate_min_points = check_int("surrogate_min_points", surrogate_min_points, 2)
        self.reset()

    @overrides
    def reset(self):
        self.local_optima: Dict[str, ArchaiModel] = {}
        self.walks: List[_Walk] = []
        self._restart_ids: List[str] = []
        self._points: Dict[str, np.ndarray] = {}  # archid -> minimisation point of its evaluation

    # ---- proposing -------------------------------------------------------------------------
    @overrides
    def propose(self, iteration):
        if iteration == 1:
            models = self.initial_models(self.init_num_models, self.initial_population_paths)
            self._restart_ids = [m.archid for m in models]
            return Proposal(models, extra={"parent": [None] * len(models)})
        children: List[ArchaiModel] = []
        parents: List[Optional[str]] = []
        taken = set()
        for walk in self.walks:
            walk.asked = []
            chunk = self._next_chunk(walk, taken)
            for model in chunk:
                taken.add(model.archid)
                walk.asked.append(model.archid)
                children.append(model)
                parents.append(walk.head.archid)
        self.walks = [w for w in self.walks if w.head is not None]
        missing = self.walks_per_iter - len(self.walks)
        if missing > 0 and self.restart == "best_unexpanded":
            self._start_from_history(missing, taken, children, parents)
            missing = self.walks_per_iter - len(self.walks)
        self._restart_ids = []
        if missing > 0 or not children:
            wanted = self.restart_samples * max(1, missing)
            fresh = self._perturbed(wanted) if self.restart == "perturb" else []
            fresh = [m for m in fresh if m.archid not in taken]
            if not fresh:  # nothing to perturb yet, or every kick was seen: a random restart
                fresh = [m for m in self.random_models(wanted) if m.archid not in taken]
            self._restart_ids = [m.archid for m in fresh]
            children += fresh
            parents += [None] * len(fresh)
        return Proposal(children, extra={"parent": parents})

    def _next_chunk(self, walk: _Walk, taken) -> List[ArchaiModel]:
        """The walk's next unseen neighbours; a walk whose head turns out to be a local optimum
        (or that moved for free to a better, already evaluated neighbour) is updated here."""
        for _ in range(64):
            if walk.head is None:
                return []
            if walk.todo is None:
                near = neighbourhood(self.search_space, walk.head, patience=self.neighbour_patience)
                better = self._best_better(walk.head, [m for m in near if m.archid in self._points])
                if better is not None:  # a known neighbour already improves: move for free
                    walk.head = better
                    continue
                walk.todo = [m for m in near if not self.is_seen(m.archid) and self.objectives.is_model_valid(m)]
                self.rng.shuffle(walk.todo)  # a listed neighbourhood comes in a fixed order
                if self.warm_start is not None and self.proxy_moves > 1:  # the proxy's favourites first
                    walk.todo = self.warm_start.best(walk.todo, len(walk.todo))
                walk.todo = self._by_surrogate(walk.todo)
            walk.todo = [m for m in walk.todo if not self.is_seen(m.archid) and m.archid not in taken]
            if walk.todo:
                size = len(walk.todo) if self.mutations_per_parent is None else self.mutations_per_parent
                chunk, walk.todo = walk.todo[:size], walk.todo[size:]
                return chunk
            self.local_optima[walk.head.archid] = walk.head  # every neighbour known, none better
            walk.head = None
        return []

    def _by_surrogate(self, candidates: List[ArchaiModel]) -> List[ArchaiModel]:
        """``candidates`` best predicted first (model-guided local search), once the surrogate has
        ``surrogate_min_points`` evaluations to learn from; otherwise unchanged. The surrogate
        predicts every objective (minimisation form); ties and several objectives are ranked by
        non-dominated sorting of the predicted means."""
        if self.surrogate_model is None or len(candidates) < 2 or len(self._points) < self.surrogate_min_points:
            return candidates
        models, values = self.history(latest=True)
        points = self.points(values)
        usable = [i for i in range(len(models)) if not np.isnan(points[i]).any()]
        self.surrogate_model.fit(encode_models(self.search_space, [models[i] for i in usable], self.encoding),
                                 points[usable])
        mean = np.asarray(self.surrogate_model.predict(
            encode_models(self.search_space, candidates, self.encoding)).mean).reshape(len(candidates), -1)
        return [candidates[i] for i in ranked_indices(mean, None, exclude_failed=False)]

    def _perturbed(self, n: int) -> List[ArchaiModel]:
        """Up to ``n`` unseen models ``perturb_moves`` mutations away from the best local optimum."""
        optima = [m for m in self.local_optima.values() if m.archid in self._points]
        return self.perturbations(self._best(optima), self.perturb_moves, n) if optima else []

    def _start_from_history(self, missing: int, taken, children, parents) -> None:
        models, values = self.history(latest=True)
        heads = {w.head.archid for w in self.walks}
        for model in self.ranked(models, values):
            if missing <= 0:
                break
            if model.archid in self.local_optima or model.archid in heads:
                continue
            walk = _Walk(model)
            chunk = self._next_chunk(walk, taken)
            if walk.head is None or not chunk:
                continue
            walk.asked = [m.archid for m in chunk]
            taken.update(walk.asked)
            children += chunk
            parents += [walk.head.archid] * len(chunk)
            self.walks.append(walk)
            heads.add(walk.head.archid)
            missing -= 1

    # ---- learning --------------------------------------------------------------------------
    @overrides
    def learn(self, iteration, models, results):
        points = self.points(results)
        by_id = {}
        for model, point in zip(models, points):
            by_id[model.archid] = model
            if not np.isnan(point).any():
                self._points[model.archid] = point
        for walk in self.walks:
            better = self._best_better(walk.head, [by_id[a] for a in walk.asked if a in by_id])
            if better is not None:
                walk.head, walk.todo = better, None
        restarts = [by_id[a] for a in self._restart_ids if a in by_id and a in self._points]
        while restarts and len(self.walks) < self.walks_per_iter:
            best = self._best(restarts)
            restarts = [m for m in restarts if m.archid != best.archid]
            self.walks.append(_Walk(best))

    def _best(self, models: List[ArchaiModel]) -> ArchaiModel:
        points = np.stack([self._points[m.archid] for m in models])
        return models[ranked_indices(points, self.rng)[0]]

    def _best_better(self, head: ArchaiModel, candidates: List[ArchaiModel]) -> Optional[ArchaiModel]:
        """The best candidate that dominates ``head`` (None if none does)."""
        if head.archid not in self._points:
            return None
        ref = self._points[head.archid]
        better = [m for m in candidates if m.archid in self._points
                  and np.all(self._points[m.archid] <= ref) and np.any(self._points[m.archid] < ref)]
        return self._best(better) if better else None
