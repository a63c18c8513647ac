"""Search objectives and constraints, evaluated through one cache keyed by (objective, archid, budget).

Semantics follow Archai's ``SearchObjectives`` so ported code behaves the same (constraint values
are cached under the objective's own key and reused as objective values; async evaluators are
sent first, then sync ones run, then async results are fetched). Differences, on purpose:
evaluator exceptions and NaN are recorded as failed evaluations instead of aborting the search;
failures are cached like successes (a search never spends its budget retrying the same crash);
the cache file is plain YAML read with the safe loader.
"""
from __future__ import annotations

import math
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from nas_kernel.api.evaluation import Evaluation, budget_key, normalize_budget, outcome
from nas_kernel.api.evaluator import AsyncModelEvaluator, ModelEvaluator
from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.objective_rules import (ObjectiveRuleError, check_constraint_is_cheap, check_constraint_range,
                                            check_objective_name)
from nas_kernel.api.overridable import OpenOverrides
from nas_kernel.api.stop import StopSearch

__all__ = ["SearchConstraint", "SearchObjective", "SearchObjectives"]

Recorder = Callable[[str, ArchaiModel, Optional[float], Evaluation], None]


class _Entry(OpenOverrides):
    """Attribute access is the contract (as in Archai); item access (``obj["evaluator"]``) stays
    for code written against the earlier dict form."""

    _fields: Tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        if key not in self._fields:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self._fields else default

    def __contains__(self, key: object) -> bool:
        return key in self._fields

    def keys(self) -> List[str]:
        return list(self._fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields)
        return f"{type(self).__name__}({inner})"


class SearchConstraint(_Entry):
    """A range a model's value must lie in (inclusive) before any expensive work is spent on it."""

    _fields = ("name", "evaluator", "constraint", "compute_intensive")

    def __init__(self, name: str, evaluator: Any, constraint: Tuple[float, float]) -> None:
        self.name = name
        self.evaluator = evaluator
        self.constraint = constraint
        self.compute_intensive = False


class SearchObjective(_Entry):
    """One objective: its evaluator, direction, cost class and optional constraint."""

    _fields = ("name", "evaluator", "higher_is_better", "compute_intensive", "constraint")

    def __init__(self, name: str, model_evaluator: Any, higher_is_better: bool, compute_intensive: bool,
                 constraint: Optional[Tuple[float, float]]) -> None:
        self.name = name
        self.evaluator = model_evaluator
        self.higher_is_better = higher_is_better
        self.compute_intensive = compute_intensive
        self.constraint = constraint


