"""The Archai-style exports of a search (the search state CSV, the Pareto JSON, the evaluation
cache YAML, the plots and the Pareto models: names in ``nas_kernel.run_files``), written from the
loop's results. This module only writes: reading a store is ``nas_kernel.store_reader``'s job."""
from __future__ import annotations

import json
import math
import os
from typing import Any, Dict, Iterable, List

from nas_kernel.api.objectives import SearchObjectives
from nas_kernel.api.results import SearchResults
from nas_kernel.run_files import CACHE_YAML, PARETO_JSON, PARETO_MODELS, PLOTS, SEARCH_STATE
from nas_kernel.store_reader import with_training_facts

__all__ = ["pareto_rows", "write_exports", "write_pareto_json"]


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
