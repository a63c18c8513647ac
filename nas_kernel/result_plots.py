"""The figures of ``nas results plot`` beyond the Pareto-evolution plots: best-so-far of each
objective against evaluations and against wall time, a parallel-coordinates view of every
model's objectives, and one figure comparing several runs.

All of them are drawn from the store (read-only, so a running search can be plotted) with the
rule the dashboard uses: only candidates count (models a constraint rejected were evaluated on
the cheap objectives but are not part of the search), in the order their evaluations were
written; a failed evaluation counts as an evaluation that improved nothing. Each ``*_figure``
function returns the matplotlib Figure so tests can read the plotted data back.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from nas_kernel.api.evaluation import budget_key
from nas_kernel.pareto import pareto_front_indices, to_minimization
from nas_kernel.paths import inside, safe_filename
from nas_kernel.store import StoreError, db_path
from nas_kernel.store_reader import read_run

__all__ = ["RunSeries", "best_so_far", "best_so_far_figure", "comparison_figure", "parallel_coordinates_figure",
           "read_series", "save_figure", "shared_objectives", "write_run_plots"]


@dataclass
class RunSeries:
    """What the figures need from one run's store."""

    label: str
    objectives: List[Dict[str, object]]
    start: float
    # objective -> (seconds since the store was created, value or NaN) per evaluation, in order
    evaluations: Dict[str, List[Tuple[float, float]]] = field(default_factory=dict)
    # one row per candidate: iteration, archid and its value of every objective (NaN if missing)
    models: List[Dict[str, object]] = field(default_factory=list)

    @property
    def names(self) -> List[str]:
        return [str(o["name"]) for o in self.objectives]

    def higher_is_better(self, name: str) -> bool:
        return any(o["name"] == name and bool(o["higher_is_better"]) for o in self.objectives)


def read_series(directory: str, label: Optional[str] = None) -> RunSeries:
    """The run in ``directory`` as plotted (raises ``StoreError`` when there is no search)."""
    run = read_run(directory)
    if not run.schema.specs:
        raise StoreError(f"{db_path(directory)} holds no search yet")
    series = RunSeries(label or os.path.basename(os.path.abspath(directory)), run.schema.specs, run.created)
    keys = {(c.archid, c.budget_key) for c in run.candidates}
    archids = {c.archid for c in run.candidates}
    for name, archid, budget, ev, when in run.evaluations:
        counted = (archid, budget_key(budget)) in keys if run.schema.is_expensive(name) else archid in archids
        if name in series.names and counted:
            series.evaluations.setdefault(name, []).append((float(when) - run.created, ev.number))
    for c in run.candidates:
        row: Dict[str, object] = {"iteration": int(c.iteration), "archid": c.archid}
        row.update({name: run.value(name, c.archid, c.budget_key) for name in series.names})
        series.models.append(row)
    return series


def best_so_far(values: Sequence[float], higher_is_better: bool) -> np.ndarray:
    """The running best of ``values`` (NaN = failed, never the best; NaN until a first value)."""
    out = np.full(len(values), np.nan)
    best = math.nan
    for i, v in enumerate(values):
        if not math.isnan(v) and (math.isnan(best) or (v > best if higher_is_better else v < best)):
            best = v
        out[i] = best
    return out


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def best_so_far_figure(series: RunSeries):
    """One row per objective: best-so-far against the evaluation count and against wall time."""
    plt = _pyplot()
    names = series.names
    fig, axes = plt.subplots(len(names), 2, figsize=(11, 3.2 * len(names)), squeeze=False)
    for row, name in enumerate(names):
        hib = series.higher_is_better(name)
        points = series.evaluations.get(name, [])
        best = best_so_far([v for _, v in points], hib)
        count = np.arange(1, len(points) + 1)
        seconds = np.array([t for t, _ in points])
        axes[row][0].step(count, best, where="post", color="tab:blue")
        axes[row][0].set_xlabel("evaluations")
        axes[row][1].step(seconds, best, where="post", color="tab:blue")
        axes[row][1].set_xlabel("wall time (s)")
        for ax in axes[row]:
            ax.set_ylabel(f"best {name}")
            ax.grid(alpha=0.3)
        axes[row][0].set_title(f"best {name} ({'max' if hib else 'min'}) so far")
    fig.suptitle(f"{series.label}: best so far")
    fig.tight_layout()
    return fig


def _front_mask(series: RunSeries, names: Sequence[str]) -> np.ndarray:
    columns = {n: [float(m[n]) for m in series.models] for n in names}
    points = to_minimization(columns, {n: series.higher_is_better(n) for n in names})
    mask = np.zeros(len(series.models), dtype=bool)
    if len(series.models):
        finite = ~np.isnan(points).any(axis=1)
        idx = np.flatnonzero(finite)
        mask[idx[pareto_front_indices(points[finite])]] = True
    return mask