class SearchObjectives(OpenOverrides):
    """The objectives a search optimises and the constraints a model must satisfy."""

    def __init__(self, cache_objective_evaluation: bool = True) -> None:
        self.cache_objective_evaluation = cache_objective_evaluation
        self._objs: Dict[str, SearchObjective] = {}
        self._extra_constraints: Dict[str, SearchConstraint] = {}
        self._cache: Dict[Tuple[str, str, str], Evaluation] = {}
        self.recorders: List[Recorder] = []

    # ---- declaring -------------------------------------------------------------------------
    def add_objective(
        self,
        name: str,
        model_evaluator: Any,
        higher_is_better: bool,
        compute_intensive: bool = True,
        constraint: Optional[Tuple[float, float]] = None,
    ) -> None:
        self._declare("objective", name, model_evaluator)
        constraint = _ruled("objective", name, check_constraint_range, constraint)
        _ruled("objective", name, check_constraint_is_cheap, constraint, compute_intensive)
        self._objs[name] = SearchObjective(name, model_evaluator, bool(higher_is_better),
                                           bool(compute_intensive), constraint)

    def add_constraint(self, name: str, model_evaluator: Any, constraint: Tuple[float, float]) -> None:
        self._declare("constraint", name, model_evaluator)
        constraint = _ruled("constraint", name, check_constraint_range, constraint, required=True)
        self._extra_constraints[name] = SearchConstraint(name, model_evaluator, constraint)

    def _declare(self, what: str, name: str, evaluator: Any) -> None:
        taken = {**{n: "an objective" for n in self._objs}, **{n: "a constraint" for n in self._extra_constraints}}
        _ruled(what, name, check_objective_name, name, taken)
        if not isinstance(evaluator, (ModelEvaluator, AsyncModelEvaluator)):
            raise TypeError(
                f"{name!r}: evaluator must be a ModelEvaluator or AsyncModelEvaluator, got {type(evaluator).__name__}"
            )

    # ---- views -----------------------------------------------------------------------------
    @property
    def objectives(self) -> Dict[str, SearchObjective]:
        return self._objs

    @property
    def objective_names(self) -> List[str]:
        return list(self._objs)

    @property
    def cheap_objectives(self) -> Dict[str, SearchObjective]:
        return {n: o for n, o in self._objs.items() if not o.compute_intensive}

    @property
    def cheap_objective_names(self) -> List[str]:
        return list(self.cheap_objectives)

    @property
    def expensive_objectives(self) -> Dict[str, SearchObjective]:
        return {n: o for n, o in self._objs.items() if o.compute_intensive}

    @property
    def expensive_objective_names(self) -> List[str]:
        return list(self.expensive_objectives)

    @property
    def constraints(self) -> Dict[str, SearchConstraint]:
        """Extra constraints only (cheap objectives may carry constraints of their own)."""
        return self._extra_constraints

    @property
    def higher_is_better(self) -> Dict[str, bool]:
        return {n: o.higher_is_better for n, o in self._objs.items()}

    @property
    def all_constraints(self) -> Dict[str, Any]:
        """Every constraint checked before expensive work: extra constraints plus cheap
        objectives that carry one."""
        found = dict(self._extra_constraints)
        found.update({n: o for n, o in self.cheap_objectives.items() if o.constraint is not None})
        return found

    # ---- evaluating ------------------------------------------------------------------------
    def validate_constraints(
        self, models: Sequence[ArchaiModel], progress_bar: bool = False
    ) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
        """Evaluate every constraint; return (values per constraint, indices of valid models)."""
        constraints = self.all_constraints
        if not constraints:
            return {}, np.arange(len(models))
        values = self._eval_objs(constraints, models, None, progress_bar)
        valid = np.ones(len(models), dtype=bool)
        for name, spec in constraints.items():
            lo, hi = spec.constraint
            col = values[name]
            with np.errstate(invalid="ignore"):
                valid &= (col >= lo) & (col <= hi)  # NaN (failed) is never valid
        return values, np.nonzero(valid)[0]

    def is_model_valid(self, model: ArchaiModel) -> bool:
        """Same answer as ``validate_constraints([model])``, without building arrays: searchers
        call it for every candidate they try."""
        for name, spec in self.all_constraints.items():
            hit = self._cache.get((name, model.archid, "")) if self.cache_objective_evaluation else None
            if hit is not None:
                value = hit.number
            elif isinstance(spec.evaluator, AsyncModelEvaluator):
                value = self._eval_objs({name: spec}, [model])[name][0]
            else:
                evaluation = _run_sync(spec.evaluator, model, None)
                self._settle(name, [model], 0, None, evaluation, {(name, model.archid, ""): [0]}, {name: [0.0]})
                value = evaluation.number
            lo, hi = spec.constraint
            if not lo <= value <= hi:  # False for NaN too
                return False
        return True

    def eval_cheap_objs(self, models, budgets=None, progress_bar=False) -> Dict[str, np.ndarray]:
        return self._eval_objs(self.cheap_objectives, models, budgets, progress_bar)

    def eval_expensive_objs(self, models, budgets=None, progress_bar=False) -> Dict[str, np.ndarray]:
        return self._eval_objs(self.expensive_objectives, models, budgets, progress_bar)

    def eval_all_objs(self, models, budgets=None, progress_bar=False) -> Dict[str, np.ndarray]:
        return self._eval_objs(self._objs, models, budgets, progress_bar)

    def _eval_objs(
        self,
        objs: Dict[str, Any],
        models: Sequence[ArchaiModel],
        budgets: Optional[Dict[str, Sequence[Any]]] = None,
        progress_bar: bool = False,
    ) -> Dict[str, np.ndarray]:
        if not objs or not models:
            return {}
        budgets = budgets or {}
        results: Dict[str, List[float]] = {}
        sync_jobs: List[Tuple[str, int, Optional[float]]] = []
        async_jobs: Dict[str, List[Tuple[int, Optional[float]]]] = {}
        pending: Dict[Tuple[str, str, str], List[int]] = {}

        for name, spec in objs.items():
            model_budgets = list(budgets.get(name, [None] * len(models)))
            if len(model_budgets) != len(models):
                raise ValueError(f"budgets[{name!r}] has {len(model_budgets)} entries for {len(models)} models")
            results[name] = [math.nan] * len(models)
            for i, (model, budget) in enumerate(zip(models, model_budgets)):
                budget = normalize_budget(budget)
                key = (name, model.archid, budget_key(budget))
                hit = self._cache.get(key) if self.cache_objective_evaluation else None
                if hit is not None:
                    results[name][i] = hit.number
                    model.metadata.update(hit.metadata)
                    continue
                if key in pending:  # the same (archid, budget) twice in one call: compute once
                    pending[key].append(i)
                    continue
                pending[key] = [i]
                if isinstance(spec.evaluator, AsyncModelEvaluator):
                    async_jobs.setdefault(name, []).append((i, budget))
                else:
                    sync_jobs.append((name, i, budget))

        bar = _progress(progress_bar, len(sync_jobs) + sum(map(len, async_jobs.values())))
        started: Dict[str, float] = {}
        before: Dict[Tuple[str, int], dict] = {}
        for name, jobs in async_jobs.items():
            started[name] = time.perf_counter()
            evaluator = objs[name].evaluator
            for i, budget in jobs:
                before[(name, i)] = dict(models[i].metadata)
                evaluator.send(models[i], budget)
        for name, i, budget in sync_jobs:
            evaluation = _run_sync(objs[name].evaluator, models[i], budget)
            self._settle(name, models, i, budget, evaluation, pending, results)
            bar.update(1)
        for name, jobs in async_jobs.items():
            evaluator = objs[name].evaluator
            try:
                fetched = list(evaluator.fetch_all())
                error = None
            except StopSearch:
                raise
            except Exception as exc:  # the whole batch failed: every job in it failed
                fetched, error = [None] * len(jobs), _describe(exc)
            if len(fetched) != len(jobs):
                raise RuntimeError(
                    f"objective {name!r}: {type(evaluator).__name__}.fetch_all() returned "
                    f"{len(fetched)} results for {len(jobs)} sent models"
                )
            per_job = (time.perf_counter() - started[name]) / max(1, len(jobs))
            reasons = getattr(evaluator, "last_errors", None) or {}
            for (i, budget), value in zip(jobs, fetched):
                evaluation = outcome(value, per_job, _changed(before[(name, i)], models[i].metadata))
                if not evaluation.ok:
                    evaluation.error = error or reasons.get(models[i].archid) or evaluation.error
                self._settle(name, models, i, budget, evaluation, pending, results)
                bar.update(1)
        bar.close()
        return {name: np.asarray(vals, dtype=np.float64) for name, vals in results.items()}

    def _settle(self, name, models, i, budget, evaluation: Evaluation, pending, results) -> None:
        model = models[i]
        key = (name, model.archid, budget_key(budget))
        for j in pending[key]:
            results[name][j] = evaluation.number
            if j != i:
                models[j].metadata.update(evaluation.metadata)
        if self.cache_objective_evaluation:
            self._cache[key] = evaluation
        for record in self.recorders:
            record(name, model, budget, evaluation)

    # ---- the cache -------------------------------------------------------------------------
    def lookup_cache(self, obj_name: str, arch_id: str, budget: Optional[float] = None) -> Optional[float]:
        """The cached value, or None when not cached or when the cached evaluation failed."""
        hit = self._cache.get((obj_name, arch_id, budget_key(budget)))
        return hit.value if hit is not None and hit.ok else None

    def preload(self, entries) -> None:
        """Fill the cache with ``(objective, archid, budget, Evaluation)`` tuples (e.g. from a store)."""
        for name, archid, budget, evaluation in entries:
            self._cache[(name, archid, budget_key(budget))] = evaluation

    def save_cache(self, file_path: str) -> None:
        """Write the cache as a YAML list of plain records (safe to load anywhere), each with the
        training facts its evaluator recorded (``nas_kernel.training_facts``)."""
        import yaml

        from nas_kernel.training_facts import training_facts

        rows = []
        for (name, archid, bkey), ev in self._cache.items():
            rows.append({
                "objective": name, "archid": archid, "budget": float(bkey) if bkey else None,
                "value": ev.value, "status": ev.status, "error": ev.error, "seconds": round(ev.seconds, 6),
                **training_facts(ev.metadata),
            })
        with open(file_path, "w", encoding="utf-8") as f:
            yaml.safe_dump(rows, f, sort_keys=False)

    def load_cache(self, file_path: str) -> None:
        """Read a file written by ``save_cache``; refuses anything that is not plain records."""
        import yaml

        with open(file_path, "r", encoding="utf-8") as f:
            try:
                rows = yaml.safe_load(f)
            except yaml.YAMLError as exc:
                raise ValueError(f"{file_path}: not a cache file: {exc}") from None
        if rows is None:
            return
        if not isinstance(rows, list):
            raise ValueError(f"{file_path}: a cache file is a list of records, got {type(rows).__name__}")
        for n, row in enumerate(rows):
            if not isinstance(row, dict) or not {"objective", "archid", "value"} <= set(row):
                raise ValueError(f"{file_path}: record {n} needs objective, archid and value")
            status = row.get("status", "ok")
            if status not in ("ok", "failed"):
                raise ValueError(f"{file_path}: record {n}: status must be ok or failed, got {status!r}")
            value = row["value"]
            if value is not None and not isinstance(value, (int, float)):
                raise ValueError(f"{file_path}: record {n}: value must be a number or null")
            self._cache[(str(row["objective"]), str(row["archid"]), budget_key(row.get("budget")))] = Evaluation(
                None if value is None else float(value), status, row.get("error"), float(row.get("seconds") or 0.0)
            )


