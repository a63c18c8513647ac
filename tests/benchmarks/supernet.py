"""Weight sharing against training alone, on CPU-sized data: does a ``mobilenet`` supernet rank
sub-networks as they rank when each is trained alone, and what does the supernet search cost
against training each candidate?

Data (``--data``): ``digits-shifted`` (the default), scikit-learn's digits placed at random
offsets on a 10x10 canvas and upscaled to 16x16, or plain ``digits`` (8x8); either way 60 % for
training and 40 % (719 images) for validation, fed at 8x8 or 16x16 inside each network (the
resolution is searched). Space: three stages of inverted-residual blocks, depth 1-3, kernel
3/5/7, expansion 2/4/6, two resolutions, one width.

1. The supernet is trained once for ``--supernet-epochs`` epochs (default 25; sandwich rule,
   in-place distillation, every sub-network of a step at one drawn resolution). Its cost is
   printed beside the standalone trainings'.
2. ``--n`` distinct sub-networks of different sizes are chosen from the seed alone, before
   anything is trained: the largest, the smallest and, between them, the random draws nearest to
   evenly spaced points of log FLOPs (``--pick stratified``; ``--pick random`` draws them
   uniformly, which clusters them at mid size). They are scored with inherited weights by the
   ``supernet`` evaluator (batch norm recalibrated, no training).
3. Each is trained alone, from scratch, for ``--epochs`` (default: as many as the supernet; same
   optimizer, batch size, learning rate and schedule) and scored on the same validation split,
   ``--truth-seeds`` times (default 3; seeds ``seed .. seed+K-1``: weights and batch order; the
   data split stays): two seeds of one network agree at tau 0.65-0.82, so the mean of three is the
   steadier truth.

Printed side by side: Kendall tau between the inherited accuracy and the standalone accuracy of
each seed and of the seeds' mean (goal: >= 0.6); the truth's own noise, tau between two seeds'
standalone accuracies (what any proxy can reach against one seed, at best); and the cost of the
supernet search (training + N inherited evaluations) against N standalone trainings (one seed's),
with the number of candidates from which the supernet is cheaper.

Why the validation share and the pick: with 359 validation images (the dataset's default 20 %)
and uniform draws, the true accuracies of most sub-networks differed by less than a few images'
worth, so two seeds of the truth ranked them at tau 0.53-0.67 and the proxy's tau swung from
0.24 to 0.64 with the seed.

Why shifted digits by default: plain digits saturates. Trained alone, most sub-networks of one
resolution end within 1-2 points of each other, no more than two seeds of one network differ,
so there the truth itself is noise and no proxy can rank it. Placed at random offsets, the digits
take receptive field and capacity to find, the standalone accuracies spread over 10-15 points
with size, and two seeds rank the networks alike more often. ``--truth-cache FILE`` keeps
standalone results between runs that vary only the supernet (their seconds are those of the run
that trained them).

Run: .venv/bin/python tests/benchmarks/supernet.py [--seed 1] [--supernet-epochs 25] [--epochs 25]
     [--n 20] [--truth-seeds 3] [--pick stratified] [--val-fraction 0.4] [--distill 1.0]
     [--num-random 2] [--progressive] [--no-resolution-per-step] [--zero-init-residual]
     [--calibration-batches 8] [--data digits-shifted]
"""
from __future__ import annotations

import argparse
import json
import math
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


def digits(seed: int, val_fraction: float = 0.4):
    """Digits with no test split and ``val_fraction`` of the 1,797 images for validation: at the
    default 0.2 (359 images) one image is 0.28 points of accuracy, as much as the true differences
    between many sub-networks, so both the proxy and the truth would rank by sampling noise."""
    from nas_kernel.components import build_component

    return build_component("datasets", "digits", {"val_fraction": val_fraction, "test_fraction": 0.0}, seed=seed)


