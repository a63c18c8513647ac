"""HiveNAS's ``NASInterface`` over a kernel search space and evaluator, for code written against it.

HiveNAS drives its colony through string-encoded candidates: ``sample()``, ``get_neighbor(arch)``,
``evaluate(candidate)`` returning a record, ``momentum_eval``, ``train_custom_arch`` and
``fully_train_best_model``. Here the strings are the space's archids (``hivenas_chain``:
``input|op|sc_2|op|output``) and the work is done by the kernel components, so the same
evaluator that ran a search answers these calls.

The record ``evaluate`` returns has HiveNAS's fields: ``fitness``, ``epochs`` (trained in this
call, fewer when ACT stopped the candidate), ``filename`` (the candidate's checkpoint file when
the evaluator keeps checkpoints, else None), ``params`` (trainable parameters) and ``momentum``
(the momentum score the bee colony's momentum phase ranks candidates by: the mean of HiveNAS's
per-epoch record over the epochs trained in this call, the fitness when no history was recorded).
Continuing a candidate (``momentum_eval``, ``fully_train_best_model(from_arch=False)``) needs an
evaluator with a ``checkpoint_dir``; without one the call says so instead of retraining.
``fully_train_best_model(from_arch=True)`` keeps the model it trains in
``results_dir/fully_trained/`` and returns that file as ``filename``.
"""
from __future__ import annotations

import copy
import json
import os
from typing import Any, Callable, Dict, Optional

from nas_kernel import ArchaiModel
from nas_kernel.api.overridable import OpenOverrides
from nas_kernel.components import build_component
from nas_kernel.paths import inside, safe_filename
from nas_kernel.run_files import PARETO_JSON
from nas_searchers.momentum import momentum_score

FULLY_TRAINED = "fully_trained"  #: ``results_dir/fully_trained/<archid>.pt``: models trained from scratch


class HiveNasInterface(OpenOverrides):
    """``NASInterface`` equivalent. ``evaluator`` is a training evaluator (``partial_training``);
    ``from_string`` turns a candidate string into a model (default: the space's
    ``from_description({"chain": s})``, as ``hivenas_chain`` reads it)."""

    def __init__(self, search_space: Any, evaluator: Any, *, full_train_epochs: int = 20,
                 results_dir: Optional[str] = None, objective: str = "val_acc",
                 from_string: Optional[Callable[[str], ArchaiModel]] = None) -> None:
        self.search_space = search_space
        self.eval_strategy = evaluator
        self.full_train_epochs = int(full_train_epochs)
        self.results_dir = results_dir
        self.objective = objective
        self._from_string = from_string or (lambda s: search_space.from_description({"chain": s}))
        self._num_params = build_component("evaluators", "num_params")

    @property
    def is_minimize(self) -> bool:
        return False  # HiveNAS always maximises accuracy

    def sample(self) -> str:
        return self.search_space.random_sample().archid

    def get_neighbor(self, orig_arch: str) -> str:
        return self.search_space.mutate(self._from_string(orig_arch)).archid

    # ---- evaluation ----------------------------------------------------------------------------
    def evaluate(self, candidate: str, budget: Optional[float] = None) -> Dict[str, Any]:
        return self._run(self.eval_strategy, self._from_string(candidate), budget)

    def momentum_eval(self, candidate: str, weights_filename: Optional[str], m_epochs: int) -> Dict[str, Any]:
        """Train ``candidate`` ``m_epochs`` more epochs from its checkpoint; ``weights_filename``
        is accepted for HiveNAS's signature (the checkpoint is found by archid)."""
        trainer = self._checkpointing(self.eval_strategy, "momentum_eval")
        model = self._from_string(candidate)
        done = self._trained_epochs(trainer, model.archid)
        return self._run(trainer, model, (done + int(m_epochs)) / trainer.epochs, previous=done)

    def train_custom_arch(self, arch_str: str, epochs: Optional[int] = None) -> Dict[str, Any]:
        """Train ``arch_str`` from scratch for ``epochs`` (default ``full_train_epochs``)."""
        trainer = copy.deepcopy(self.eval_strategy)
        trainer.epochs, trainer.act_beta, trainer.checkpoint_dir = int(epochs or self.full_train_epochs), 0.0, None
        return self._run(trainer, self._from_string(arch_str), None)

    def fully_train_best_model(self, from_arch: bool = True) -> Dict[str, Any]:
        """The best candidate of ``results_dir`` (by ``objective``), trained ``full_train_epochs``
        from scratch (``from_arch``) or for that many more epochs from its search checkpoint."""
        if not self.results_dir or not os.path.isfile(os.path.join(self.results_dir, PARETO_JSON)):
            raise FileNotFoundError(f"no results file: {self.results_dir!r} holds no {PARETO_JSON} of a finished search")
        with open(os.path.join(self.results_dir, PARETO_JSON), encoding="utf-8") as f:
            rows = [r for r in json.load(f) if isinstance(r.get(self.objective), (int, float))]
        if not rows:
            raise ValueError(f"{self.results_dir}: no candidate has a value of {self.objective!r}")
        best = max(rows, key=lambda r: r[self.objective])["archid"]
        if from_arch:
            trainer = copy.deepcopy(self.eval_strategy)
            trainer.epochs, trainer.act_beta = self.full_train_epochs, 0.0
            trainer.checkpoint_dir = os.path.join(self.results_dir, FULLY_TRAINED)
            return self._run(trainer, self._from_string(best), None)
        return self.momentum_eval(best, None, self.full_train_epochs)

    # ---- helpers -------------------------------------------------------------------------------
    def _run(self, trainer: Any, model: ArchaiModel, budget: Optional[float], previous: int = 0) -> Dict[str, Any]:
        fitness = float(trainer.evaluate(model, budget))
        history = model.metadata.get("history")
        directory = getattr(trainer, "checkpoint_dir", None)
        return {
            "fitness": fitness,
            "epochs": int(model.metadata.get("epochs_trained", 0)) - previous,
            "filename": inside(directory, safe_filename(model.archid) + ".pt") if directory else None,
            "params": int(self._num_params.evaluate(model)),
            "momentum": momentum_score(history if isinstance(history, list) else None, fallback=fitness),
        }

    @staticmethod
    def _checkpointing(trainer: Any, what: str) -> Any:
        if not getattr(trainer, "checkpoint_dir", None):
            raise ValueError(f"{what} continues training from a checkpoint: give the evaluator a checkpoint_dir")
        return trainer

    @staticmethod
    def _trained_epochs(trainer: Any, archid: str) -> int:
        path = inside(trainer.checkpoint_dir, safe_filename(archid) + ".pt")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no checkpoint of {archid} in {trainer.checkpoint_dir}: evaluate it first")
        import torch

        state = torch.load(path, map_location="cpu", weights_only=True)
        return int(state.get("epochs", 0)) if isinstance(state, dict) else 0
