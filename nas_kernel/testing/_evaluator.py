"""Checks for evaluators. An evaluator needs models to evaluate: pass ``models`` (a list of
``ArchaiModel`` or a search space to sample three from); without them the kit samples the
torch-free ``reference.IntegerSpace``, which suits evaluators that only read the archid."""
from __future__ import annotations

import json
import math
from numbers import Real
from typing import Any, Callable, List, Optional

from nas_kernel.api import ArchaiModel, AsyncModelEvaluator, DiscreteSearchSpace, ModelEvaluator
from nas_kernel.testing._naming import name_of
from nas_kernel.testing._results import fail

N_MODELS = 3


def sample_models(models: Any = None) -> List[ArchaiModel]:
    """Resolve the ``models`` input: a list, a search space, or None for the reference space."""
    if models is None:
        from nas_kernel.testing.reference import IntegerSpace

        models = IntegerSpace(seed=0)
    if isinstance(models, DiscreteSearchSpace):
        found, seen = [], set()
        for _ in range(N_MODELS * 10):
            model = models.random_sample()
            if model.archid not in seen:
                seen.add(model.archid)
                found.append(model)
            if len(found) == N_MODELS:
                break
        return found
    models = list(models)
    if not models or not all(isinstance(m, ArchaiModel) for m in models):
        raise TypeError("models must be a non-empty list of ArchaiModel or a DiscreteSearchSpace")
    return models


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))


def check_evaluate_returns_float(evaluator, *, models: Optional[Any] = None):
    for model in sample_models(models):
        value = evaluator.evaluate(model, None)
        if not _is_number(value):
            fail(f"{name_of(evaluator)}.evaluate({model.archid!r}) should return a float, got "
                 f"{type(value).__name__} {value!r:.80}")
        if math.isnan(float(value)):
            fail(f"{name_of(evaluator)}.evaluate({model.archid!r}) returned NaN on a valid sample model; NaN marks "
                 "a failed evaluation")
        try:
            json.dumps(model.metadata)
        except (TypeError, ValueError) as exc:
            fail(f"{name_of(evaluator)}.evaluate({model.archid!r}) left model.metadata that is not JSON-able "
                 f"({exc}); the store writes it as JSON")


def _fetch(evaluator, models: List[ArchaiModel], order: str) -> List[Any]:
    for model in models:
        evaluator.send(model, None)
    values = evaluator.fetch_all()
    try:
        values = list(values)
    except TypeError:
        fail(f"{name_of(evaluator)}.fetch_all() should return a list, got {type(values).__name__}")
    if len(values) != len(models):
        fail(f"{name_of(evaluator)}.fetch_all() returned {len(values)} values after {len(models)} send() calls "
             f"({order}); expected one value per send")
    for model, value in zip(models, values):
        if value is not None and not _is_number(value):
            fail(f"{name_of(evaluator)}.fetch_all() gave {type(value).__name__} {value!r:.80} for "
                 f"{model.archid!r}; expected a float, or None for a failed job")
    return values


def check_async_fetch_matches_send_order(evaluator, *, models: Optional[Any] = None):
    models = sample_models(models)
    forward = _fetch(evaluator, models, "in sample order")
    again = evaluator.fetch_all()
    if again is None or len(list(again)) != 0:
        fail(f"{name_of(evaluator)}.fetch_all() called again with nothing sent returned {again!r:.80}; "
             "fetch_all must empty the queue")
    if all(v is None for v in forward):
        fail(f"{name_of(evaluator)}: every job failed (fetch_all gave only None) for {[m.archid for m in models]}")
    backward = _fetch(evaluator, models[::-1], "in reverse order")[::-1]
    for model, a, b in zip(models, forward, backward):
        if (a is None) != (b is None) or (a is not None and not _close(float(a), float(b))):
            fail(f"{name_of(evaluator)}: {model.archid!r} got {a!r} when sent in sample order and {b!r} when sent "
                 "in reverse order; fetch_all must return results in send order")


def evaluator_checks(evaluator) -> List[Callable[..., None]]:
    checks = []
    if isinstance(evaluator, ModelEvaluator):
        checks.append(check_evaluate_returns_float)
    if isinstance(evaluator, AsyncModelEvaluator):
        checks.append(check_async_fetch_matches_send_order)
    return checks
