"""Archai-compatible progressive training: a user's ``training_fn`` keeps per-archid state between
calls, so a model evaluated again with a larger budget continues where it stopped.

For the common case (train a classifier on a dataset provider) ``PartialTraining`` with
``checkpoint_dir`` does the same on disk, which also works across processes and restarts.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.references import check_reference, resolve_value


class ProgressiveTraining(ModelEvaluator):
    """Calls ``training_fn(model, dataset, budget, state) -> (metric, new_state)``.

    Args:
        search_space: kept for Archai compatibility (and available to ``training_fn`` users).
        dataset: whatever ``training_fn`` trains on, usually a dataset provider.
        training_fn: a callable or an importable ``"package.module:callable"`` string. ``state``
            is None on the first call for an archid, then whatever the previous call returned.
    """

    def __init__(self, search_space: Any, dataset: Any, training_fn: Any) -> None:
        check_reference(training_fn, "training_fn")
        self.search_space = search_space
        self.dataset = dataset
        self.training_fn = training_fn
        self.training_states: Dict[str, Any] = {}

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        fn = resolve_value(self.training_fn, "training_fn")
        metric, state = fn(arch, self.dataset, budget, self.training_states.get(arch.archid))
        self.training_states[arch.archid] = state
        return metric