def parallel_coordinates_figure(series: RunSeries):
    """Every candidate as a line across one vertical axis per objective, each axis scaled to its
    own range with "better" at the top; Pareto-front members drawn in red, the rest coloured
    by iteration. Failed models (a NaN value) are left out."""
    plt = _pyplot()
    names = series.names
    fig, ax = plt.subplots(figsize=(max(6, 2.6 * len(names)), 4.5))
    data = np.array([[float(m[n]) for n in names] for m in series.models], dtype=float).reshape(-1, len(names))
    keep = ~np.isnan(data).any(axis=1)
    front = _front_mask(series, names)
    iterations = np.array([m["iteration"] for m in series.models], dtype=float)
    raw_low, raw_high = (np.nanmin(data[keep], axis=0), np.nanmax(data[keep], axis=0)) if keep.any() else (None, None)
    # an axis spanning two decades or more (parameter counts, latencies) is drawn in log10
    logged = [bool(raw_low is not None and raw_low[j] > 0 and raw_high[j] >= 100 * raw_low[j]) for j in range(len(names))]
    with np.errstate(divide="ignore", invalid="ignore"):
        data = np.where(logged, np.log10(np.where(data > 0, data, np.nan)), data) if len(data) else data
    low, high = (np.nanmin(data[keep], axis=0), np.nanmax(data[keep], axis=0)) if keep.any() else (None, None)
    cmap = plt.get_cmap("viridis")
    top = max(1.0, float(iterations.max())) if len(iterations) else 1.0
    xs = np.arange(len(names))
    for i in np.flatnonzero(keep & ~front):
        ax.plot(xs, _scaled(data[i], low, high, series, names), color=cmap(iterations[i] / top), alpha=0.35, lw=1)
    for i in np.flatnonzero(keep & front):
        ax.plot(xs, _scaled(data[i], low, high, series, names), color="tab:red", alpha=0.95, lw=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{n}\n({'max' if series.higher_is_better(n) else 'min'}{', log' if lg else ''})"
                        for n, lg in zip(names, logged)])
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["worst", "best"])
    for j, name in enumerate(names):
        ax.axvline(j, color="0.4", lw=0.8)
        if low is not None:
            worst, best = (raw_low[j], raw_high[j]) if series.higher_is_better(name) else (raw_high[j], raw_low[j])
            ax.annotate(f"{best:.4g}", (j, 1.0), xytext=(3, 3), textcoords="offset points", fontsize=8)
            ax.annotate(f"{worst:.4g}", (j, 0.0), xytext=(3, -10), textcoords="offset points", fontsize=8)
    ax.set_ylim(-0.08, 1.08)
    ax.set_title(f"{series.label}: {int(keep.sum())} models, {int((keep & front).sum())} on the Pareto front (red)")
    fig.tight_layout()
    return fig


def _scaled(row: np.ndarray, low, high, series: RunSeries, names: Sequence[str]) -> np.ndarray:
    """Each value on 0..1 of its axis, 1 = the best value seen (constant axes sit at 0.5)."""
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (row - low) / np.where(span > 0, span, 1), 0.5)
    return np.array([f if series.higher_is_better(n) or s == 0 else 1 - f for f, n, s in zip(frac, names, span)])


def shared_objectives(runs: Sequence[RunSeries]) -> List[str]:
    """The objectives every run has, with the same direction; ``ValueError`` naming each run's
    objectives when there is none (checked before any plot is written)."""
    shared = [n for n in runs[0].names if all(n in r.names and r.higher_is_better(n) == runs[0].higher_is_better(n)
                                              for r in runs)]
    if not shared:
        listed = "; ".join(f"{r.label}: {', '.join(r.names) or 'none'}" for r in runs)
        raise ValueError(f"the runs share no objective to compare ({listed}); nothing was written")
    return shared


def comparison_figure(runs: Sequence[RunSeries]):
    """Several runs on shared axes: best-so-far of every objective they share against the
    evaluation count, and, with two or more shared objectives, their final fronts overlaid."""
    plt = _pyplot()
    shared = shared_objectives(runs)
    panels = len(shared) + (1 if len(shared) >= 2 else 0)
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4), squeeze=False)
    colors = plt.get_cmap("tab10")
    for j, name in enumerate(shared):
        ax = axes[0][j]
        for k, run in enumerate(runs):
            values = [v for _, v in run.evaluations.get(name, [])]
            ax.step(np.arange(1, len(values) + 1), best_so_far(values, run.higher_is_better(name)), where="post",
                    color=colors(k % 10), label=run.label)
        ax.set_xlabel("evaluations")
        ax.set_ylabel(f"best {name}")
        ax.set_title(f"best {name} ({'max' if runs[0].higher_is_better(name) else 'min'})")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    if len(shared) >= 2:
        ax = axes[0][-1]
        x_name, y_name = shared[0], shared[1]
        for k, run in enumerate(runs):
            mask = _front_mask(run, (x_name, y_name))
            pts = sorted((float(m[x_name]), float(m[y_name])) for m, on in zip(run.models, mask) if on)
            ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", marker="o", ms=3,
                    color=colors(k % 10), label=f"{run.label} ({len(pts)})")
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
        ax.set_title("Pareto fronts")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def save_figure(fig, directory: str, name: str) -> str:
    plt = _pyplot()
    os.makedirs(directory, exist_ok=True)
    path = inside(directory, safe_filename(name) + ".png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_run_plots(directory: str, out: str, compare: Sequence[str] = ()) -> List[str]:
    """Best-so-far and parallel coordinates of the run, plus a comparison with ``compare``
    runs when given; returns the PNG paths."""
    series = read_series(directory)
    others = [read_series(d) for d in compare]
    if others:  # refused before anything is written
        labels = _unique_labels([series.label] + [o.label for o in others])
        for run, label in zip([series] + others, labels):
            run.label = label
        shared_objectives([series] + others)
    paths = [save_figure(best_so_far_figure(series), out, "best_so_far")]
    if len(series.names) >= 2:
        paths.append(save_figure(parallel_coordinates_figure(series), out, "parallel_coordinates"))
    if others:
        paths.append(save_figure(comparison_figure([series] + others), out, "comparison"))
    return paths


def _unique_labels(labels: List[str]) -> List[str]:
    counts: Dict[str, int] = {}
    out = []
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
        out.append(label if counts[label] == 1 else f"{label} ({counts[label]})")
    return out
