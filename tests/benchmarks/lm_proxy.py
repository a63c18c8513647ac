"""How well cheap signals rank language models: Spearman and Kendall of validation perplexity
against the non-embedding parameter count (the Lightweight-Transformer-Search proxy), the total
parameter count, a zero-cost score, short training runs and learned predictors, and the share of
close pairs each orders correctly, beside how often the truth itself agrees with another seed.

Run with the project's interpreter (not collected by pytest):

    .venv/bin/python tests/benchmarks/lm_proxy.py [--archs 40] [--steps 150] [--stable 6] [--rows FILE]

Every architecture (drawn from ``transformer_flex``'s GPT-2 space, widths 32..128, 1..4 layers,
per-layer MLP widths) is trained by ``lm_training`` on the default corpus (the standard library's
sources, byte tokens, ``--max-bytes`` of them) for the same token budget, one thread, and its
validation perplexity is the truth; it is trained a second and a third time with other seeds
(weights and minibatches) to measure the truth's own noise, and the geometric means of two and of
three seeds are steadier truths. Signals (a higher score should mean a lower perplexity):

- ``non_emb_params``: the LTS proxy; ``total_params``: with the embeddings;
- ``grad_norm``: a zero-cost score, the norm of the loss gradient at initialisation on one batch;
- 10 % of the budget inside the budget's schedule (stopped during its warm-up), negated;
- short runs of 10 %, 20 % and 40 % of the budget's steps, each with its own warm-up and cosine
  schedule compressed to it (``lm_training`` with fewer ``steps``), negated; the 20 % and 40 % runs
  also as the mean of two seeds;
- random forests (the kernel's ``random_forest`` predictor) each fitted on one of ``--folds``
  folds of trained architectures (10 of 40) and scoring the others, from the architecture's
  encoding and its size, and from those plus the 20 % short run.

Close pairs are pairs whose non-embedding counts are within 1.5x of each other; a signal orders a
pair correctly when it ranks the lower-perplexity model higher. ``--stable`` of the architectures
are trained twice as long, to show whether the ranking at the budget holds. ``--rows`` keeps
each architecture's measurements, so an interrupted run continues where it stopped.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time

import torch
from scipy.stats import kendalltau, spearmanr

from nas_transformers import LanguageModelTraining, NonEmbeddingParamsProxy, TextCorpus, TransformerFlexSearchSpace
from nas_transformers.decoder import lm_loss
from nas_transformers.lm_batches import batch_at


def grad_norm(model, data, seed: int = 0) -> float:
    net = model.arch
    torch.manual_seed(seed)
    net.reset_parameters()
    net.train()
    x, y = batch_at(data.tokens("train"), 0, seed, 16, data.seq_len)
    net.zero_grad()
    lm_loss(net(x), y).backward()
    return float(torch.sqrt(sum((p.grad ** 2).sum() for p in net.parameters() if p.grad is not None)))


def close_pair_accuracy(scores, truth, sizes, ratio: float = 1.5):
    right = total = 0
    for i, j in itertools.combinations(range(len(truth)), 2):
        if max(sizes[i], sizes[j]) / min(sizes[i], sizes[j]) > ratio or truth[i] == truth[j]:
            continue
        total += 1
        better = i if truth[i] < truth[j] else j
        other = j if better == i else i
        right += scores[better] > scores[other]
    return (right / total if total else float("nan")), total


def predicted_out_of_fold(features, target, folds: int, seed: int):
    """Each architecture's predicted log-perplexity from random forests (the kernel's
    ``random_forest`` predictor) each fitted on one fold only, the fold it is not in: a predictor
    trained on a few fully-evaluated candidates, as a search would have them."""
    import numpy as np

    from nas_kernel.components import build_component

    x, y = np.asarray(features, dtype=float), np.log(np.asarray(target, dtype=float))
    fold_of = np.random.default_rng(seed).permutation(len(y)) % folds
    sums, counts = np.zeros(len(y)), np.zeros(len(y))
    for fold in range(folds):
        seen = fold_of == fold
        forest = build_component("predictors", "random_forest", {"n_estimators": 200, "min_samples_leaf": 2},
                                 seed=seed)
        forest.fit(x[seen], y[seen])
        sums[~seen] += forest.predict(x[~seen]).mean[:, 0]
        counts[~seen] += 1
    return list(sums / counts)


def measure(model, data, trainers, twice, row=None) -> dict:
    """One architecture's row (``row``: what was measured before; only what it lacks is
    measured): sizes, the zero-cost score, the perplexities at the budget (two seeds), after
    short runs and (``twice``: a trainer or None) after twice the budget."""
    row = dict(row or {})
    row.update(archid=model.archid, config=model.metadata["config"])
    cheap = {"non_emb": lambda: NonEmbeddingParamsProxy().evaluate(model),
             "total": lambda: float(sum(p.numel() for p in model.arch.parameters())),
             "grad_norm": lambda: grad_norm(model, data),
             "ppl": lambda: trainers["budget"].evaluate(model),
             "short_warmup": lambda: trainers["budget"].evaluate(model, 0.1)}
    trained = {name: (lambda t=trainer: t.evaluate(model)) for name, trainer in trainers.items() if name != "budget"}
    if twice is not None:
        trained["twice"] = lambda: twice.evaluate(model)
    for name, value in {**cheap, **trained}.items():
        if name not in row:
            row[name] = value()
    return row


def read_rows(path):
    rows = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)  # a later line adds to (or replaces) what earlier ones measured
                    rows.setdefault(row["archid"], {}).update(row)
    return rows


def print_signals(signals, truths, sizes) -> None:
    names = list(truths)
    print(f"\n{'signal':44s} {'spearman':>9s} {'kendall':>8s} " + " ".join(f"{'close pairs right (' + n + ')':>34s}"
                                                                          for n in names))
    first = truths[names[0]]
    for name, scores in signals.items():
        negated = [-s for s in scores]  # higher score = lower perplexity: correlate -score with perplexity
        rho, tau = spearmanr(negated, first)[0], kendalltau(negated, first)[0]
        cells = []
        for truth in truths.values():
            accuracy, pairs = close_pair_accuracy(scores, truth, sizes)
            cells.append(f"{accuracy:26.1%} of {pairs:4d}")
        print(f"{name:44s} {rho:9.3f} {tau:8.3f} " + " ".join(cells))


def print_truth_ceiling(rows, sizes) -> None:
    """What the budget's run itself reaches on close pairs: each seed against each other seed, and
    against the mean of the other two (a signal cannot be scored above the truth's own agreement)."""
    seeds = {"seed 1": [r["ppl"] for r in rows], "seed 2": [r["ppl_seed2"] for r in rows],
             "seed 3": [r["ppl_seed3"] for r in rows]}
    print("\nthe truth's own ceiling on close pairs (the budget's run, one seed against others):")
    for a, b in itertools.combinations(seeds, 2):
        print(f"  {a} against {b}: {close_pair_accuracy([-p for p in seeds[a]], seeds[b], sizes)[0]:.1%}")
    for name, ppl in seeds.items():
        others = [seeds[o] for o in seeds if o != name]
        mean = [math.sqrt(x * y) for x, y in zip(*others)]
        print(f"  {name} against the mean of the other two: {close_pair_accuracy([-p for p in ppl], mean, sizes)[0]:.1%}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archs", type=int, default=40)
    parser.add_argument("--steps", type=int, default=150, help="training steps of the budget (batch 16 x 64 tokens)")
    parser.add_argument("--stable", type=int, default=6, help="architectures also trained twice as long")
    parser.add_argument("--folds", type=int, default=4, help="the predictors are each fitted on one of these folds")
    parser.add_argument("--max-bytes", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rows", help="a JSON-lines file: each architecture's measurements are appended to it, "
                                       "and those already in it are read back instead of trained again")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = TextCorpus(seq_len=64, max_bytes=args.max_bytes, seed=args.seed)
    space = TransformerFlexSearchSpace("gpt2", max_layers=4, d_model_options=[32, 48, 64, 96, 128],
                                       d_inner_options=[64, 128, 256, 384, 512], n_head_options=[2, 4],
                                       share_d_inner=False, dataset=data, random_seed=args.seed)
    models, seen = [], set()
    while len(models) < args.archs:
        model = space.random_sample()
        if model.archid not in seen:
            seen.add(model.archid)
            models.append(model)

    def trainer(steps, seed=args.seed):
        return LanguageModelTraining(data, steps=steps, batch_size=16, eval_tokens=32768, seed=seed)

    trainers = {"budget": trainer(args.steps), "ppl_seed2": trainer(args.steps, args.seed + 1),
                "ppl_seed3": trainer(args.steps, args.seed + 2),
                "short_10": trainer(max(1, round(args.steps * 0.1))),
                "short_20": trainer(max(1, round(args.steps * 0.2))),
                "short_20_seed2": trainer(max(1, round(args.steps * 0.2)), args.seed + 1),
                "short_40": trainer(max(1, round(args.steps * 0.4))),
                "short_40_seed2": trainer(max(1, round(args.steps * 0.4)), args.seed + 1)}
    longer = trainer(2 * args.steps)
    every = max(1, len(models) // max(1, args.stable))
    subset = set(list(range(0, len(models), every))[:args.stable])
    print(f"{data.describe()}; {args.archs} architectures, {args.steps} steps x 16 x 64 tokens each; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    stored, rows = read_rows(args.rows), []
    started = time.time()
    for i, model in enumerate(models):
        t0 = time.time()
        row = stored.get(model.archid)
        fresh = measure(model, data, trainers, longer if i in subset else None, row)
        if fresh != row:
            row = fresh
            if args.rows:
                with open(args.rows, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")
        rows.append(row)
        print(f"{i + 1:3d} {model.archid:34s} ppl {row['ppl']:7.3f} (seed 2: {row['ppl_seed2']:7.3f})  short "
              f"{row['short_20']:7.3f}  non-emb {row['non_emb']:9.0f}  {time.time() - t0:5.1f} s", flush=True)
    sizes = [r["non_emb"] for r in rows]
    truths = {"seed 1": [r["ppl"] for r in rows],
              "mean of 2 seeds": [math.sqrt(r["ppl"] * r["ppl_seed2"]) for r in rows],
              "mean of 3 seeds": [(r["ppl"] * r["ppl_seed2"] * r["ppl_seed3"]) ** (1 / 3) for r in rows]}
    encoded = [list(space.encode(m)) + [math.log(r["non_emb"])] for m, r in zip(models, rows)]
    forest = predicted_out_of_fold(encoded, truths["seed 1"], args.folds, args.seed)
    hybrid = predicted_out_of_fold([e + [math.log(r["short_20"])] for e, r in zip(encoded, rows)],
                                   truths["seed 1"], args.folds, args.seed)
    few = f"fitted on {args.archs // args.folds} trained"
    signals = {"non_emb_params (LTS)": sizes, "total_params": [r["total"] for r in rows],
               "grad_norm (zero-cost)": [r["grad_norm"] for r in rows],
               "10% of the budget, budget's schedule": [-r["short_warmup"] for r in rows],
               f"short run, {trainers['short_10'].steps} steps, own schedule": [-r["short_10"] for r in rows],
               f"short run, {trainers['short_20'].steps} steps, own schedule": [-r["short_20"] for r in rows],
               f"short run, {trainers['short_20'].steps} steps, mean of 2 seeds":
                   [-math.log(r["short_20"] * r["short_20_seed2"]) for r in rows],
               f"short run, {trainers['short_40'].steps} steps, own schedule": [-r["short_40"] for r in rows],
               f"short run, {trainers['short_40'].steps} steps, mean of 2 seeds":
                   [-math.log(r["short_40"] * r["short_40_seed2"]) for r in rows],
               f"predictor ({few}): architecture": [-p for p in forest],
               f"predictor ({few}): + short run": [-p for p in hybrid],
               "the budget's run with seed 2": [-r["ppl_seed2"] for r in rows],
               "the budget's run with seed 3": [-r["ppl_seed3"] for r in rows]}
    print_signals(signals, truths, sizes)
    print("\n(the last two lines are the truth's own noise: the same budget with another seed of weights and "
          "batches; each is also part of the means, so against them it reads higher than a signal could)")
    print_truth_ceiling(rows, sizes)
    if subset:
        once = [rows[i]["ppl"] for i in sorted(subset)]
        twice = [rows[i]["twice"] for i in sorted(subset)]
        print(f"\nranking stability on {len(subset)} architectures trained 2x as long: spearman "
              f"{spearmanr(once, twice)[0]:.3f}, kendall {kendalltau(once, twice)[0]:.3f}")
    print(f"\ntotal {time.time() - started:.0f} s (a shared, busy machine: timings are indicative only)")

if __name__ == "__main__":
    sys.exit(main())
