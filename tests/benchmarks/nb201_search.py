"""Every searcher of nas-searchers on NAS-Bench-201 CIFAR-10, the protocol Archai was measured on.

Each search optimises ``cifar10_valid_acc_12ep`` (the cheap 12-epoch signal) through the
``nb201_table`` evaluator on the ``natsbench_tss`` space; after k queries (evaluations) the
architecture best on the signal so far is reported by its ``cifar10_test_acc`` (200 epochs).
The architecture best on the signal is also the test optimum (94.37). Printed: mean, standard
error and fraction of seeds at the optimum after 50/100/150/300 queries, beside Archai 1.0's
figures measured here on the same table; a regret-curve PNG is written.

    python tests/benchmarks/nb201_search.py [--seeds 100] [--searchers local_search,bananas] [--workers 2]
        [--dataset cifar10|cifar100|imagenet16]

``--dataset`` runs the same protocol on another dataset of the table, with every setting as
chosen on CIFAR-10: its 12-epoch validation accuracy is the signal, its 200-epoch test accuracy
the report, and the ceiling is the test accuracy of the best cell on the signal (what a search
that found the signal's optimum reports; on CIFAR-10 also the test optimum, 94.37).

A row is a searcher with its defaults, or - labelled "(tuned)" - with the settings given below,
beside Archai's figure for the same kind of setting. "+ warm start" rows start from the best of
1000 random cells by a cheap score (``--proxy``: the parameter count, or the table's synflow
column); "+ moves"
also takes each mutation as the proxy's favourite of 4 (local search: walks neighbourhoods in
the proxy's order). Proxy evaluations are not queries; their count per run and its CPU cost
(PROXY_SECONDS each, an estimate for a quiet core) are printed.
"""
from __future__ import annotations

import argparse
import inspect
import math
import multiprocessing as mp
import os
import sys
import tempfile
import time
from typing import Dict, List, Tuple

import numpy as np

OPTIMUM = 94.373333
CHECKPOINTS = (50, 100, 150, 300)
SIGNAL, REPORT = "cifar10_valid_acc_12ep", "cifar10_test_acc"
DATASETS = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "imagenet16": "ImageNet16-120"}
DATASET = "cifar10"
#: Archai 1.0 on this table and protocol (100 seeds, mean test accuracy at 100 / 150 / 300 queries)
ARCHAI = {
    "random": (93.75, 93.89, 93.96),
    "regularized_evolution": (94.12, 94.21, 94.34),
    "evolution_pareto": (93.91, 94.08, 94.22),
    "evolution_pareto (tuned)": (94.18, 94.22, 94.25),
    "local_search": (94.06, 94.06, 94.06),
    "bananas": (93.99, 93.96, 94.07),
}
#: row label -> (searcher, settings): its defaults unless stated
SETTINGS: Dict[str, Tuple[str, dict]] = {
    "random": ("random", {"samples_per_iter": 10}),
    "regularized_evolution": ("regularized_evolution", {}),
    "evolution_pareto": ("evolution_pareto", {}),
    # one objective: two parents, one child of each and one crossover per iteration, no random mix
    "evolution_pareto (tuned)": ("evolution_pareto", {"min_parents": 2, "mutations_per_parent": 1,
                                                      "num_crossovers": 1, "num_random_mix": 0}),
    "local_search": ("local_search", {}),
    "successive_halving": ("successive_halving", {}),
    # the default MLP ensemble costs ~13 s a run
    "bananas": ("bananas", {"surrogate_model": ("random_forest", {})}),
    "bee_colony": ("bee_colony", {}),
}
#: the warm-start score: a table column standing for one evaluation per scored model - the
#: parameter count (``params_mb_cifar10``, a cheap objective) by default, or with ``--proxy
#: synflow`` the project's synflow values once the table has that column (tools/nb201_proxies.py)
PROXY = ("evaluators", "nb201_table", {"metric": "params_mb_cifar10"})
#: CPU seconds of one evaluation of each score on an NB201 network on a quiet core: estimates
#: (synflow timed by tools/nb201_proxies.py; building the network dominates the parameter count)
PROXY_SECONDS = {"params": 0.05, "synflow": 0.2}
WARM = {"warm_start": PROXY, "warm_start_pool": 1000}
for _label, _name in (("regularized_evolution", "regularized_evolution"), ("local_search", "local_search"),
                      ("evolution_pareto (tuned)", "evolution_pareto")):
    SETTINGS[f"{_label} + warm start"] = (_name, {**SETTINGS[_label][1], **WARM})
    SETTINGS[f"{_label} + warm start + moves"] = (_name, {**SETTINGS[_label][1], **WARM, "proxy_moves": 4})
