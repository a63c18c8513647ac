"""Multi-objective successive halving: evaluate many models on a small budget, keep the best
fraction, grow the budget by a factor, repeat; when one model is left, start a new bracket.

Budgets reach the expensive objectives' evaluators (e.g. epochs of training) and the cache key,
so a model promoted to budget 2 is a new evaluation, and an evaluator that can continue training
from the previous budget's checkpoint only pays for the difference. Archai 1.0's version does
not run at all (it hands evaluators a scalar where a list is expected).
"""
from __future__ import annotations

import math
from typing import List, Optional

from overrides import overrides

from nas_kernel.loop import Proposal
from nas_kernel.toolbox.params import check_int, check_number
from nas_searchers.base import AlgorithmSearcher


class SuccessiveHalvingSearch(AlgorithmSearcher):
    """Round r of a bracket evaluates its models at ``init_budget * budget_multiplier**r`` and
    keeps the best ``ceil(n / budget_multiplier)`` by non-dominated front (ties drawn at random);
    failed evaluations are never kept. ``max_budget`` caps the budget (None = no cap)."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10,
                 init_num_models: int = 10, init_budget: float = 1.0, budget_multiplier: float = 2.0,
                 max_budget: Optional[float] = None, clear_evaluated_models: bool = True,
                 save_pareto_model_weights: bool = False, seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        self.init_num_models = check_int("init_num_models", init_num_models, 1)
        self.init_budget = check_number("init_budget", init_budget, 0.0, low_open=True)
        self.budget_multiplier = check_number("budget_multiplier", budget_multiplier, 1.0, low_open=True)
        self.max_budget = None if max_budget is None else check_number("max_budget", max_budget, self.init_budget)
        self.reset()

    @overrides
    def reset(self):
        self.bracket = 0
        self._survivors: List = []
        self._budget = self.init_budget

    @overrides
    def propose(self, iteration):
        if not self._survivors:  # a new bracket
            self.bracket += 1
            self._budget = self.init_budget
            models = self.random_models(self.init_num_models, budget=self._budget)
        else:
            models = [self.rebuilt(m) for m in self._survivors if not self.is_seen(m.archid, self._budget)]
        n = len(models)
        return Proposal(models, budgets=[self._budget] * n,
                        extra={"bracket": [self.bracket] * n, "budget_round": [self._round()] * n})

    def _round(self) -> int:
        return int(round(math.log(self._budget / self.init_budget, self.budget_multiplier)))

    @overrides
    def learn(self, iteration, models, results):
        if len(models) <= 1 or (self.max_budget is not None and self._budget >= self.max_budget):
            self._survivors = []
            return
        ranked = self.ranked(models, results)
        keep = max(1, math.ceil(len(models) / self.budget_multiplier))
        self._survivors = ranked[:keep] if keep < len(models) else ranked[: len(models) - 1]
        budget = self._budget * self.budget_multiplier
        self._budget = budget if self.max_budget is None else min(budget, self.max_budget)
