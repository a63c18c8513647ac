"""The Archai-style exports of a search (``search_state.csv``, ``pareto.json``,
``evaluations.yaml`` (the cache), ``plots/``, ``pareto_models/``), written from the loop's results,
and the store reader ``nas results`` uses on running or copied runs."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List

from nas_kernel.api.evaluation import budget_key
from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.objectives import SearchObjectives
from nas_kernel.api.results import SearchResults
from nas_kernel.run_files import CACHE_YAML, PARETO_JSON, PARETO_MODELS, PLOTS, SEARCH_STATE  # noqa: F401
from nas_kernel.store import Store, StoreError, db_path
from nas_kernel.training_facts import FACTS, training_facts


@dataclass
class ObjectiveSchema:
    """Objective names and directions as stored: enough to rank results without evaluators."""

    specs: List[Dict[str, Any]]

    @property
    def objective_names(self) -> List[str]:
        return [s["name"] for s in self.specs]

    @property
    def higher_is_better(self) -> Dict[str, bool]:
        return {s["name"]: bool(s["higher_is_better"]) for s in self.specs}

    def is_expensive(self, name: str) -> bool:
        return any(s["name"] == name and s["compute_intensive"] for s in self.specs)


def open_store(output_dir: str) -> Store:
    return Store(db_path(output_dir), readonly=True)


def load_results(output_dir: str, search_space: Any = None) -> SearchResults:
    """The search state as recorded so far (works while the search is still writing): what
    ``nas results`` reads from a running, finished or copied run."""
    store = open_store(output_dir)
    try:
        specs = store.get_json("objectives")
        if specs is None:
            raise StoreError(f"{db_path(output_dir)} holds no search yet")
        evaluations = list(store.evaluations())
        candidates = store.candidates()
    finally:
        store.close()
    schema = ObjectiveSchema(specs)
    values = {(name, archid, budget_key(budget)): ev.value if ev.ok else None
              for name, archid, budget, ev in evaluations}
    trained = [n for n in schema.objective_names if schema.is_expensive(n)]
    facts = _trained_facts(evaluations, trained)
    results = SearchResults(search_space, schema)
    by_iteration: Dict[int, list] = {}
    for iteration, archid, bkey, extra, wall in candidates:
        by_iteration.setdefault(iteration, []).append((archid, bkey, extra, wall))
    for iteration in sorted(by_iteration):
        rows = by_iteration[iteration]
        models = [ArchaiModel(None, archid) for archid, _, _, _ in rows]
        objective_values: Dict[str, List[float]] = {}
        for name in schema.objective_names:
            col = []
            for archid, bkey, _, _ in rows:
                value = values.get((name, archid, bkey if schema.is_expensive(name) else ""))
                col.append(math.nan if value is None else value)
            objective_values[name] = col
        extra_keys: List[str] = []
        for _, _, extra, _ in rows:
            extra_keys.extend(k for k in extra if k not in extra_keys)
        extra_cols = {k: [extra.get(k) for _, _, extra, _ in rows] for k in extra_keys}
        # what the (first) trained objective's evaluator recorded: epochs, ACT stop, momentum
        found = [facts.get((archid, bkey), {}) for archid, bkey, _, _ in rows]
        for key, column in _fact_columns(found).items():
            extra_cols.setdefault(key, column)
        results.add_iteration_results(models, objective_values, extra_cols,
                                      walltime_hours=[w for _, _, _, w in rows])
    return results


def write_exports(output_dir: str, results: SearchResults, evaluations: Iterable[Any],
                  save_weights: bool = False) -> Dict[str, Any]:
    """Write every export of a search from its one results object (the loop's, which a resumed
    run rebuilt from the store's values); ``evaluations`` (the open store's, failed ones
    included) become the cache."""
    paths: Dict[str, Any] = {}
    evaluations = list(evaluations)
    paths["search_state"] = os.path.join(output_dir, SEARCH_STATE)
    with_training_facts(results.get_search_state_df(), results, evaluations).to_csv(paths["search_state"],
                                                                                   index=False)
    paths["pareto"] = os.path.join(output_dir, PARETO_JSON)
    write_pareto_json(results, paths["pareto"])
    cache = SearchObjectives()
    cache.preload(evaluations)
    paths["cache"] = os.path.join(output_dir, CACHE_YAML)
    cache.save_cache(paths["cache"])
    if len(results.objectives.objective_names) >= 2:
        paths["plots"] = results.save_all_2d_pareto_evolution_plots(os.path.join(output_dir, PLOTS))
    if results.search_space is not None:
        paths["pareto_models"] = results.save_pareto_frontier_models(os.path.join(output_dir, PARETO_MODELS),
                                                                     save_weights=save_weights)
    return paths


def with_training_facts(state: Any, results: SearchResults, evaluations: List[Any]) -> Any:
    """The search-state table with a column per training fact some row has (epochs trained, ACT
    stop, momentum, Ray node: ``nas_kernel.training_facts``), read from the evaluations of the
    first expensive objective, before ``iteration_num``."""
    facts = _trained_facts(evaluations, _expensive_names(results.objectives))
    if not facts or state.empty:
        return state
    budgets = state["budget"] if "budget" in state.columns else [None] * len(state)
    found = [facts.get((archid, budget_key(None if _missing(b) else b)), {})
             for archid, b in zip(state["archid"], budgets)]
    position = list(state.columns).index("iteration_num")
    for key, column in _fact_columns(found).items():
        if key not in state.columns:
            state.insert(position, key, column)
            position += 1
    return state


def _trained_facts(evaluations: Iterable[Any], trained: List[str]) -> Dict[Any, Dict[str, Any]]:
    """``(archid, budget key) -> training facts`` of the first trained objective's evaluations:
    what its evaluator recorded about itself (epochs, ACT stop, momentum, Ray node)."""
    if not trained:
        return {}
    return {(archid, budget_key(budget)): training_facts(ev.metadata)
            for name, archid, budget, ev in evaluations if name == trained[0] and ev.metadata}


def _fact_columns(found: List[Dict[str, Any]]) -> Dict[str, List[Any]]:
    """One column per training fact that some row has, in ``FACTS`` order."""
    return {key: [f.get(key) for f in found] for key in FACTS if any(key in f for f in found)}


def _expensive_names(objectives: Any) -> List[str]:
    names = getattr(objectives, "expensive_objective_names", None)
    if names is not None:
        return list(names)
    return [n for n in objectives.objective_names if objectives.is_expensive(n)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pareto_rows(results: SearchResults) -> List[Dict[str, Any]]:
    """The Pareto front of ``results`` as rows (archid, iteration, one value per objective, None
    for a missing one): what ``pareto.json`` holds and trackers log, so both stay valid JSON."""
    front = results.get_pareto_frontier()
    rows = []
    for pos, model in enumerate(front["models"]):
        row: Dict[str, Any] = {"archid": model.archid, "iteration": int(front["iteration_nums"][pos])}
        for name, col in front["evaluation_results"].items():
            row[name] = None if math.isnan(col[pos]) else float(col[pos])
        rows.append(row)
    return rows


def write_pareto_json(results: SearchResults, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(pareto_rows(results), f, indent=2)
