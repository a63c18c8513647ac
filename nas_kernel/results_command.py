"""``nas results show`` and ``nas results plot``: read-only views of a store, safe while the
search is still writing (SQLite WAL readers never block the writer)."""
from __future__ import annotations

import os
import sqlite3

import click

from nas_kernel.cli_exit import EXIT_BAD_INPUT, EXIT_OK, error
from nas_kernel.run_files import PLOTS
from nas_kernel.runstate import read_run_state
from nas_kernel.store import StoreError
from nas_kernel.store_reader import load_results, run_summary
from nas_kernel.tables import number, render
from nas_kernel.training_facts import FACTS

__all__ = ["DETAIL_COLUMNS", "front_table", "plot", "show"]


#: per-candidate columns shown after the objectives when a run has them: the budget a
#: multi-fidelity searcher gave, and what a training evaluator recorded (``training_facts``)
DETAIL_COLUMNS = ("budget",) + FACTS


def front_table(results, only_front: bool = True) -> str:
    names = list(results.objectives.objective_names)
    details = [c for c in DETAIL_COLUMNS if c not in names and any(
        any(v is not None for v in entry.get(c) or []) for entry in results.results)]

    def detail(it: int, archid: str) -> list:
        entry = results.results[it]
        j = entry["archid"].index(archid) if archid in entry["archid"] else None
        return [_cell(None if j is None or c not in entry else entry[c][j]) for c in details]

    if only_front:
        front = results.get_pareto_frontier()
        models = front["models"]
        columns = front["evaluation_results"]
        iters = front["iteration_nums"]
        order = sorted(range(len(models)), key=lambda i: tuple(
            -columns[n][i] if results.objectives.higher_is_better[n] else columns[n][i] for n in names))
        rows = [[models[i].archid] + [number(columns[n][i]) for n in names] + detail(int(iters[i]), models[i].archid)
                + [str(iters[i])] for i in order]
    else:
        rows = []
        for it, entry in enumerate(results.results):
            for j, archid in enumerate(entry["archid"]):
                rows.append([archid] + [number(float(entry[n][j])) for n in names]
                            + [_cell(entry[c][j] if c in entry else None) for c in details] + [str(it)])
    return render(["archid"] + names + details + ["iteration"], rows)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return number(value) if isinstance(value, float) else str(value)


def show(directory: str, show_all: bool = False) -> int:
    try:
        results = load_results(directory)
        summary = run_summary(directory)
    except (StoreError, sqlite3.Error) as exc:
        return error(f"{directory}: {exc}", EXIT_BAD_INPUT)
    models = sum(len(r["archid"]) for r in results.results)
    status = read_run_state(directory).describe()  # running (heartbeat age) / finished / stopped / failed / stale
    click.echo(f"{directory}: {status}; {summary.describe}")
    # a running search stores each evaluation at once but an iteration only when it ends: say both
    click.echo(f"{results.iteration_num} iterations done ({models} models in them); {summary.evaluations} "
               f"evaluations of {summary.models} models so far ({summary.failed} failed)")
    if models:
        label = "All models" if show_all else f"Pareto front ({len(results.get_pareto_frontier()['models'])} models)"
        click.echo(f"\n{label}:")
        click.echo(front_table(results, only_front=not show_all))
    failures = summary.failures
    if failures:
        click.echo(f"\nFailed evaluations ({len(failures)}):")
        click.echo(render(["objective", "archid", "budget", "error"],
                          [[f["objective"], f["archid"], "-" if f["budget"] is None else number(f["budget"]),
                            (f["error"] or "")[:120]] for f in failures]))
    return EXIT_OK


def plot(directory: str, out: str = None, compare=()) -> int:
    """Best-so-far, parallel coordinates, a comparison with ``compare`` runs, and the Pareto
    evolution of every objective pair (the last needs two objectives)."""
    from nas_kernel.result_plots import write_run_plots

    folder = out or os.path.join(directory, PLOTS)
    try:
        results = load_results(directory)
        for other in compare:
            load_results(other)
    except (StoreError, sqlite3.Error) as exc:
        return error(str(exc), EXIT_BAD_INPUT)
    try:
        paths = write_run_plots(directory, folder, compare)
    except ValueError as exc:  # runs that share no objective
        return error(str(exc), EXIT_BAD_INPUT)
    if len(results.objectives.objective_names) >= 2:
        paths += results.save_all_2d_pareto_evolution_plots(folder)
    for path in paths:
        click.echo(path)
    return EXIT_OK