def digits_shifted(seed: int, val_fraction: float = 0.4):
    """Digits that do not saturate (why: the module's docstring): each 8x8 digit at a random offset
    (0-2 pixels each way) on a 10x10 canvas, scaled to 0..1, upscaled to 16x16 (bilinear). The
    offsets are fixed (seed 0), the train / validation split follows ``seed``."""
    import numpy as np
    from torch.nn import functional as F

    from nas_datasets.digits import load_digits_arrays
    from nas_datasets.provider import ArrayDataset
    from nas_datasets.splits import make_splits

    X, y = load_digits_arrays()
    rng = np.random.default_rng(0)
    canvas = np.zeros((len(X), 1, 10, 10), dtype=np.float32)
    for i, (r, c) in enumerate(rng.integers(0, 3, size=(len(X), 2))):
        canvas[i, 0, r:r + 8, c:c + 8] = X[i, 0] / 16.0
    images = F.interpolate(torch.from_numpy(canvas), size=(16, 16), mode="bilinear", align_corners=False).numpy()
    return ArrayDataset(num_classes=10, name="digits-shifted",
                        **make_splits(images, y, val_fraction=val_fraction, test_fraction=0.0, seed=seed))


DATA = {"digits": digits, "digits-shifted": digits_shifted}


def kendall_tau(a, b) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(a, b).statistic)


def flops(model, input_shape) -> float:
    from nas_evaluators.flops import TorchFlops

    return TorchFlops(input_shape=[1, *input_shape]).evaluate(model)


def candidates(space, config, n: int, pick: str, input_shape, pool_size: int):
    """``n`` distinct sub-networks, the largest and the smallest among them, as ``(model, FLOPs)``
    sorted by FLOPs (each network's FLOPs counted once).

    ``random``: the others drawn uniformly from the space; most then lie near the middle of the
    size range, where true accuracies differ less than one training's noise. ``stratified``: from
    ``pool_size`` random draws, the one nearest (in log FLOPs) to each of ``n`` evenly spaced
    points between the smallest's and the largest's FLOPs, so the sizes span the space as the issue
    asks ("sub-networks of different sizes"). Either way the choice is made before anything is
    trained, from the seed alone."""
    ends = [space.make(config.largest()), space.make(config.smallest())]
    pool = {m.archid: m for m in ends}
    wanted, draws = (n if pick == "random" else pool_size), 0
    while len(pool) < wanted and (pick == "random" or draws < 20 * pool_size):
        m = space.random_sample()
        pool.setdefault(m.archid, m)
        draws += 1
    size = {k: flops(m, input_shape) for k, m in pool.items()}
    chosen_ids = [ends[1].archid, ends[0].archid]
    if pick == "random":
        chosen_ids = list(pool)
    else:
        low, high = math.log(size[ends[1].archid]), math.log(size[ends[0].archid])
        for i in range(1, n - 1):
            target = low + (high - low) * i / (n - 1)
            free = [k for k in pool if k not in chosen_ids]
            chosen_ids.append(min(free, key=lambda k: (abs(math.log(size[k]) - target), k)))
    return sorted(((pool[k], size[k]) for k in chosen_ids), key=lambda pair: (pair[1], pair[0].archid))


