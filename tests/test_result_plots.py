"""`nas results plot`'s figures read back from matplotlib: best-so-far, parallel coordinates and
the comparison of runs plot exactly the store's numbers (stores written by the kernel's writer)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from nas_kernel.api.evaluation import Evaluation
from nas_kernel.cli import make_cli
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.result_plots import (best_so_far, best_so_far_figure, comparison_figure, parallel_coordinates_figure,
                                     read_series)
from nas_kernel.store import Store

OBJECTIVES = [{"name": "acc", "higher_is_better": True, "compute_intensive": True},
              {"name": "size", "higher_is_better": False, "compute_intensive": False}]
# iteration -> [(archid, acc or None for failed, size)]
RUN = {0: [("a", 0.50, 10.0), ("b", 0.70, 40.0), ("c", None, 5.0)],
       1: [("d", 0.65, 12.0), ("e", 0.90, 80.0)],
       2: [("f", 0.60, 8.0), ("g", 0.95, 2000.0)]}


def write_run(path, run=RUN, rejected=("huge", 10_000.0)):
    """A store as a search writes it: cheap values first, then the expensive ones, per iteration;
    ``rejected`` is evaluated on the cheap objective only (a constraint refused it)."""
    store = Store(str(path / "results.db"))
    store.set_meta("created", repr(__import__("time").time()))
    store.set_json("objectives", OBJECTIVES)
    for iteration, rows in run.items():
        if iteration == 0 and rejected:
            store.record_evaluation("size", rejected[0], None, Evaluation(rejected[1], "ok", None, 0.0, {}), iteration)
        for archid, _, size in rows:
            store.record_evaluation("size", archid, None, Evaluation(size, "ok", None, 0.0, {}), iteration)
        for archid, acc, _ in rows:
            ev = Evaluation(acc, "ok", None, 0.1, {}) if acc is not None else Evaluation(None, "failed", "boom", 0.1, {})
            store.record_evaluation("acc", archid, None, ev, iteration)
        store.record_iteration(iteration, [a for a, _, _ in rows], [None] * len(rows), [{}] * len(rows),
                               [0.01 * iteration] * len(rows))
    store.set_meta("status", "finished")
    store.close()
    return path


def ordered(run=RUN):
    return [row for it in sorted(run) for row in run[it]]


def test_best_so_far_keeps_the_running_best_and_never_takes_a_failure():
    got = best_so_far([math.nan, 0.5, 0.4, math.nan, 0.7], higher_is_better=True)
    assert np.isnan(got[0]) and list(got[1:]) == [0.5, 0.5, 0.5, 0.7]
    assert list(best_so_far([3.0, 4.0, 1.0], higher_is_better=False)) == [3.0, 3.0, 1.0]


def test_series_count_only_candidates_in_write_order(tmp_path):
    series = read_series(write_run(tmp_path))
    assert series.names == ["acc", "size"]
    assert [v for _, v in series.evaluations["size"]] == [size for _, _, size in ordered()]  # "huge" left out
    accs = [v for _, v in series.evaluations["acc"]]
    assert np.isnan(accs[2]) and [a for a in accs if not np.isnan(a)] == [acc for _, acc, _ in ordered() if acc is not None]
    assert [m["archid"] for m in series.models] == [a for a, _, _ in ordered()]
    times = [t for t, _ in series.evaluations["acc"]]
    assert times == sorted(times) and times[0] >= 0


def test_best_so_far_figure_plots_the_running_best_against_evaluations_and_time(tmp_path):
    series = read_series(write_run(tmp_path))
    fig = best_so_far_figure(series)
    axes = fig.axes
    assert len(axes) == 4
    by_count, by_time = axes[0].lines[0], axes[1].lines[0]
    expected = list(best_so_far([acc if acc is not None else math.nan for _, acc, _ in ordered()], True))
    np.testing.assert_array_equal(by_count.get_xdata(), np.arange(1, 8))
    np.testing.assert_array_equal(by_count.get_ydata(), expected)
    np.testing.assert_array_equal(by_time.get_ydata(), expected)
    np.testing.assert_array_equal(by_time.get_xdata(), [t for t, _ in series.evaluations["acc"]])
    assert list(axes[2].lines[0].get_ydata()) == [10.0, 10.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    assert axes[0].get_title() == "best acc (max) so far" and axes[2].get_xlabel() == "evaluations"


def test_parallel_coordinates_draw_every_model_with_the_front_in_red(tmp_path):
    series = read_series(write_run(tmp_path))
    fig = parallel_coordinates_figure(series)
    lines = [line for line in fig.axes[0].lines if list(line.get_xdata()) == [0, 1]]  # not the axis rules
    assert len(lines) == 6  # c failed and is left out
    red = [line for line in lines if line.get_color() == "tab:red"]
    accs = {a: acc for a, acc, _ in ordered() if acc is not None}
    sizes = {a: s for a, _, s in ordered()}
    front = [a for a in accs if not any(accs[o] >= accs[a] and sizes[o] <= sizes[a] and (accs[o], sizes[o]) != (accs[a], sizes[a])
                                        for o in accs)]
    assert len(red) == len(front)
    # scaled so that 1 is the best value of each axis: the most accurate model tops the acc axis,
    # the smallest one tops the size axis
    tops = {tuple(np.round(line.get_ydata(), 6)) for line in red}
    assert any(y[0] == 1.0 for y in tops) and any(y[1] == 1.0 for y in tops)
    assert f"{len(front)} on the Pareto front" in fig.axes[0].get_title()
    assert fig.axes[0].get_xticklabels()[1].get_text() == "size\n(min, log)"  # 8..2000 (c failed) spans two decades


def test_comparison_overlays_best_curves_and_fronts_per_run(tmp_path):
    other = {0: [("a", 0.80, 30.0), ("h", 0.85, 20.0)], 1: [("i", 0.99, 300.0)]}
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    one = read_series(write_run(tmp_path / "one"), "one")
    two = read_series(write_run(tmp_path / "two", other), "two")
    fig = comparison_figure([one, two])
    acc_ax, size_ax, front_ax = fig.axes
    assert [line.get_label() for line in acc_ax.lines] == ["one", "two"]
    assert acc_ax.lines[1].get_ydata()[-1] == 0.99 and size_ax.lines[1].get_ydata()[-1] == 20.0
    front_two = front_ax.lines[1]
    assert list(front_two.get_xdata()) == [0.85, 0.99] and list(front_two.get_ydata()) == [20.0, 300.0]
    assert front_two.get_label() == "two (2)"


def test_results_plot_writes_every_figure_and_checks_the_compared_runs(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    write_run(tmp_path / "one")
    write_run(tmp_path / "two")
    cli = make_cli()
    manager = make_plugin_manager(entrypoints=False)
    out = tmp_path / "png"
    result = CliRunner().invoke(cli, ["results", "plot", str(tmp_path / "one"), "--out", str(out),
                                      "--compare", str(tmp_path / "two")], obj=manager)
    assert result.exit_code == 0, result.output
    names = [line.rsplit("/", 1)[-1] for line in result.output.split()]
    assert names == ["best_so_far.png", "parallel_coordinates.png", "comparison.png", "pareto_acc_vs_size.png"]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(out / "best_so_far.png")
    assert pixels.shape[0] > 300 and len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 20
    missing = CliRunner().invoke(cli, ["results", "plot", str(tmp_path / "one"), "--compare", str(tmp_path / "nope")],
                                 obj=manager)
    assert missing.exit_code == 2 and "no results store" in missing.output


def test_a_directory_without_a_search_is_a_store_error(tmp_path):
    from nas_kernel.store import StoreError

    Store(str(tmp_path / "results.db")).close()
    with pytest.raises(StoreError, match="holds no search yet"):
        read_series(str(tmp_path))
