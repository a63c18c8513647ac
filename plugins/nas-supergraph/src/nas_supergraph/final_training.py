"""``final_training``: a kernel evaluator that trains a supergraph-built model from scratch and
returns its validation accuracy (the ``Evaluater`` behind a ``ModelEvaluator``)."""
from __future__ import annotations

from typing import Any, Optional

from overrides import overrides

from nas_kernel import ModelEvaluator
from nas_supergraph.data import describe, resolve_dataset
from nas_supergraph.descs import ModelDesc


class FinalTraining(ModelEvaluator):
    """Train ``Model(desc)`` for ``epochs`` (times ``budget`` when a searcher gives one) and
    return validation accuracy. ``init_channels`` / ``n_cells`` re-lay the cells out wider or
    deeper than searched (DARTS evaluates bigger nets than it searches)."""

    def __init__(self, dataset: Any = None, epochs: int = 5, batch_size: int = 64, lr: float = 0.05,
                 momentum: float = 0.9, weight_decay: float = 3e-4, drop_path_prob: float = 0.0,
                 aux_weight: float = 0.0, init_channels: Optional[int] = None, n_cells: Optional[int] = None,
                 seed: int = 1, num_threads: int = 1) -> None:
        from nas_supergraph.evaluater import Evaluater

        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be a positive whole number, got {num_threads!r}")
        for name, value in (("init_channels", init_channels), ("n_cells", n_cells)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive whole number or null, got {value!r}")
        self.evaluater = Evaluater(epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum,
                                   weight_decay=weight_decay, drop_path_prob=drop_path_prob,
                                   aux_weight=aux_weight, seed=seed)
        self.dataset, self.seed, self.num_threads = dataset, seed, num_threads
        self.init_channels, self.n_cells = init_channels, n_cells
        self._provider = None

    def provider(self) -> Any:
        if self._provider is None:
            self._provider = resolve_dataset(self.dataset, self.seed)
        return self._provider

    def final_desc(self, model: Any) -> ModelDesc:
        desc = getattr(model.arch, "desc", None)
        if not isinstance(desc, ModelDesc):
            raise TypeError(f"final_training needs a model built from a ModelDesc (darts_cells), got "
                            f"{type(model.arch).__name__}")
        if self.init_channels is None and self.n_cells is None:
            return desc
        from nas_supergraph.model_desc_builder import ModelDescBuilder

        builder = ModelDescBuilder.from_macro_params(desc.params["macro"], init_channels=self.init_channels,
                                                     n_cells=self.n_cells)
        return builder.build(desc)

    @overrides
    def evaluate(self, arch, budget=None):
        model = arch  # Archai names the parameter ``arch``; the body says model
        import copy

        import torch

        torch.set_num_threads(self.num_threads)
        desc = self.final_desc(model)
        provider = self.provider()
        in_channels, num_classes = describe(provider)
        macro = desc.params.get("macro", {})
        if (macro.get("in_channels"), macro.get("num_classes")) != (in_channels, num_classes):
            raise ValueError(f"the model expects {macro.get('in_channels')} input channels and "
                             f"{macro.get('num_classes')} classes; the dataset has {in_channels} and {num_classes}")
        evaluater = self.evaluater
        if budget is not None:
            evaluater = copy.copy(evaluater)
            evaluater.epochs = max(1, round(self.evaluater.epochs * float(budget)))
        result = evaluater.train(desc, provider)
        model.metadata["epochs"] = evaluater.epochs
        return float(result["val_acc"])
