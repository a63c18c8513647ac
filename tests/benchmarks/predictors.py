"""How well each predictor of nas-predictors ranks NAS-Bench-201 architectures, per encoding.

Fit on 100 or 500 random architectures of the ``natsbench_tss`` space, encoded by name through
the space's ``encode_as`` (``one_hot``, ``adjacency``, ``path``, ``graph`` for ``gcn``,
optionally ``+cell_stats``, the path-level summary of the cell, and ``+synflow+params+flops``
table features: the project's zero-cost value and cost counts), target from the table;
score on 1000 other random architectures: Kendall tau, Spearman rho, precision at top 5 % (the
share of the 50 predicted best that are among the 50 truly best of the test set: what a
searcher needs) and fit time. Mean over 10 seeds.

Two targets: ``cifar10_valid_acc_12ep`` (the search signal of nb201_search.py) and
``cifar10_test_acc`` (200 epochs), the closer one to the final accuracies the published
predictor studies fit; their figures are printed beside ours.

``--libraries`` adds the evidence for the boosting library: one model per seed of scikit-learn's
``GradientBoostingRegressor`` and ``HistGradientBoostingRegressor``, XGBoost and LightGBM (those
installed; neither is a dependency), with the same trees and rank-gauss targets, on the best
encoding.

    python tests/benchmarks/predictors.py [--seeds 10] [--train 100,500] [--test 1000] [--rows summary|all|...]
        [--targets ...] [--representatives] [--libraries]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

TARGETS = ("cifar10_valid_acc_12ep", "cifar10_test_acc")
ZC = "+synflow+params+flops"
COSTS = "+params+flops"
STATS = "+cell_stats"
#: boosted_trees as first shipped: fewer, shallower trees fitted on z-scored targets
EARLIER = {"n_estimators": 200, "learning_rate": 0.05, "max_depth": 3, "subsample": 0.8, "min_samples_leaf": 2,
           "max_features": None, "target_transform": "standardize"}
#: row label -> (predictor, params, encoding)
ROWS = {
    "random_forest / one_hot": ("random_forest", {}, "one_hot"),
    "gaussian_process / one_hot": ("gaussian_process", {}, "one_hot"),
    "mlp_ensemble (fast) / one_hot": ("mlp_ensemble", {"num_layers": 3, "lr": 3e-3, "num_tr_steps": 300}, "one_hot"),
    "boosted_trees / one_hot": ("boosted_trees", {}, "one_hot"),
    "boosted_trees / adjacency": ("boosted_trees", {}, "adjacency"),
    "boosted_trees / path": ("boosted_trees", {}, "path"),
    "boosted_trees (first defaults) / adjacency" + COSTS: ("boosted_trees", EARLIER, "adjacency" + COSTS),
    "boosted_trees (standardize) / adjacency" + COSTS: ("boosted_trees", {"target_transform": "standardize"},
                                                        "adjacency" + COSTS),
    "boosted_trees / adjacency" + COSTS: ("boosted_trees", {}, "adjacency" + COSTS),
    "boosted_trees / adjacency" + STATS + COSTS: ("boosted_trees", {}, "adjacency" + STATS + COSTS),
    "boosted_trees / adjacency" + STATS + ZC: ("boosted_trees", {}, "adjacency" + STATS + ZC),
    "random_forest / adjacency" + STATS + ZC: ("random_forest", {}, "adjacency" + STATS + ZC),
    "random_forest / adjacency" + ZC: ("random_forest", {}, "adjacency" + ZC),
    "boosted_trees / adjacency" + ZC: ("boosted_trees", {}, "adjacency" + ZC),
    "boosted_trees / path" + ZC: ("boosted_trees", {}, "path" + ZC),
    "boosted_trees / one_hot" + ZC: ("boosted_trees", {}, "one_hot" + ZC),
    "gcn / graph": ("gcn", {}, "graph"),
    "gcn / graph" + STATS + COSTS: ("gcn", {}, "graph" + STATS + COSTS),
    "boosted_trees / graph" + STATS + COSTS: ("boosted_trees", {}, "graph" + STATS + COSTS),
    "mlp_ensemble (fast) / adjacency" + STATS + COSTS: ("mlp_ensemble", {"num_layers": 3, "lr": 3e-3,
                                                                         "num_tr_steps": 300},
                                                        "adjacency" + STATS + COSTS),
}
#: the rows docs/benchmarks.md shows (``--rows summary``, the default): the first predictor, then
#: one change at a time
SUMMARY = ["random_forest / one_hot", "boosted_trees (first defaults) / adjacency" + COSTS,
           "boosted_trees (standardize) / adjacency" + COSTS, "boosted_trees / adjacency" + COSTS,
           "boosted_trees / adjacency" + STATS + COSTS, "boosted_trees / adjacency" + STATS + ZC,
           "random_forest / adjacency" + STATS + ZC, "mlp_ensemble (fast) / adjacency" + STATS + COSTS,
           "gcn / graph", "gcn / graph" + STATS + COSTS]
#: figures published for NAS-Bench-201 CIFAR-10 (as quoted in issue 18): White et al., "How
#: Powerful are Performance Predictors in NAS?", NeurIPS 2021 (best model-based predictors) and
#: Krishnakumar et al., "NAS-Bench-Suite-Zero", NeurIPS 2022 (XGBoost on zero-cost features)
PUBLISHED = ("published (as quoted in issue 18): best predictors of White et al. 2021 clearly above "
             "0.48 (n=100) / 0.64 (n=500); NAS-Bench-Suite-Zero XGBoost on zero-cost features ~0.79 "
             "at n=400")


LIBRARY_ENCODING = "adjacency" + STATS + ZC
#: the same trees in each library (boosted_trees' defaults)
TREES = {"n_estimators": 500, "learning_rate": 0.02, "max_depth": 4, "subsample": 0.7, "max_features": 0.5,
         "min_samples_leaf": 3}


def library_models(seed: int):
    """Unfitted regressors of each installed boosting library, with ``TREES``."""
    from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingRegressor

    t = TREES
    models = {
        "scikit-learn GradientBoosting": lambda: GradientBoostingRegressor(random_state=seed, **t),
        "scikit-learn HistGradientBoosting": lambda: HistGradientBoostingRegressor(
            max_iter=t["n_estimators"], learning_rate=t["learning_rate"], max_depth=t["max_depth"],
            min_samples_leaf=t["min_samples_leaf"], max_features=t["max_features"], random_state=seed),
    }
    try:
        import xgboost

        models["XGBoost"] = lambda: xgboost.XGBRegressor(
            n_estimators=t["n_estimators"], learning_rate=t["learning_rate"], max_depth=t["max_depth"],
            subsample=t["subsample"], colsample_bynode=t["max_features"], min_child_weight=t["min_samples_leaf"],
            n_jobs=1, random_state=seed)
    except ImportError:
        print("(XGBoost not installed: pip install xgboost-cpu to compare it)")
    try:
        import lightgbm

        models["LightGBM"] = lambda: lightgbm.LGBMRegressor(
            n_estimators=t["n_estimators"], learning_rate=t["learning_rate"], max_depth=t["max_depth"],
            num_leaves=2 ** t["max_depth"], subsample=t["subsample"], subsample_freq=1,
            feature_fraction_bynode=t["max_features"], min_child_samples=t["min_samples_leaf"], n_jobs=1,
            random_state=seed, verbose=-1)
    except ImportError:
        print("(LightGBM not installed: pip install lightgbm to compare it)")
    return models


def offered(space, encoding: str) -> bool:
    """Whether the loaded table can give ``encoding`` (``synflow`` needs its column)."""
    try:
        space.encode_as(space.make(0), encoding)
    except ValueError:
        return False
    return True


def precision_at_top(pred: np.ndarray, true: np.ndarray, share: float = 0.05) -> float:
    k = max(1, int(round(share * len(true))))
    return len(set(np.argsort(-pred)[:k]) & set(np.argsort(-true)[:k])) / k


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--train", default="100,500")
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--rows", default="summary", help="comma-separated row labels, 'summary' or 'all'")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--representatives", action="store_true",
                        help="sample only one cell per isomorphism group (no duplicates across the split)")
    parser.add_argument("--libraries", action="store_true",
                        help="also compare boosting libraries on " + LIBRARY_ENCODING)
    args = parser.parse_args(argv)
    import torch

    from nas_kernel.components import build_component

    torch.set_num_threads(1)
    space = build_component("search_spaces", "natsbench_tss", {}, seed=1)
    table = space.table
    candidates = np.arange(len(table))
    if args.representatives:  # one cell per isomorphism group: no duplicate of a test cell in training
        candidates = np.array([i for i in candidates if int(table.iso_group[i]) == i])
    labels = {"all": list(ROWS), "summary": SUMMARY}.get(args.rows) or args.rows.split(",")
    unknown = [k for k in labels if k not in ROWS]
    if unknown:
        parser.error(f"unknown row(s) {unknown}; choose from {list(ROWS)}")
    rows = {k: ROWS[k] for k in labels}
    rows = {k: v for k, v in rows.items() if offered(space, v[2])}
    sizes = [int(s) for s in args.train.split(",")]
    wanted = {encoding for _, _, encoding in rows.values()} | ({LIBRARY_ENCODING} if args.libraries else set())
    encoded = {e: np.stack([space.encode_as(space.make(i), e) for i in range(len(table))]) for e in sorted(wanted)}
    print(f"NAS-Bench-201 CIFAR-10: {args.test} held-out random architectures of {len(candidates)} "
          f"({'isomorphism-group representatives' if args.representatives else 'all cells'}), "
          f"mean of {args.seeds} seeds; table features available: {space.table_features()}")
    print(PUBLISHED)
    for target in args.targets.split(","):
        y_all = table.columns[target]
        print(f"\ntarget {target}")
        print(f"{'predictor / encoding':52s}" + "".join(f"{f'n={n}: tau   rho  p@5%  fit s':>30s}" for n in sizes))
        for label, (name, params, encoding) in rows.items():
            def fit_predict(seed, x_train, y_train, x_test, name=name, params=params):
                predictor = build_component("predictors", name, params, seed=seed).fit(x_train, y_train)
                return lambda: np.asarray(predictor.predict(x_test).mean)[:, 0]

            print(f"{label:52s}" + score_row(fit_predict, encoded[encoding], y_all, candidates, sizes, args),
                  flush=True)
        if args.libraries and LIBRARY_ENCODING in encoded:
            compare_libraries(encoded[LIBRARY_ENCODING], y_all, candidates, sizes, args)
    return 0


def score_row(fit_predict, x, y_all, candidates, sizes, args) -> str:
    """One printed row: for each training size, tau / rho / precision at top 5 % and fit
    seconds, the mean over seeds. ``fit_predict(seed, x_train, y_train, x_test)`` fits (timed)
    and returns a callable giving the test predictions."""
    from scipy.stats import kendalltau, spearmanr

    cells = []
    for n in sizes:
        scores = []
        for seed in range(1, args.seeds + 1):
            order = candidates[np.random.default_rng(seed).permutation(len(candidates))]
            test, train = order[:args.test], order[args.test:args.test + n]
            started = time.perf_counter()
            predict = fit_predict(seed, x[train], y_all[train], x[test])
            fit_s = time.perf_counter() - started
            pred, truth = predict(), y_all[test]
            scores.append((kendalltau(pred, truth)[0], spearmanr(pred, truth)[0], precision_at_top(pred, truth),
                           fit_s))
        tau, rho, prec, secs = np.mean(scores, axis=0)
        cells.append(f"{tau:>13.3f} {rho:5.3f} {prec:5.2f} {secs:6.2f}")
    return "".join(f"{c:>30s}" for c in cells)


def compare_libraries(x, y_all, candidates, sizes, args) -> None:
    from nas_predictors.data import RankGauss

    print(f"boosting libraries, one model, {LIBRARY_ENCODING}, rank-gauss targets, trees {TREES}")
    for name in library_models(1):
        def fit_predict(seed, x_train, y_train, x_test, name=name):
            targets = RankGauss(y_train[:, None]).forward(y_train[:, None])[:, 0]
            model = library_models(seed)[name]().fit(x_train, targets)
            return lambda: model.predict(x_test)

        print(f"{'  ' + name:52s}" + score_row(fit_predict, x, y_all, candidates, sizes, args), flush=True)


if __name__ == "__main__":
    sys.exit(main())