def standalone(space, model, data, args, seed: int, cache: dict):
    """``(validation accuracy, seconds, parameters)`` of ``model``'s architecture trained alone
    from scratch with ``seed`` (weights, batch order), read from ``cache`` when it holds them."""
    from nas_edge.supernet.finetune import train_network
    from nas_edge.supernet.scoring import accuracy

    key = f"{args.data}|val {args.val_fraction}|{model.archid}|epochs {args.epochs}|batch {args.batch_size}|" \
          f"lr {args.lr}|data seed {args.seed}|seed {seed}"
    if key not in cache:
        t = time.perf_counter()
        torch.manual_seed(seed)
        net = train_network(space.make(space.arch_of(model)).arch, data, epochs=args.epochs, lr=args.lr,
                            batch_size=args.batch_size, seed=seed)
        cache[key] = [accuracy(net, data.get_val()), time.perf_counter() - t, sum(p.numel() for p in net.parameters())]
    return cache[key]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=None,
                        help="standalone training epochs (default: the supernet's, as the comparison asks)")
    parser.add_argument("--supernet-epochs", type=int, default=25, help="supernet training epochs")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--distill", type=float, default=1.0, help="the supernet's in-place distillation weight")
    parser.add_argument("--num-random", type=int, default=2, help="random sub-networks per step (sandwich rule)")
    parser.add_argument("--progressive", action="store_true", help="progressive shrinking")
    parser.add_argument("--resolution-per-step", action=argparse.BooleanOptionalAction, default=True,
                        help="every sub-network of a step at one drawn resolution, the teacher included "
                             "(the supernet's default; --no-resolution-per-step: the largest at the highest "
                             "resolution, the smallest at the lowest)")
    parser.add_argument("--zero-init-residual", action="store_true",
                        help="every residual block of the supernet starts as the identity (zero_init_residual)")
    parser.add_argument("--calibration-batches", type=int, default=8, help="batch-norm recalibration batches")
    parser.add_argument("--truth-seeds", type=int, default=3,
                        help="train each sub-network alone with this many seeds (seed, seed+1, ...): the "
                             "standalone accuracy is their mean, and the seeds' agreement is printed")
    parser.add_argument("--truth-cache", default=None,
                        help="a JSON file keeping standalone results between runs (their seconds are the "
                             "first run's)")
    parser.add_argument("--data", default="digits-shifted", choices=sorted(DATA),
                        help="the task (digits-shifted: digits at random offsets, where the sub-networks' accuracies spread)")
    parser.add_argument("--val-fraction", type=float, default=0.4, help="validation share of the data")
    parser.add_argument("--pick", default="stratified", choices=["stratified", "random"],
                        help="how the sub-networks are chosen: spanning the FLOPs range, or uniform draws")
    parser.add_argument("--pool", type=int, default=300, help="random draws the stratified pick chooses from")
    parser.add_argument("--resolutions", type=int, nargs="+", default=SPACE["resolutions"],
                        help="the space's input resolutions (one: the supernet is not elastic in resolution)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    from nas_edge.mobilenet_space import MobileNetSearchSpace
    from nas_edge.supernet.config import SupernetConfig
    from nas_edge.supernet.evaluator import SupernetEvaluator
    from nas_edge.supernet.settings import SupernetSettings
    from nas_edge.supernet.trainer import train_supernet

    if args.epochs is None:
        args.epochs = args.supernet_epochs
    data = DATA[args.data](args.seed, args.val_fraction)
    space = MobileNetSearchSpace(**{**SPACE, "resolutions": args.resolutions}, seed=args.seed)
    config = SupernetConfig.of_space(space)
    train = {"epochs": args.supernet_epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
             "distill": args.distill, "num_random": args.num_random, "progressive": args.progressive,
             "resolution_per_step": args.resolution_per_step, "zero_init_residual": args.zero_init_residual,
             "device": "cpu"}
    cache = {}
    if args.truth_cache and os.path.isfile(args.truth_cache):
        with open(args.truth_cache, encoding="utf-8") as f:
            cache = json.load(f)
    folder = tempfile.mkdtemp(prefix="supernet-bench-")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.data}: {len(data.get_train()[1])} train / {len(data.get_val()[1])} val; standalone "
          f"{args.epochs} epochs x {args.truth_seeds} seed(s), supernet {args.supernet_epochs} epochs; batch "
          f"{args.batch_size}, Adam lr {args.lr} (cosine), 1 thread; supernet: distill {args.distill}, "
          f"{args.num_random} random sub-networks per step, progressive {args.progressive}, "
          f"resolution per step {args.resolution_per_step}, zero-init residual {args.zero_init_residual}, "
          f"{args.calibration_batches} calibration batches; {args.n} sub-networks, {args.pick} pick; "
          f"resolutions {args.resolutions}")

    started = time.perf_counter()
    meta = train_supernet(space, data, SupernetSettings.checked(**train), folder, echo=lambda *a: None)
    supernet_seconds = time.perf_counter() - started
    print(f"supernet trained in {supernet_seconds:.1f} s: " + ", ".join(
        f"epoch {h['epoch']}: largest {h['val_acc_largest']:.3f} smallest {h['val_acc_smallest']:.3f}"
        for h in meta["history"][-2:]), flush=True)

    evaluator = SupernetEvaluator(folder, dataset=data, device="cpu", calibration_batches=args.calibration_batches,
                                  **{k: v for k, v in train.items() if k != "device"})
    input_shape = tuple(data.get_train()[0].shape[1:])
    t = time.perf_counter()
    picked = candidates(space, config, args.n, args.pick, input_shape, args.pool)
    models, sizes = [m for m, _ in picked], [f for _, f in picked]
    print(f"sub-networks chosen in {time.perf_counter() - t:.1f} s (not counted in either cost)", flush=True)
    seeds = [args.seed + i for i in range(args.truth_seeds)]
    inherited, alone, params, eval_seconds, alone_seconds = [], [], [], 0.0, 0.0
    for i, model in enumerate(models):
        t = time.perf_counter()
        inherited.append(evaluator.evaluate(model))
        eval_seconds += time.perf_counter() - t
        runs = [standalone(space, model, data, args, seed, cache) for seed in seeds]
        alone.append([r[0] for r in runs])
        alone_seconds += runs[0][1]  # one standalone training per candidate is what a search without a supernet pays
        params.append(runs[0][2])
        print(f"{i + 1:3d} {model.archid:48s} {params[-1]:7d} params {sizes[i] / 1e6:6.2f} MFLOPs  "
              f"inherited {inherited[-1]:.3f}  "
              f"alone {' '.join(f'{a:.3f}' for a in alone[-1])}", flush=True)
        if args.truth_cache:
            with open(args.truth_cache, "w", encoding="utf-8") as f:
                json.dump(cache, f)

    n = len(models)
    mean = [sum(a) / len(a) for a in alone]
    print()
    print(f"{'':40s} {'supernet search':>18s} {'standalone':>14s}")
    print(f"{f'training (s), supernet {args.supernet_epochs} / alone {args.epochs} ep':40s} {supernet_seconds:18.1f} "
          f"{alone_seconds:14.1f}")
    print(f"{f'scoring {n} sub-networks (s)':40s} {eval_seconds:18.1f} {'(included)':>14s}")
    print(f"{f'total for {n} candidates (s)':40s} {supernet_seconds + eval_seconds:18.1f} {alone_seconds:14.1f}")
    print(f"{'per further candidate (s)':40s} {eval_seconds / n:18.2f} {alone_seconds / n:14.2f}")
    print(f"{'cost ratio standalone / supernet':40s} {alone_seconds / (supernet_seconds + eval_seconds):18.2f}x")
    per_alone, per_eval = alone_seconds / n, eval_seconds / n
    if per_alone > per_eval:
        print(f"{'break-even (candidates)':40s} {math.ceil(supernet_seconds / (per_alone - per_eval)):18d}")

    def goal(tau: float) -> str:
        return f"{tau:.3f} (goal >= 0.6: {'met' if tau >= 0.6 else 'not met'})"

    print(f"Kendall tau over {n} sub-networks, inherited accuracy vs standalone accuracy:")
    for k, s in enumerate(seeds):
        print(f"  vs seed {s} alone: {goal(kendall_tau(inherited, [a[k] for a in alone]))}")
    if len(seeds) > 1:
        print(f"  vs the mean of the {len(seeds)} seeds: {goal(kendall_tau(inherited, mean))}")
        pairs = [(i, j) for i in range(len(seeds)) for j in range(i + 1, len(seeds))]
        agree = [kendall_tau([a[i] for a in alone], [a[j] for a in alone]) for i, j in pairs]
        spread = sum(abs(a[0] - a[1]) for a in alone) / n
        print(f"  standalone seed vs seed (the truth's own agreement, the ceiling of any proxy against one seed): "
              f"{sum(agree) / len(agree):.3f}" + (f" (pairs: {' '.join(f'{x:.3f}' for x in agree)})"
                                                  if len(agree) > 1 else "")
              + f"; mean |seed {seeds[0]} - seed {seeds[1]}| accuracy {spread:.3f}")
    truth = f"the mean of {len(seeds)} seeds" if len(seeds) > 1 else f"seed {seeds[0]}"
    print(f"  the naive rankings, against {truth}: parameter count {kendall_tau(params, mean):.3f}, "
          f"FLOPs {kendall_tau(sizes, mean):.3f}")
    print(f"standalone accuracy range ({truth}): {min(mean):.3f} - {max(mean):.3f}; inherited: "
          f"{min(inherited):.3f} - {max(inherited):.3f}")

if __name__ == "__main__":
    main()
