"""How well each predictor of nas-predictors ranks NAS-Bench-201 architectures, per encoding.

Fit on 100 or 500 random architectures of the ``natsbench_tss`` space, encoded by name through
the space's ``encode_as`` (``one_hot``, ``adjacency``, ``path``, optionally ``+synflow+params+
flops`` table features: the project's zero-cost value and cost counts), target from the table;
score on 1000 other random architectures: Kendall tau, Spearman rho, precision at top 5 % (the
share of the 50 predicted best that are among the 50 truly best of the test set: what a
searcher needs) and fit time. Mean over 10 seeds.

Two targets: ``cifar10_valid_acc_12ep`` (the search signal of nb201_search.py) and
``cifar10_test_acc`` (200 epochs), the closer one to the final accuracies the published
predictor studies fit; their figures are printed beside ours.

    python tests/benchmarks/predictors.py [--seeds 10] [--train 100,500] [--test 1000] [--rows all]
        [--targets ...] [--synflow-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

TARGETS = ("cifar10_valid_acc_12ep", "cifar10_test_acc")
ZC = "+synflow+params+flops"
COSTS = "+params+flops"
#: row label -> (predictor, params, encoding)
ROWS = {
    "random_forest / one_hot": ("random_forest", {}, "one_hot"),
    "gaussian_process / one_hot": ("gaussian_process", {}, "one_hot"),
    "mlp_ensemble (fast) / one_hot": ("mlp_ensemble", {"num_layers": 3, "lr": 3e-3, "num_tr_steps": 300}, "one_hot"),
    "boosted_trees / one_hot": ("boosted_trees", {}, "one_hot"),
    "boosted_trees / adjacency": ("boosted_trees", {}, "adjacency"),
    "boosted_trees / path": ("boosted_trees", {}, "path"),
    "boosted_trees / adjacency" + COSTS: ("boosted_trees", {}, "adjacency" + COSTS),
    "random_forest / adjacency" + ZC: ("random_forest", {}, "adjacency" + ZC),
    "boosted_trees / adjacency" + ZC: ("boosted_trees", {}, "adjacency" + ZC),
    "boosted_trees / path" + ZC: ("boosted_trees", {}, "path" + ZC),
    "boosted_trees / one_hot" + ZC: ("boosted_trees", {}, "one_hot" + ZC),
}
#: figures published for NAS-Bench-201 CIFAR-10 (as quoted in issue 18): White et al., "How
#: Powerful are Performance Predictors in NAS?", NeurIPS 2021 (best model-based predictors) and
#: Krishnakumar et al., "NAS-Bench-Suite-Zero", NeurIPS 2022 (XGBoost on zero-cost features)
PUBLISHED = ("published (as quoted in issue 18): best predictors of White et al. 2021 clearly above "
             "0.48 (n=100) / 0.64 (n=500); NAS-Bench-Suite-Zero XGBoost on zero-cost features ~0.79 "
             "at n=400")


def precision_at_top(pred: np.ndarray, true: np.ndarray, share: float = 0.05) -> float:
    k = max(1, int(round(share * len(true))))
    return len(set(np.argsort(-pred)[:k]) & set(np.argsort(-true)[:k])) / k


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--train", default="100,500")
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--rows", default="all", help="comma-separated row labels, or 'all'")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--synflow-dir", default=None,
                        help="tools/nb201_proxies.py's work dir: sample only the isomorphism-group "
                             "representatives computed there, with their synflow as a feature")
    args = parser.parse_args(argv)
    import torch
    from scipy.stats import kendalltau, spearmanr

    from nas_kernel.components import build_component

    torch.set_num_threads(1)
    space = build_component("search_spaces", "natsbench_tss", {}, seed=1)
    table = space.table
    features = space.table_features()
    candidates = np.arange(len(table))
    synflow = None
    if args.synflow_dir:  # a partial run of the column's tool: its representatives only
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from zero_cost_proxies import synflow_values

        values = synflow_values(table, args.synflow_dir)
        candidates = np.array(sorted(i for i in values if int(table.iso_group[i]) == i))
        synflow = np.log1p(np.array([values.get(i, 0.0) for i in range(len(table))]))
        features = sorted(set(features) | {"synflow"})
    rows = ROWS if args.rows == "all" else {k: ROWS[k] for k in args.rows.split(",")}
    rows = {k: v for k, v in rows.items() if all(f in features for f in v[2].split("+")[1:])}
    sizes = [int(s) for s in args.train.split(",")]
    encoded = {}
    for _, _, encoding in rows.values():
        if encoding in encoded:
            continue
        parts = encoding.split("+")
        table_part = "+".join(p for p in parts if p != "synflow" or synflow is None)
        x = np.stack([space.encode_as(space.make(i), table_part) for i in range(len(table))])
        if synflow is not None and "synflow" in parts:
            x = np.concatenate([x, synflow[:, None]], axis=1)
        encoded[encoding] = x
    print(f"NAS-Bench-201 CIFAR-10: {args.test} held-out random architectures of {len(candidates)} "
          f"({'representatives with a computed synflow' if synflow is not None else 'all cells'}), "
          f"mean of {args.seeds} seeds; table features available: {features}")
    print(PUBLISHED)
    for target in args.targets.split(","):
        y_all = table.columns[target]
        print(f"\ntarget {target}")
        print(f"{'predictor / encoding':52s}" + "".join(f"{f'n={n}: tau   rho  p@5%  fit s':>30s}" for n in sizes))
        for label, (name, params, encoding) in rows.items():
            cells = []
            for n in sizes:
                scores = []
                for seed in range(1, args.seeds + 1):
                    order = candidates[np.random.default_rng(seed).permutation(len(candidates))]
                    test, train = order[:args.test], order[args.test:args.test + n]
                    x = encoded[encoding]
                    started = time.perf_counter()
                    predictor = build_component("predictors", name, params, seed=seed).fit(x[train], y_all[train])
                    fit_s = time.perf_counter() - started
                    mean = np.asarray(predictor.predict(x[test]).mean)[:, 0]
                    truth = y_all[test]
                    scores.append((kendalltau(mean, truth)[0], spearmanr(mean, truth)[0],
                                   precision_at_top(mean, truth), fit_s))
                tau, rho, prec, secs = np.mean(scores, axis=0)
                cells.append(f"{tau:>13.3f} {rho:5.3f} {prec:5.2f} {secs:6.2f}")
            print(f"{label:52s}" + "".join(f"{c:>30s}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
