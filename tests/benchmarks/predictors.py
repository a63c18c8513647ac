"""How well each predictor of nas-predictors ranks NAS-Bench-201 architectures.

Fit on 100 or 500 random architectures of the ``natsbench_tss`` space (encoded by the space's
``encode``), target ``cifar10_valid_acc_12ep`` from the ``nb201_table`` evaluator; score on 1000
other random architectures: Kendall tau (ranking quality, what a searcher needs) and RMSE in
accuracy points. Mean over a few seeds; fit time per predictor.

    python tests/benchmarks/predictors.py [--seeds 3] [--train 100,500] [--test 1000]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

TARGET = "cifar10_valid_acc_12ep"
PREDICTORS = {
    "mlp_ensemble": {},
    "mlp_ensemble (fast)": {"num_layers": 3, "lr": 3e-3, "num_tr_steps": 300},
    "gaussian_process": {},
    "gaussian_process (ard)": {"ard": True},
    "random_forest": {},
}


def sample(space, evaluator, n, taken):
    models = []
    while len(models) < n:
        model = space.random_sample()
        if model.archid not in taken:
            taken.add(model.archid)
            models.append(model)
    x = np.stack([np.asarray(space.encode(m), dtype=np.float64).ravel() for m in models])
    y = np.array([evaluator.evaluate(m) for m in models])
    return x, y


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--train", default="100,500")
    parser.add_argument("--test", type=int, default=1000)
    args = parser.parse_args(argv)
    import torch
    from scipy.stats import kendalltau

    from nas_kernel.plugins import make_plugin_manager

    torch.set_num_threads(1)
    registry = make_plugin_manager().registry
    space_factory = registry.get("search_spaces", "natsbench_tss").load()
    table = registry.get("evaluators", "nb201_table").load()(metric=TARGET)
    sizes = [int(s) for s in args.train.split(",")]
    print(f"NAS-Bench-201 {TARGET}: Kendall tau / RMSE on {args.test} held-out architectures, "
          f"mean of {args.seeds} seeds")
    print(f"{'predictor':22s}" + "".join(f"{f'n={n}: tau   rmse   fit s':>26s}" for n in sizes))
    for label, params in PREDICTORS.items():
        name = label.split(" ")[0]
        factory = registry.get("predictors", name).load()
        cells = []
        for n in sizes:
            taus, rmses, secs = [], [], []
            for seed in range(1, args.seeds + 1):
                space = space_factory(seed=seed)
                taken = set()
                x_test, y_test = sample(space, table, args.test, taken)
                x, y = sample(space, table, n, taken)
                started = time.perf_counter()
                predictor = factory(seed=seed, **params).fit(x, y)
                secs.append(time.perf_counter() - started)
                mean = predictor.predict(x_test).mean[:, 0]
                taus.append(kendalltau(mean, y_test)[0])
                rmses.append(float(np.sqrt(np.mean((mean - y_test) ** 2))))
            cells.append(f"{np.mean(taus):>12.3f} {np.mean(rmses):6.2f} {np.mean(secs):6.2f}")
        print(f"{label:22s}" + "".join(f"{c:>26s}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
