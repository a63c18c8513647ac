"""Any callable ``fn(model, budget) -> float`` as an evaluator (Archai's ``EvaluationFunction``)."""
from __future__ import annotations

from typing import Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.references import check_reference, resolve_value


class EvaluationFunction(ModelEvaluator):
    """Calls ``evaluation_fn(model, budget)``.

    Args:
        evaluation_fn: a callable, or an importable ``"package.module:callable"`` string (the form
            YAML uses; it is imported on first evaluation, which keeps the evaluator picklable for
            process pools and Ray).
    """

    def __init__(self, evaluation_fn) -> None:
        check_reference(evaluation_fn, "evaluation_fn")
        self.evaluation_fn = evaluation_fn

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        fn = resolve_value(self.evaluation_fn, "evaluation_fn")
        return fn(arch, budget)