def _ruled(what: str, name: Any, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One of the declaration rules (``nas_kernel.api.objective_rules``), its refusal naming the entry."""
    try:
        return check(*args, **kwargs)
    except ObjectiveRuleError as exc:
        raise ObjectiveRuleError(f"{what} {name!r}: {exc}", field=exc.field) from None


def _run_sync(evaluator: ModelEvaluator, model: ArchaiModel, budget) -> Evaluation:
    """Evaluate once; keep the metadata the evaluator set (e.g. epochs trained) so a cache hit,
    or a resumed run, can give it back to the model."""
    before = dict(model.metadata)
    start = time.perf_counter()
    try:
        value = evaluator.evaluate(model, budget)
    except StopSearch:
        raise
    except Exception as exc:
        return Evaluation(None, "failed", _describe(exc), time.perf_counter() - start)
    return outcome(value, time.perf_counter() - start, _changed(before, model.metadata))


def _changed(before: dict, after: dict) -> dict:
    """The JSON-able metadata an evaluator added or replaced."""
    return _jsonable({k: v for k, v in after.items() if k not in before or before[k] is not v})


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _jsonable(metadata: dict) -> dict:
    """The part of a model's metadata that can be stored as JSON (numbers, strings, lists...)."""
    from nas_kernel.jsonable import json_items

    return json_items(metadata)


def _progress(enabled: bool, total: int):
    from nas_kernel.run_context import progress_enabled  # off inside a quiet run (nas search -q)

    if not progress_enabled(enabled) or total == 0:
        from nas_kernel.progress import NoBar

        return NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="evaluating", unit="eval", leave=False)
