"""Results of a search: every evaluated model per iteration, the Pareto front, and the
Archai-style exports (search-state data frame/CSV, Pareto models, 2-D Pareto evolution plots).

The front over all iterations is kept incrementally (``ParetoArchive``), so recording an
iteration costs time proportional to the front, not to the history.
"""
from __future__ import annotations

import itertools
import math
import os
import time
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.overridable import OpenOverrides
from nas_kernel.pareto import ParetoArchive, pareto_front_indices, to_minimization
from nas_kernel.paths import inside, safe_filename
from nas_kernel.run_files import WEIGHTS_SUFFIX

__all__ = ["SearchResults"]


class SearchResults(OpenOverrides):
    """All models a search evaluated, in iteration order, with their objective values."""

    def __init__(self, search_space: Any, objectives: Any) -> None:
        self.search_space = search_space
        self.objectives = objectives
        self.iteration_num = 0
        self.init_time = time.time()
        self.search_walltimes: List[float] = []
        self.results: List[Dict[str, list]] = []
        self._archive: Optional[ParetoArchive] = None
        self._locations: List[Tuple[int, int]] = []  # global index -> (iteration, position)
        self._count = 0

    # ---- recording -------------------------------------------------------------------------
    def add_iteration_results(
        self,
        models: Sequence[ArchaiModel],
        evaluation_results: Dict[str, Sequence[float]],
        extra_model_data: Optional[Dict[str, Sequence[Any]]] = None,
        walltime_hours: Optional[Sequence[float]] = None,
    ) -> None:
        """Append one iteration. ``walltime_hours`` overrides the clock (used when a run resumes)."""
        names = self._objective_names(evaluation_results)
        missing = [n for n in names if n not in evaluation_results]
        if missing:
            raise ValueError(f"evaluation_results lacks objective(s) {missing}")
        n = len(models)
        clash = set(extra_model_data or {}) & (set(names) | {"archid", "models"})
        if clash:
            raise ValueError(f"extra_model_data column(s) {sorted(clash)} clash with an objective or the "
                             "table's own columns" + ("; a multi-fidelity searcher writes the budget column: "
                                                      "rename the objective 'budget'" if "budget" in clash else ""))
        for key, col in itertools.chain(evaluation_results.items(), (extra_model_data or {}).items()):
            if len(col) != n:
                raise ValueError(f"column {key!r} has {len(col)} values for {n} models")
        entry: Dict[str, list] = {"archid": [m.archid for m in models], "models": list(models)}
        entry.update({k: list(v) for k, v in evaluation_results.items()})
        entry.update({k: list(v) for k, v in (extra_model_data or {}).items()})
        self.results.append(entry)
        if walltime_hours is None:
            now = (time.time() - self.init_time) / 3600
            walltime_hours = [now] * n
        self.search_walltimes.extend(float(w) for w in walltime_hours)
        self._update_archive(evaluation_results, n)
        self.iteration_num += 1

    def _objective_names(self, fallback: Dict[str, Any]) -> List[str]:
        if self.objectives is not None:
            return list(self.objectives.objective_names)
        return list(fallback)

    def _higher_is_better(self) -> Dict[str, bool]:
        if self.objectives is not None:
            return dict(self.objectives.higher_is_better)
        return {k: False for k in self.results[0] if k not in ("archid", "models")} if self.results else {}

    def _update_archive(self, evaluation_results, n: int) -> None:
        hib = self._higher_is_better()
        if self._archive is None:
            self._archive = ParetoArchive(len(hib))
        points = to_minimization({k: evaluation_results[k] for k in hib}, hib) if hib else np.zeros((n, 0))
        iteration = len(self.results) - 1
        for offset in range(n):
            self._archive.add(self._count + offset, points[offset])
            self._locations.append((iteration, offset))
        self._count += n

    # ---- reading ---------------------------------------------------------------------------
    @property
    def all_evaluated_objs(self) -> Dict[str, np.ndarray]:
        names = self._objective_names(self.results[0] if self.results else {})
        return {
            name: np.array([v for it in self.results for v in it[name]], dtype=np.float32) for name in names
        }

    def _flat(self, start: int, end: int) -> Tuple[List[ArchaiModel], Dict[str, np.ndarray], List[int]]:
        models, iters = [], []
        hib = self._higher_is_better()
        values: Dict[str, list] = {k: [] for k in hib}
        for it in range(start, end):
            entry = self.results[it]
            models.extend(entry["models"])
            iters.extend([it] * len(entry["models"]))
            for k in values:
                values[k].extend(entry[k])
        return models, {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}, iters

    def get_pareto_frontier(self, start_iteration: int = 0, end_iteration: Optional[int] = None) -> Dict[str, Any]:
        """The front over iterations ``[start, end)`` (``end`` None or 0 means all)."""
        end = end_iteration or self.iteration_num
        if start_iteration == 0 and end == self.iteration_num and self._archive is not None:
            return self._current_front()
        models, values, iters = self._flat(start_iteration, end)
        indices = pareto_front_indices(to_minimization(values, self._higher_is_better()))
        return {
            "models": [models[i] for i in indices],
            "evaluation_results": {k: v[indices] for k, v in values.items()},
            "indices": np.asarray(indices, dtype=int),
            "iteration_nums": np.asarray([iters[i] for i in indices], dtype=int),
        }

    def _current_front(self) -> Dict[str, Any]:
        """The front over everything, read from the archive: cost proportional to the front."""
        indices = sorted(self._archive.indices)
        where = [self._locations[i] for i in indices]
        names = list(self._higher_is_better())
        return {
            "models": [self.results[it]["models"][pos] for it, pos in where],
            "evaluation_results": {k: np.asarray([self.results[it][k][pos] for it, pos in where], dtype=np.float64)
                                   for k in names},
            "indices": np.asarray(indices, dtype=int),
            "iteration_nums": np.asarray([it for it, _ in where], dtype=int),
        }

    def get_search_state_df(self):
        """One row per evaluated model: archid, objectives, searcher columns, iteration_num,
        search_walltime_hours, is_pareto (over all iterations) - Archai's column order."""
        import pandas as pd

        names = self._objective_names(self.results[0] if self.results else {})
        front = set(self._archive.indices) if self._archive is not None else set()
        extra_cols: List[str] = []
        for entry in self.results:
            for key in entry:
                if key not in ("archid", "models") and key not in names and key not in extra_cols:
                    extra_cols.append(key)
        columns: Dict[str, list] = {"archid": []}
        columns.update({n: [] for n in names})
        columns.update({c: [] for c in extra_cols})
        columns["iteration_num"] = []
        for it, entry in enumerate(self.results):
            count = len(entry["archid"])
            columns["archid"].extend(entry["archid"])
            for key in names + extra_cols:
                columns[key].extend(entry.get(key, [math.nan] * count))
            columns["iteration_num"].extend([it] * count)
        columns["search_walltime_hours"] = list(self.search_walltimes)
        columns["is_pareto"] = [i in front for i in range(len(columns["archid"]))]
        return pd.DataFrame(columns)

    def save_search_state(self, file_path: str) -> None:
        self.get_search_state_df().to_csv(file_path, index=False)

    def save_pareto_frontier_models(self, directory: str, save_weights: bool = False) -> List[str]:
        """Save every front member with the search space's ``save_arch`` and, with
        ``save_weights``, its weights through the space's ``save_model_weights`` as
        ``{archid}_weights.pt``, for every front model as Archai does, also one whose ``arch`` is
        None (a space may keep weights by archid; a lazily given model is built). When that call
        fails on a model whose architecture was cleared, the archid is named in a warning instead;
        any other failure is raised. File names come from ``safe_filename(archid)``."""
        os.makedirs(directory, exist_ok=True)
        written, cleared = [], []
        for model in self.get_pareto_frontier()["models"]:
            base = inside(directory, safe_filename(model.archid))
            self.search_space.save_arch(model, base)
            written.append(base)
            if not save_weights:
                continue
            try:
                self.search_space.save_model_weights(model, base + WEIGHTS_SUFFIX)
            except Exception:
                if model.is_built and model.arch is None:  # cleared: nothing left to save
                    cleared.append(model.archid)
                    continue
                raise
            written.append(base + WEIGHTS_SUFFIX)
        if cleared:
            warnings.warn(
                f"save_pareto_frontier_models: no weights for {len(cleared)} front model(s) whose "
                f"architecture was cleared ({', '.join(cleared[:5])}{', ...' if len(cleared) > 5 else ''}); "
                "keep them with clear_evaluated_models=False or save_pareto_model_weights=True",
                UserWarning, stacklevel=2)
        return written

    # ---- plots -----------------------------------------------------------------------------
    def plot_2d_pareto_evolution(self, objective_names: Tuple[str, str], figsize=(10, 5)):
        """Scatter every model coloured by iteration, with the front after each iteration drawn
        as a step line (one pass over the iterations, the front kept incrementally)."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        x_name, y_name = objective_names
        hib = self._higher_is_better()
        for name in (x_name, y_name):
            if name not in hib:
                raise ValueError(f"unknown objective {name!r}; objectives are {list(hib)}")
        fig, ax = plt.subplots(figsize=figsize)
        cmap = plt.get_cmap("viridis")
        total = max(1, self.iteration_num - 1)
        archive = ParetoArchive(2)
        xs: List[float] = []
        ys: List[float] = []
        for it, entry in enumerate(self.results):
            color = cmap(it / total)
            x = np.asarray(entry[x_name], dtype=float)
            y = np.asarray(entry[y_name], dtype=float)
            ax.scatter(x, y, s=12, color=color, alpha=0.5)
            for xv, yv in zip(x, y):
                point = (-xv if hib[x_name] else xv, -yv if hib[y_name] else yv)
                archive.add(len(xs), point)
                xs.append(xv)
                ys.append(yv)
            order = sorted(archive.indices, key=lambda i: xs[i])
            if order:
                ax.step([xs[i] for i in order], [ys[i] for i in order], where="post", color=color,
                        label=f"iteration {it}" if it in (0, self.iteration_num - 1) else None)
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
        ax.set_title(f"Pareto front evolution: {x_name} vs {y_name}")
        if self.results:
            ax.legend(loc="best")
        fig.tight_layout()
        return fig

    def save_2d_pareto_evolution_plot(self, objective_names: Tuple[str, str], file_path: str):
        import matplotlib.pyplot as plt

        fig = self.plot_2d_pareto_evolution(objective_names)
        fig.savefig(file_path)
        plt.close(fig)
        return file_path

    def save_all_2d_pareto_evolution_plots(self, directory: str) -> List[str]:
        os.makedirs(directory, exist_ok=True)
        names = self._objective_names(self.results[0] if self.results else {})
        paths = []
        for x_name, y_name in itertools.combinations(names, 2):
            path = inside(directory, safe_filename(f"pareto_{x_name}_vs_{y_name}") + ".png")
            paths.append(self.save_2d_pareto_evolution_plot((x_name, y_name), path))
        return paths