SETTINGS["bananas + warm start"] = ("bananas", {**SETTINGS["bananas"][1], **WARM})
#: model-guided local search: neighbourhoods walked in the order of boosted trees fitted on the
#: adjacency encoding with the parameter and FLOP counts (a cheap objective, no query); first as
#: shipped (z-scored targets, shallow trees), then with the cell's path statistics, rank-gauss
#: targets and the predictor's tree shape (tests/benchmarks/predictors.py)
FIRST_TREES = {"num_ensemble_members": 3, "n_estimators": 100, "learning_rate": 0.05, "max_depth": 3,
               "subsample": 0.8, "min_samples_leaf": 2, "max_features": None, "target_transform": "standardize"}
GUIDE = {"surrogate_model": ("boosted_trees", FIRST_TREES), "encoding": "adjacency+params+flops"}
TREES = {"num_ensemble_members": 3, "n_estimators": 200, "learning_rate": 0.05}
STATS_GUIDE = {"surrogate_model": ("boosted_trees", TREES), "encoding": "adjacency+cell_stats+params+flops"}
SETTINGS["local_search (model-guided)"] = ("local_search", {**GUIDE})
SETTINGS["local_search (model-guided) + warm start + moves"] = ("local_search",
                                                                {**GUIDE, **WARM, "proxy_moves": 4})
SETTINGS["local_search (model-guided on cell_stats)"] = ("local_search", {**STATS_GUIDE})
SETTINGS["local_search (model-guided on cell_stats) + warm start + moves"] = (
    "local_search", {**STATS_GUIDE, **WARM, "proxy_moves": 4})
SETTINGS["bananas (boosted_trees on cell_stats)"] = ("bananas", {**STATS_GUIDE})
SETTINGS["bananas (boosted_trees on cell_stats) + warm start"] = ("bananas", {**STATS_GUIDE, **WARM})
#: the graph predictor on the same statistics and cost counts, 3 members as the trees above
GRAPH_GUIDE = {"surrogate_model": ("gcn", {"num_ensemble_members": 3}), "encoding": "graph+cell_stats+params+flops"}
SETTINGS["bananas (gcn on cell_stats)"] = ("bananas", {**GRAPH_GUIDE})
SETTINGS["bananas (gcn on cell_stats) + warm start"] = ("bananas", {**GRAPH_GUIDE, **WARM})


#: the space's parameters in a worker, set from its job (``--dedup-iso``, ``--literal-moves``);
#: none given: the space's defaults, Archai's protocol (all 15,625 cells can be sampled)
SPACE_PARAMS: Dict[str, object] = {}


def use_dataset(name: str, proxy: str = "params") -> None:
    """Point the signal, the report, the warm-start score and the space's cost features at
    ``name`` (in the main process and in each worker)."""
    global DATASET, SIGNAL, REPORT
    DATASET, SIGNAL, REPORT = name, f"{name}_valid_acc_12ep", f"{name}_test_acc"
    PROXY[2]["metric"] = "synflow" if proxy == "synflow" else f"params_mb_{name}"
    SPACE_PARAMS["base_dataset"] = name


def ceiling() -> float:
    """Test accuracy of the cell best on the signal: the report of a search that found it."""
    _, signal, report = components(1)
    table = signal.table
    best = max(range(len(table)), key=lambda i: table.value(i, signal.column))
    return float(table.value(best, report.column))


