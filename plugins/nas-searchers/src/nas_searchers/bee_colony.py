"""HiveNAS's artificial bee colony (ABC) on the kernel loop.

One colony iteration is up to three kernel iterations: the employee phase (each employee
evaluates a neighbour of its food source, or its fresh scout sample), the onlooker phase
(onlookers pick food sources with probability growing with fitness and evaluate a neighbour
each), and, when ``momentum_epochs`` > 0, the momentum phase (extra training epochs for the
candidates whose accuracy rises fastest, as evaluations at a higher budget). Then scouts replace
every food source whose trial counter reached ``abandonment_limit`` with a random architecture.

Trials: ``per_area`` (HiveNAS: every evaluation around a source counts, never reset) or
``since_improvement`` (textbook ABC: reset when the source improves). A neighbour that was
already evaluated is a cache hit: it costs nothing and, with ``count_cache_hits``, counts as a
trial, so a source whose neighbourhood is exhausted is still abandoned. With ``act_abandon``, an
employee candidate that ACT stopped after at most one epoch (its evaluator's metadata says
``act_stopped: true`` and ``epochs_trained`` <= 1, as ``partial_training`` with ``act_beta`` > 0
writes) forces its source's abandonment; a candidate merely trained for one epoch does not.

Momentum evaluation reads the per-epoch validation accuracies of each candidate from its
metadata (``momentum_key``, default ``history``: what ``partial_training`` records); a candidate
without one scores its fitness instead. Onlookers choose from the sources as they were
after the employee phase and evaluate as one batch.

Single objective: ``objective`` names it (default: the first expensive objective); failed
evaluations never become a food source's best.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
from overrides import overrides

from nas_kernel import ArchaiModel
from nas_kernel.loop import Proposal
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_searchers.base import AlgorithmSearcher, require
from nas_searchers.momentum import allocate_epochs, momentum_score

TRIAL_COUNTERS = ("per_area", "since_improvement")
ONLOOKER_WEIGHTS = ("hivenas", "proportional", "rank")


@dataclass
class FoodSource:
    """One employee's area: its best position so far (``center``) and its trial counter."""

    current: Optional[ArchaiModel] = None  # a scout's sample waiting to be evaluated
    center: Optional[ArchaiModel] = None
    fitness: float = math.nan
    trials: int = 0


