"""Evaluator contracts: how an objective's value is computed for a model."""
from __future__ import annotations

from typing import Optional

from overrides import EnforceOverrides

from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.overridable import OpenOverrides, abstract

__all__ = ["ModelEvaluator", "AsyncModelEvaluator"]


class ModelEvaluator(OpenOverrides, EnforceOverrides):
    """Computes one number for one model, blocking.

    ``budget`` is the searcher's fidelity knob (e.g. a fraction of the training epochs); ``None``
    means the evaluator's default. Raising, or returning NaN, marks the evaluation failed: the
    kernel records the error and the search goes on.
    """

    @abstract
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        """Return the objective value of the model ``arch`` (Archai's parameter name)."""


class AsyncModelEvaluator(OpenOverrides, EnforceOverrides):
    """Computes many models concurrently: ``send`` queues jobs, ``fetch_all`` collects them.

    ``fetch_all`` blocks, returns one value per ``send`` **in send order**, uses ``None`` for a
    job that failed, and empties the queue. Optionally, an ``last_errors`` attribute (archid ->
    reason) after ``fetch_all`` gives the kernel the reason each failed job is recorded with, and
    metadata the jobs wrote back into the sent models is stored like a sync evaluator's.
    """

    @abstract
    def send(self, arch: ArchaiModel, budget: Optional[float] = None):
        """Queue an evaluation of the model ``arch`` without waiting for it."""

    @abstract
    def fetch_all(self):
        """Wait for every queued job; results in send order, ``None`` for failures."""