def proxy_seconds() -> float:
    return PROXY_SECONDS["synflow" if PROXY[2]["metric"] == "synflow" else "params"]


def components(seed: int):
    """The NB201 space and two table evaluators (signal, report), through the plugin registry."""
    from nas_kernel.plugins import make_plugin_manager

    registry = make_plugin_manager().registry
    space = registry.get("search_spaces", "natsbench_tss").load()(seed=seed, **SPACE_PARAMS)
    table = registry.get("evaluators", "nb201_table").load()
    return space, table(metric=SIGNAL), table(metric=REPORT)


def run_one(job) -> Tuple[np.ndarray, int]:
    """Test accuracy of the best-on-signal architecture after each of the first ``queries``
    queries, and how many models the warm-start proxy scored (0 without one)."""
    name, seed, queries, settings, space_params, dataset, proxy = job
    use_dataset(dataset, proxy)
    SPACE_PARAMS.update(space_params)
    import torch

    torch.set_num_threads(1)
    from nas_kernel import SearchObjectives
    from nas_kernel.plugins import make_plugin_manager

    space, signal, report = components(seed)
    objectives = SearchObjectives()
    objectives.add_objective(SIGNAL, signal, higher_is_better=True)
    registry = make_plugin_manager().registry
    params = dict(settings)
    for key, value in list(params.items()):
        if isinstance(value, tuple):  # a nested component: ([kind,] registered name, params)
            kind, cname, cparams = value if len(value) == 3 else ("predictors",) + value
            factory = registry.get(kind, cname).load()
            takes_seed = "seed" in inspect.signature(factory).parameters
            params[key] = factory(**cparams, **({"seed": seed} if takes_seed else {}))
    factory = registry.get("searchers", name).load()
    with tempfile.TemporaryDirectory() as out:
        searcher = factory(space, objectives, out, num_iters=10_000, seed=seed, **params)
        if name == "bee_colony":
            searcher.colony_iters = 10_000
        searcher.progress = False
        searcher.propose = _capped(searcher, queries)
        results = searcher.search()
    rows = [(m, v) for entry in results.results for m, v in zip(entry["models"], entry[SIGNAL])]
    curve = np.full(queries, np.nan)
    best_value, best_test = -math.inf, math.nan
    for k, (model, value) in enumerate(rows[:queries]):
        if not math.isnan(value) and value > best_value:
            best_value, best_test = value, report.evaluate(model)
        curve[k] = best_test
    if len(rows) < queries:  # the searcher stopped early: its answer stays what it was
        curve[len(rows):] = best_test
    proxy = getattr(searcher, "warm_start", None)
    return curve, (proxy.evaluations if proxy is not None else 0)


def _capped(searcher, queries):
    """Stop proposing once ``queries`` evaluations were made (the benchmark's query budget)."""
    propose = searcher.propose

    def capped(iteration):
        done = sum(len(e["archid"]) for e in searcher.results.results)
        return [] if done >= queries else propose(iteration)

    return capped


def summarise(curves: Dict[str, np.ndarray], seconds: Dict[str, float], proxy_evals: Dict[str, float]) -> str:
    lines = [f"{'searcher':44s} " + " ".join(f"{q:>22d}" for q in CHECKPOINTS)
             + "   Archai 100/150/300   s/run   proxy evals (CPU s) per run",
             f"{'':44s} " + " ".join(f"{'mean ± se (opt %)':>22s}" for _ in CHECKPOINTS)]
    for name, c in curves.items():
        cells = []
        for q in CHECKPOINTS:
            if q > c.shape[1]:
                cells.append(f"{'-':>22s}")
                continue
            col = c[:, q - 1]
            se = col.std(ddof=1) / math.sqrt(len(col)) if len(col) > 1 else 0.0
            found = np.mean(col >= OPTIMUM - 1e-3) * 100
            cells.append(f"{col.mean():8.3f} ± {se:5.3f} ({found:3.0f}%)")
        archai = ARCHAI.get(name) if DATASET == "cifar10" else None
        ref = " / ".join(f"{v:.2f}" for v in archai) if archai else "-"
        evals = proxy_evals.get(name, 0)
        cost = f"{evals:7.0f} ({evals * proxy_seconds():5.0f} s)" if evals else "-"
        lines.append(f"{name:44s} " + " ".join(cells) + f"   {ref:>19s}   {seconds[name]:5.2f}   {cost}")
    return "\n".join(lines)