class BeeColonySearch(AlgorithmSearcher):
    """``colony_size`` bees, ``floor(colony_size * employee_ratio)`` of them employees (and as
    many food sources), the rest onlookers; ``num_iters`` colony iterations. ``budget`` is what
    every candidate is evaluated with (e.g. epochs); momentum evaluation needs it."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10, colony_size: int = 7,
                 employee_ratio: float = 0.43, abandonment_limit: int = 3, trial_counter: str = "per_area",
                 onlooker_weights: str = "hivenas", count_cache_hits: bool = True, act_abandon: bool = True,
                 objective: Optional[str] = None, budget: Optional[float] = None, momentum_epochs: int = 0,
                 momentum_key: str = "history", neighbour_patience: int = 20,
                 clear_evaluated_models: bool = True, save_pareto_model_weights: bool = False,
                 seed: int = 1) -> None:
        self.momentum_epochs = check_int("momentum_epochs", momentum_epochs, 0)
        self.phases = ["employee", "onlooker"] + (["momentum"] if self.momentum_epochs else [])
        check_int("num_iters", num_iters, 1)
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters * len(self.phases),
                         seed=seed, clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        require(search_space, "mutate", type(self).__name__)
        self.colony_iters = int(num_iters)
        self.colony_size = check_int("colony_size", colony_size, 2)
        self.employee_ratio = check_number("employee_ratio", employee_ratio, 0.0, 1.0, low_open=True)
        self.num_employees = int(math.floor(self.colony_size * self.employee_ratio))
        if not 1 <= self.num_employees < self.colony_size:
            raise ValueError(f"employee_ratio {employee_ratio} gives {self.num_employees} employees of "
                             f"{self.colony_size} bees; it must leave at least one employee and one onlooker")
        self.num_onlookers = self.colony_size - self.num_employees
        self.abandonment_limit = check_int("abandonment_limit", abandonment_limit, 1)
        self.trial_counter = check_choice("trial_counter", trial_counter, TRIAL_COUNTERS)
        self.onlooker_weights = check_choice("onlooker_weights", onlooker_weights, ONLOOKER_WEIGHTS)
        self.count_cache_hits = bool(count_cache_hits)
        self.act_abandon = bool(act_abandon)
        names = search_objectives.objective_names
        if objective is None:
            objective = (search_objectives.expensive_objective_names or names)[0]
        self.objective = check_choice("objective", objective, names)
        self.sign = 1.0 if search_objectives.higher_is_better[self.objective] else -1.0
        if budget is not None:
            budget = check_number("budget", budget, 0.0, low_open=True)
        if self.momentum_epochs and budget is None:
            raise ValueError("budget must be set (the epochs of a normal evaluation) when momentum_epochs > 0")
        self.budget = budget
        self.momentum_key = momentum_key
        self.neighbour_patience = check_int("neighbour_patience", neighbour_patience, 1)
        self.reset()

    @overrides
    def reset(self):
        self.sources: List[FoodSource] = []
        self.cycle = 1
        self._phase = 0
        self._pending: List[tuple] = []  # (source index, archid, role) awaiting evaluation
        self.fitness: Dict[str, float] = {}  # archid -> fitness (higher is better), latest budget
        self.epochs: Dict[str, float] = {}  # archid -> budget of its latest evaluation
        self.momentum: Dict[str, float] = {}
        self._models: Dict[str, ArchaiModel] = {}

    # ---- phases ----------------------------------------------------------------------------
    @overrides
    def propose(self, iteration):
        if not self.sources:
            self.sources = [FoodSource(current=m) for m in self.random_models(self.num_employees, self.budget)]
            if not self.sources:
                self.stop_reason = "no valid architecture could be sampled for the food sources"
                return []
        for _ in range(4 * len(self.phases)):  # phases made only of cache hits are settled here
            if self.cycle > self.colony_iters:
                self.stop_reason = f"the colony finished its {self.colony_iters} iterations"
                return []
            phase = self.phases[self._phase]
            proposal = getattr(self, f"_{phase}_phase")()
            if proposal.models:
                return proposal
            self._end_phase()
        self.stop_reason = "the colony found nothing new to evaluate in several phases in a row"
        return []

    def _employee_phase(self) -> Proposal:
        requests = []
        for k, source in enumerate(self.sources):
            if source.center is None and source.current is not None:
                requests.append((k, source.current, "employee"))
            else:
                requests.append((k, self._neighbour(source.center), "employee"))
        return self._request(requests)

    def _onlooker_phase(self) -> Proposal:
        weights = self._onlooker_probabilities()
        picks = self.rng.choices(range(len(self.sources)), weights=weights, k=self.num_onlookers)
        return self._request([(k, self._neighbour(self.sources[k].center), "onlooker") for k in picks])

    def _momentum_phase(self) -> Proposal:
        ids = [a for a in self.fitness if not math.isnan(self.fitness[a])]
        scores = {a: self.momentum.get(a, 0.0) for a in ids}
        granted = allocate_epochs(scores, {a: self.epochs[a] for a in ids}, self.momentum_epochs, self.rng)
        models, budgets, extra = [], [], []
        for archid, more in granted.items():
            budget = self.epochs[archid] + more
            if self.is_seen(archid, budget):
                continue
            models.append(self.rebuilt(self._models[archid]))
            budgets.append(budget)
            extra.append(more)
        self._pending = [(None, m.archid, "momentum") for m in models]
        n = len(models)
        return Proposal(models, budgets=budgets, extra={"bee": ["momentum"] * n, "parent": [None] * n,
                                                        "momentum_epochs": extra})

    def _request(self, requests) -> Proposal:
        """Cache hits and failures to find a neighbour are settled now; the rest is proposed once
        per archid (several bees may ask for the same one)."""
        to_evaluate: Dict[str, ArchaiModel] = {}
        self._pending = []
        bees, parents = {}, {}
        for k, model, role in requests:
            source = self.sources[k]
            if model is None:  # no valid neighbour: the area looks exhausted
                source.trials += 1
                continue
            if model.archid not in to_evaluate and self.is_seen(model.archid, self.budget):
                if self.count_cache_hits:
                    source.trials += 1
                self._greedy(source, model, self.fitness.get(model.archid, math.nan))
                continue
            to_evaluate.setdefault(model.archid, model)
            bees.setdefault(model.archid, f"{role} {k}")
            parents.setdefault(model.archid, source.center.archid if source.center is not None else None)
            self._pending.append((k, model.archid, role))
        models = list(to_evaluate.values())
        n = len(models)
        budgets = None if self.budget is None else [self.budget] * n
        return Proposal(models, budgets=budgets, extra={"bee": [bees[m.archid] for m in models],
                                                        "parent": [parents[m.archid] for m in models]})

    @overrides
    def learn(self, iteration, models, results):
        values = np.asarray(results[self.objective], dtype=np.float64)
        budgets = self.results.results[-1].get("budget") or [self.budget] * len(models)
        by_id = {}
        for model, value, budget in zip(models, values, budgets):
            fit = self.sign * value
            by_id[model.archid] = (model, fit)
            self._models[model.archid] = model
            self.fitness[model.archid] = fit
            self.epochs[model.archid] = budget if budget is not None else 1.0
            history = model.metadata.get(self.momentum_key)
            self.momentum[model.archid] = momentum_score(history if isinstance(history, list) else None,
                                                         fallback=value if math.isfinite(value) else 0.0)
        for k, archid, role in self._pending:
            if archid not in by_id:
                continue
            model, fit = by_id[archid]
            if role == "momentum":  # continued training changed a fitness: sources holding it follow
                for source in self.sources:
                    if source.center is not None and source.center.archid == archid and not math.isnan(fit):
                        source.fitness = fit
                continue
            source = self.sources[k]
            early = self.act_abandon and role == "employee" and _stopped_early(model)
            source.trials += self.abandonment_limit if early else 1
            self._greedy(source, model, fit)
        self._pending = []
        self._end_phase()

    # ---- the colony's rules ----------------------------------------------------------------
    def _greedy(self, source: FoodSource, model: ArchaiModel, fit: float) -> None:
        if source.center is None:
            source.center, source.fitness, source.current = model, fit, None
            return
        if not math.isnan(fit) and (math.isnan(source.fitness) or fit > source.fitness):
            source.center, source.fitness = model, fit
            if self.trial_counter == "since_improvement":
                source.trials = 0

    def _end_phase(self) -> None:
        self._phase += 1
        if self._phase == len(self.phases):
            self._phase = 0
            self.cycle += 1
            self._scouts()

    def _scouts(self) -> None:
        for source in self.sources:
            if source.trials >= self.abandonment_limit:
                fresh = self.random_models(1, self.budget)
                if fresh:
                    source.current, source.center, source.fitness, source.trials = fresh[0], None, math.nan, 0

    def _neighbour(self, center: Optional[ArchaiModel]) -> Optional[ArchaiModel]:
        if center is None:
            return None
        for _ in range(self.neighbour_patience):
            model = self.search_space.mutate(center)
            if model is not None and model.archid != center.archid and self.objectives.is_model_valid(model):
                return model
        return None

    def _onlooker_probabilities(self) -> List[float]:
        fits = [s.fitness for s in self.sources]
        finite = [f for f in fits if not math.isnan(f)]
        if not finite:
            return [1.0] * len(fits)
        if self.onlooker_weights == "hivenas":  # classic ABC fitness, inverted for maximisation
            weights = [0.0 if math.isnan(f) else (1.0 + f if f >= 0 else 1.0 / (1.0 + abs(f))) for f in fits]
        elif self.onlooker_weights == "proportional":
            low = min(finite)
            weights = [0.0 if math.isnan(f) else f - low + 1e-9 for f in fits]
        else:
            order = sorted(range(len(fits)), key=lambda i: (math.isnan(fits[i]), fits[i] if not math.isnan(fits[i]) else 0))
            weights = [0.0] * len(fits)
            for rank, i in enumerate(order):
                weights[i] = 0.0 if math.isnan(fits[i]) else float(rank + 1)
        return weights if sum(weights) > 0 else [1.0] * len(fits)

    def best(self) -> Optional[ArchaiModel]:
        """The best food source's model (None before anything was evaluated)."""
        scored = [s for s in self.sources if s.center is not None and not math.isnan(s.fitness)]
        return max(scored, key=lambda s: s.fitness).center if scored else None


def _stopped_early(model: ArchaiModel) -> bool:
    """ACT stopped this candidate after at most one epoch (HiveNAS's early-abandon rule)."""
    epochs = model.metadata.get("epochs_trained")
    return model.metadata.get("act_stopped") is True and isinstance(epochs, (int, float)) and epochs <= 1
