"""BANANAS / MO-BANANAS: a surrogate fitted on the encodings of everything evaluated ranks the
mutations of the best models; only the most promising are evaluated.

Cheap objectives are computed exactly for the candidates (they cost nothing); only expensive
ones are predicted. With one expensive objective and nothing else, candidates are ranked by the
acquisition value; with several objectives by non-dominated sorting over acquisition values and
exact cheap values (ties drawn at random), as Archai's MO-BANANAS does with Thompson samples.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
from overrides import overrides

from nas_kernel import ModelEvaluator, Predictor
from nas_kernel.loop import Proposal
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_searchers.acquisition import ACQUISITIONS, score
from nas_searchers.base import AlgorithmSearcher, require
from nas_searchers.encoding import check_encoding, encode_models
from nas_searchers.ranking import ranked_indices


def default_surrogate(seed: int) -> Predictor:
    """The registered predictor ``mlp_ensemble`` (from nas-predictors), built through the kernel."""
    from nas_kernel.components import build_component

    return build_component("predictors", "mlp_ensemble", {"num_ensemble_members": 5, "num_layers": 3, "width": 64,
                                                          "lr": 3e-3, "num_tr_steps": 300, "device": "cpu"},
                           seed=seed)


class MoBananasSearch(AlgorithmSearcher):
    """``surrogate_model``: a ``Predictor`` (None = a CPU MLP ensemble sized to fit in about a
    second); ``acquisition``: ``ei``, ``ucb`` (with ``ucb_kappa``) or ``thompson``; each iteration
    mutates the first ``num_parents`` models by non-dominated rank ``mutations_per_parent`` times,
    adds ``num_random_candidates`` random samples, and evaluates the ``num_candidates`` best by
    acquisition. ``encoding``: which of the space's encodings (``encode_as``) the surrogate sees;
    ``warm_start``, ``warm_start_pool``, ``proxy_moves``: the initial models are the best of a
    random pool by a cheap proxy, mutations the proxy's favourites
    (``AlgorithmSearcher.setup_warm_start``)."""

    def __init__(self, search_space, search_objectives, output_dir, surrogate_model: Optional[Predictor] = None,
                 num_iters: int = 10, init_num_models: int = 10, num_parents: int = 10,
                 mutations_per_parent: int = 5, num_candidates: int = 10, acquisition: str = "thompson",
                 ucb_kappa: float = 1.0, num_random_candidates: int = 0, encoding: str = "default",
                 warm_start: Optional[ModelEvaluator] = None, warm_start_pool: int = 1000, proxy_moves: int = 1,
                 clear_evaluated_models: bool = True, save_pareto_model_weights: bool = False,
                 seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        for capability in ("mutate", "encode"):
            require(search_space, capability, type(self).__name__)
        if surrogate_model is not None and not isinstance(surrogate_model, Predictor):
            raise ValueError(f"surrogate_model must be a Predictor, got {type(surrogate_model).__name__}")
        self.surrogate_model = surrogate_model if surrogate_model is not None else default_surrogate(seed)
        self.init_num_models = check_int("init_num_models", init_num_models, 1)
        self.num_parents = check_int("num_parents", num_parents, 1)
        self.mutations_per_parent = check_int("mutations_per_parent", mutations_per_parent, 1)
        self.num_candidates = check_int("num_candidates", num_candidates, 1)
        self.acquisition = check_choice("acquisition", acquisition, ACQUISITIONS)
        self.ucb_kappa = check_number("ucb_kappa", ucb_kappa, 0.0)
        self.num_random_candidates = check_int("num_random_candidates", num_random_candidates, 0)
        self.encoding = check_encoding(search_space, encoding)
        self.setup_warm_start(warm_start, warm_start_pool, proxy_moves)

    def encode(self, models) -> np.ndarray:
        return encode_models(self.search_space, models, self.encoding)

    @overrides
    def propose(self, iteration):
        if iteration == 1:
            models = self.initial_models(self.init_num_models)
            return Proposal(models, extra={"parent": [None] * len(models)})
        history, values = self.history(latest=True)
        parents = self.ranked(history, values)[: self.num_parents]
        pool, parent_ids = self.mutations(parents, self.mutations_per_parent)
        for model in self.random_models(self.num_random_candidates):
            if all(m.archid != model.archid for m in pool):
                pool.append(model)
                parent_ids.append(None)
        if not pool:
            self.stop_reason = "no valid unseen mutation of the best models was found"
            return []
        chosen, predicted = self._select(pool, history, values)
        extra: Dict[str, List[Any]] = {"parent": [parent_ids[i] for i in chosen]}
        for name, (mean, var) in predicted.items():
            extra[f"Predicted {name} mean"] = [float(mean[i]) for i in chosen]
            extra[f"Predicted {name} var"] = [float(var[i]) for i in chosen]
        return Proposal([pool[i] for i in chosen], extra=extra)

    def _select(self, pool, history, values):
        """Indices of the pool to evaluate, and the predictions per expensive objective."""
        expensive = self.objectives.expensive_objective_names
        hib = self.objectives.higher_is_better
        columns: List[np.ndarray] = []
        predicted: Dict[str, tuple] = {}
        targets = np.stack([values[n] for n in expensive], axis=1) if expensive else np.zeros((len(history), 0))
        usable = ~np.isnan(targets).any(axis=1) if expensive else np.zeros(len(history), dtype=bool)
        if expensive and usable.sum() >= 2:
            self.surrogate_model.fit(self.encode([history[i] for i in np.nonzero(usable)[0]]), targets[usable])
            mean, var = self.surrogate_model.predict(self.encode(pool))
            mean, var = np.asarray(mean).reshape(len(pool), -1), np.asarray(var).reshape(len(pool), -1)
            for t, name in enumerate(expensive):
                sign = -1.0 if hib[name] else 1.0
                seen = targets[usable, t]
                best = float(np.nanmin(sign * seen)) if np.isfinite(seen).any() else float("inf")
                columns.append(score(self.acquisition, sign * mean[:, t], var[:, t], best, self.ucb_kappa, self.rng))
                predicted[name] = (mean[:, t], var[:, t])
        if self.objectives.cheap_objective_names:
            cheap = self.objectives.eval_cheap_objs(pool)
            for name in self.objectives.cheap_objective_names:
                columns.append(-cheap[name] if hib[name] else cheap[name])
        if not columns:  # nothing to rank on yet: random choice
            order = list(range(len(pool)))
            self.rng.shuffle(order)
            return order[: self.num_candidates], predicted
        order = ranked_indices(np.stack(columns, axis=1), self.rng)
        return order[: self.num_candidates], predicted