def random_expectation(dedup_iso: bool, draws: int = 4000) -> str:
    """What uniform random search scores on average (Monte Carlo over the whole table): the
    yardstick for the random rows, Archai's included, whose 100-seed means carry sampling noise."""
    _, signal, report = components(1)
    table = signal.table
    indexes = [i for i in range(len(table)) if not dedup_iso or int(table.iso_group[i]) == i]
    valid = np.array([table.value(i, signal.column) for i in indexes])
    test = np.array([table.value(i, report.column) for i in indexes])
    n = len(indexes)
    rng = np.random.default_rng(0)
    cells = []
    for q in CHECKPOINTS:
        best = [test[idx[np.argmax(valid[idx])]] for idx in (rng.choice(n, q, replace=False) for _ in range(draws))]
        cells.append(f"{np.mean(best):8.3f}")
    return f"{'(random, expected)':44s} " + " ".join(f"{c:>22s}" for c in cells)


def plot(curves: Dict[str, np.ndarray], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, c in curves.items():
        regret = np.maximum(OPTIMUM - c, 1e-3)
        ax.plot(np.arange(1, c.shape[1] + 1), np.nanmean(regret, axis=0), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("queries (table evaluations)")
    ax.set_ylabel(f"mean regret of {REPORT} (%)")
    ax.set_title(f"NAS-Bench-201 {DATASETS[DATASET]}: search on {SIGNAL}, {len(next(iter(curves.values())))} seeds")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--queries", type=int, default=max(CHECKPOINTS))
    parser.add_argument("--searchers", default=",".join(SETTINGS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dedup-iso", action="store_true",
                        help="search one representative per isomorphism group (6,466 distinct cells)")
    parser.add_argument("--literal-moves", action="store_true",
                        help="moves land on the literal cell, not on its function's representative")
    parser.add_argument("--plot", default="nb201_regret.png")
    parser.add_argument("--proxy", default="params", choices=sorted(PROXY_SECONDS),
                        help="what the warm-start rows score models with: the table's parameter count "
                             "of the dataset, or its synflow column")
    parser.add_argument("--dataset", default="cifar10", choices=sorted(DATASETS),
                        help="the table's dataset to search on, with the settings chosen on CIFAR-10")
    args = parser.parse_args(argv)
    global OPTIMUM
    use_dataset(args.dataset, args.proxy)
    OPTIMUM = ceiling()
    names = [n for n in args.searchers.split(",") if n]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        parser.error(f"unknown searcher(s) {unknown}; choose from {list(SETTINGS)}")
    curves, seconds, proxy_evals = {}, {}, {}
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers) as pool:
        for label in names:
            started = time.perf_counter()
            name, settings = SETTINGS[label]
            space = {"deduplicate_isomorphic": args.dedup_iso, "canonical_moves": not args.literal_moves}
            jobs = [(name, seed, args.queries, settings, space, args.dataset, args.proxy)
                    for seed in range(1, args.seeds + 1)]
            outcomes = pool.map(run_one, jobs, chunksize=1)
            curves[label] = np.stack([curve for curve, _ in outcomes])
            proxy_evals[label] = float(np.mean([evals for _, evals in outcomes]))
            seconds[label] = (time.perf_counter() - started) * args.workers / args.seeds
            print(f"{label}: done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print(f"NAS-Bench-201 {DATASETS[DATASET]}, {args.seeds} seeds, ceiling {OPTIMUM:.3f}: mean test accuracy of the "
          f"best-on-{SIGNAL} architecture after k queries")
    print(summarise(curves, seconds, proxy_evals))
    print(random_expectation(args.dedup_iso))
    plot(curves, args.plot)
    print(f"regret curves: {os.path.abspath(args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
