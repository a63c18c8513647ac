"""Cost per evaluation of each tracker against none: the same toy search (free evaluators, 10
iterations of 20 candidates) with no tracker, MLflow (local SQLite store), TensorBoard and W&B
(offline), each run in a fresh output directory.

Printed per evaluation, side by side:
- search: the search's wall time (exports included, the end-of-search wait for the tracker not)
  per evaluation, and the difference to the run without trackers: what the search itself pays
  (the hooks only queue a message; the tracker's thread shares the GIL);
- hooks: the time the search thread spent inside the tracker's hooks;
- writing: the time the tracker's thread spent in ``log_evaluations`` (the backend's own cost,
  off the search thread); goal < 5 ms for MLflow's local store and TensorBoard;
- flush: what the end of the search waited for the tracker (start-up included: a new MLflow
  SQLite store creates its tables there).

Run: .venv/bin/python tests/benchmarks/tracking_overhead.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time

from overrides import overrides

from nas_kernel import SearchObjectives, hookimpl
from nas_kernel.loop import IterativeSearcher
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.run_context import RunContext
from nas_kernel.testing.reference import ArchidScore, IntegerSpace
from nas_kernel._tracking import TrackerHooks

ITERATIONS, PER_ITER = 10, 20


class RandomIntegers(IterativeSearcher):
    @overrides
    def propose(self, iteration):
        return self.sample_candidates(self.search_space.random_sample, PER_ITER)


def make_tracker(name: str, folder: str, mlflow_uri: str):
    if name == "mlflow":
        from nas_tracking.mlflow_tracker import MLflowTracker

        return MLflowTracker(tracking_uri=mlflow_uri, experiment_name=os.path.basename(folder))
    if name == "tensorboard":
        from nas_tracking.tensorboard_tracker import TensorBoardTracker

        return TensorBoardTracker()
    from nas_tracking.wandb_tracker import WandbTracker

    return WandbTracker()


def one_run(name: str, mlflow_uri: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        objectives = SearchObjectives()
        objectives.add_objective("score", ArchidScore(), higher_is_better=True)
        objectives.add_objective("size", ArchidScore(), higher_is_better=False, compute_intensive=False)
        searcher = RandomIntegers(IntegerSpace(size=100_000), objectives, out, num_iters=ITERATIONS)
        manager = make_plugin_manager(entrypoints=False)
        timing = {"hooks": 0.0, "writing": 0.0, "flush": 0.0}
        if name != "none":
            tracker = make_tracker(name, out, mlflow_uri)
            write = tracker.log_evaluations

            def timed_write(evaluations):
                started = time.perf_counter()
                write(evaluations)
                timing["writing"] += time.perf_counter() - started

            tracker.log_evaluations = timed_write
            manager.register(TimedHooks(tracker, name, timing), name=f"tracker {name}")
        started = time.perf_counter()
        searcher.search(run=RunContext(plugin_manager=manager, progress=False))
        wall = time.perf_counter() - started - timing["flush"]
        evaluations = ITERATIONS * PER_ITER
        return {"search": wall / evaluations, "hooks": timing["hooks"] / evaluations,
                "writing": timing["writing"] / evaluations, "flush": timing["flush"]}


class TimedHooks(TrackerHooks):
    """The kernel's tracker hooks, with the search thread's time in them counted."""

    def __init__(self, tracker, label: str, timing: dict) -> None:
        super().__init__(tracker, label)
        self.timing = timing

    @hookimpl
    def on_search_start(self, searcher) -> None:
        started = time.perf_counter()
        super().on_search_start(searcher)
        self.timing["hooks"] += time.perf_counter() - started

    @hookimpl
    def on_iteration_end(self, iteration, models) -> None:
        started = time.perf_counter()
        super().on_iteration_end(iteration, models)
        self.timing["hooks"] += time.perf_counter() - started

    @hookimpl
    def on_search_end(self, results) -> None:
        started = time.perf_counter()
        super().on_search_end(results)
        self.timing["flush"] += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("WANDB_SILENT", "true")
    names = ["none"] + [n for n, module in (("mlflow", "mlflow"), ("tensorboard", "tensorboardX"), ("wandb", "wandb"))
                        if importlib.util.find_spec(module) is not None]
    store = tempfile.mkdtemp(prefix="tracking-bench-")
    mlflow_uri = f"sqlite:///{store}/mlflow.db"
    if "mlflow" in names:  # the store's tables are created once, as on a user's machine
        from mlflow.tracking import MlflowClient

        MlflowClient(tracking_uri=mlflow_uri).search_experiments()
    print(f"load average: {os.getloadavg()}; {ITERATIONS} iterations x {PER_ITER} candidates, "
          f"median of {args.repeats} runs")
    print(f"{'tracker':12} {'search ms/eval':>15} {'vs none ms':>11} {'hooks ms/eval':>14} {'writing ms/eval':>16} "
          f"{'end flush s':>12}")
    one_run("none", mlflow_uri)  # warm-up: the first search imports what the exports need
    baseline = None
    for name in names:
        runs = [one_run(name, mlflow_uri) for _ in range(args.repeats)]
        figure = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        baseline = figure["search"] if baseline is None else baseline
        goal = "" if name in ("none", "wandb") else ("  goal < 5 ms: " + ("ok" if figure["writing"] < 0.005 else "OVER"))
        print(f"{name:12} {figure['search'] * 1e3:15.3f} {(figure['search'] - baseline) * 1e3:11.3f} "
              f"{figure['hooks'] * 1e3:14.4f} {figure['writing'] * 1e3:16.3f} {figure['flush']:12.2f}{goal}")


if __name__ == "__main__":
    main()
