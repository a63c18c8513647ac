"""Weight sharing against training alone, on CPU-sized data: does a ``mobilenet`` supernet rank
sub-networks as they rank when each is trained alone, and what does the supernet search cost
against training each candidate?

Data: scikit-learn's digits (8x8, 10 classes), fed at 8x8 or upscaled inside each network to
16x16 (the resolution is searched, so the candidates' accuracies spread). Space: three stages of inverted-residual blocks, depth 1-3, kernel 3/5/7,
expansion 2/4/6, two resolutions, one width.

1. The supernet is trained once for ``--epochs`` epochs (sandwich rule, in-place distillation).
2. ``--n`` distinct sub-networks of different sizes (the largest, the smallest and random ones) are
   scored with inherited weights by the ``supernet`` evaluator (batch norm recalibrated, no training).
3. Each is trained alone, from scratch, for the same ``--epochs`` (same optimizer, batch size, learning
   rate and schedule) and scored on the same validation split.

Printed side by side: Kendall tau between the two accuracies (goal: >= 0.6), and the cost of the
supernet search (training + N inherited evaluations) against N standalone trainings.

Run: .venv/bin/python tests/benchmarks/supernet.py [--epochs 3] [--n 20] [--seed 1] [--distill 1.0]
     [--num-random 2]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch

SPACE = {
    "in_channels": 1, "num_classes": 10, "resolutions": [8, 16], "widths": [1.0], "depths": [1, 2, 3],
    "kernels": [3, 5, 7], "expansions": [2, 4, 6],
    "stages": [{"channels": 16, "stride": 2, "se": False, "act": "relu"},
               {"channels": 24, "stride": 2, "se": True, "act": "hswish"},
               {"channels": 32, "stride": 1, "se": True, "act": "hswish"}],
    "stem_channels": 16, "head_channels": 64, "feature_channels": 64,
}


def kendall_tau(a, b) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(a, b).statistic)


def candidates(space, config, n: int, seed: int):
    """The largest, the smallest and random sub-networks, distinct, sorted by parameter count."""
    models = {m.archid: m for m in (space.make(config.largest()), space.make(config.smallest()))}
    while len(models) < n:
        m = space.random_sample()
        models.setdefault(m.archid, m)
    return sorted(models.values(), key=lambda m: sum(p.numel() for p in m.arch.parameters()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--distill", type=float, default=1.0, help="the supernet's in-place distillation weight")
    parser.add_argument("--num-random", type=int, default=2, help="random sub-networks per step (sandwich rule)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    from nas_kernel.components import build_component
    from nas_edge.mobilenet_space import MobileNetSearchSpace
    from nas_edge.supernet.config import SupernetConfig
    from nas_edge.supernet.evaluator import SupernetEvaluator
    from nas_edge.supernet.finetune import train_network
    from nas_edge.supernet.scoring import accuracy
    from nas_edge.supernet.settings import SupernetSettings
    from nas_edge.supernet.trainer import train_supernet

    data = build_component("datasets", "digits", seed=args.seed)
    space = MobileNetSearchSpace(**SPACE, seed=args.seed)
    config = SupernetConfig.of_space(space)
    train = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
             "distill": args.distill, "num_random": args.num_random, "device": "cpu"}
    folder = tempfile.mkdtemp(prefix="supernet-bench-")
    print(f"digits: {len(data.get_train()[1])} train / {len(data.get_val()[1])} val; {args.epochs} epochs, "
          f"batch {args.batch_size}, Adam lr {args.lr} (cosine), 1 thread; supernet: distill {args.distill}, "
          f"{args.num_random} random sub-networks per step")

    started = time.perf_counter()
    meta = train_supernet(space, data, SupernetSettings.checked(**train), folder, echo=lambda *a: None)
    supernet_seconds = time.perf_counter() - started
    print(f"supernet trained in {supernet_seconds:.1f} s: " + ", ".join(
        f"epoch {h['epoch']}: largest {h['val_acc_largest']:.3f} smallest {h['val_acc_smallest']:.3f}"
        for h in meta["history"][-2:]))

    evaluator = SupernetEvaluator(os.path.join(folder), dataset=data, device="cpu", **{k: v for k, v in train.items()
                                                                                        if k != "device"})
    models = candidates(space, config, args.n, args.seed)
    inherited, alone, params, eval_seconds, alone_seconds = [], [], [], 0.0, 0.0
    for i, model in enumerate(models):
        t = time.perf_counter()
        inherited.append(evaluator.evaluate(model))
        eval_seconds += time.perf_counter() - t
        t = time.perf_counter()
        torch.manual_seed(args.seed)
        net = train_network(space.make(space.arch_of(model)).arch, data, epochs=args.epochs, lr=args.lr,
                            batch_size=args.batch_size, seed=args.seed)
        alone.append(accuracy(net, data.get_val()))
        alone_seconds += time.perf_counter() - t
        params.append(sum(p.numel() for p in net.parameters()))
        print(f"{i + 1:3d} {model.archid:48s} {params[-1]:8d} params  inherited {inherited[-1]:.3f}  "
              f"alone {alone[-1]:.3f}", flush=True)

    n = len(models)
    tau = kendall_tau(inherited, alone)
    print()
    print(f"{'':40s} {'supernet search':>18s} {'standalone':>14s}")
    print(f"{'training (s)':40s} {supernet_seconds:18.1f} {alone_seconds:14.1f}")
    print(f"{f'scoring {n} sub-networks (s)':40s} {eval_seconds:18.1f} {'(included)':>14s}")
    print(f"{f'total for {n} candidates (s)':40s} {supernet_seconds + eval_seconds:18.1f} {alone_seconds:14.1f}")
    print(f"{'per further candidate (s)':40s} {eval_seconds / n:18.2f} {alone_seconds / n:14.2f}")
    print(f"{'cost ratio standalone / supernet':40s} {alone_seconds / (supernet_seconds + eval_seconds):18.2f}x")
    print(f"Kendall tau, inherited vs standalone accuracy over {n} sub-networks: {tau:.3f} (goal >= 0.6: "
          f"{'met' if tau >= 0.6 else 'not met'})")
    print(f"Kendall tau, parameter count vs standalone accuracy (the naive ranking): {kendall_tau(params, alone):.3f}")


if __name__ == "__main__":
    main()
