"""How well cheap signals rank language models: Spearman and Kendall of validation perplexity
against the non-embedding parameter count (the Lightweight-Transformer-Search proxy), the total
parameter count, a zero-cost score and a short training run, and the share of close pairs each
orders correctly.

Run with the project's interpreter (not collected by pytest):

    .venv/bin/python tests/benchmarks/lm_proxy.py [--archs 40] [--steps 200] [--stable 10]

Every architecture (drawn from ``transformer_flex``'s GPT-2 space, widths 32..128, 1..4 layers,
per-layer MLP widths) is trained by ``lm_training`` on the default corpus (the standard library's
sources, byte tokens, ``--max-bytes`` of them) for the same token budget, one thread, and its
validation perplexity is the truth. Signals (a higher score should mean a lower perplexity):

- ``non_emb_params``: the LTS proxy; ``total_params``: with the embeddings;
- ``grad_norm``: a zero-cost score, the norm of the loss gradient at initialisation on one batch;
- ``short_training``: the perplexity after ``--short`` of the budget (10 %), negated.

Close pairs are pairs whose non-embedding counts are within 1.5x of each other; a signal orders a
pair correctly when it ranks the lower-perplexity model higher. ``--stable`` of the architectures
are trained twice as long, to show whether the ranking at the budget holds.
"""
from __future__ import annotations

import argparse
import itertools
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archs", type=int, default=40)
    parser.add_argument("--steps", type=int, default=200, help="training steps of the budget (batch 16 x 64 tokens)")
    parser.add_argument("--short", type=float, default=0.1, help="share of the budget of the short-training signal")
    parser.add_argument("--stable", type=int, default=10, help="architectures also trained twice as long")
    parser.add_argument("--max-bytes", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
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
    trainer = LanguageModelTraining(data, steps=args.steps, batch_size=16, eval_tokens=32768, seed=args.seed)
    print(f"{data.describe()}; {args.archs} architectures, {args.steps} steps x 16 x 64 tokens each; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    started = time.time()
    for i, model in enumerate(models):
        t0 = time.time()
        ppl = trainer.evaluate(model)
        short = trainer.evaluate(model, args.short)
        rows.append({"archid": model.archid, "ppl": ppl, "short": short,
                     "non_emb": NonEmbeddingParamsProxy().evaluate(model),
                     "total": float(sum(p.numel() for p in model.arch.parameters())),
                     "grad_norm": grad_norm(model, data)})
        print(f"{i + 1:3d} {model.archid:34s} ppl {ppl:7.3f}  short {short:7.3f}  non-emb {rows[-1]['non_emb']:9.0f}  "
              f"{time.time() - t0:5.1f} s", flush=True)
    truth = [r["ppl"] for r in rows]
    sizes = [r["non_emb"] for r in rows]
    signals = {"non_emb_params": sizes, "total_params": [r["total"] for r in rows],
               "grad_norm (zero-cost)": [r["grad_norm"] for r in rows],
               f"short_training ({args.short:.0%} of the budget)": [-r["short"] for r in rows]}
    print(f"\n{'signal':34s} {'spearman':>9s} {'kendall':>8s} {'close pairs right':>18s}")
    for name, scores in signals.items():
        negated = [-s for s in scores]  # higher score = lower perplexity: correlate -score with perplexity
        rho, tau = spearmanr(negated, truth)[0], kendalltau(negated, truth)[0]
        accuracy, pairs = close_pair_accuracy(scores, truth, sizes)
        print(f"{name:34s} {rho:9.3f} {tau:8.3f} {accuracy:12.1%} of {pairs}")
    if args.stable:
        longer = LanguageModelTraining(data, steps=2 * args.steps, batch_size=16, eval_tokens=32768, seed=args.seed)
        subset = list(range(0, len(models), max(1, len(models) // args.stable)))[:args.stable]
        twice = [longer.evaluate(models[i]) for i in subset]
        once = [truth[i] for i in subset]
        print(f"\nranking stability on {len(subset)} architectures trained 2x as long: spearman "
              f"{spearmanr(once, twice)[0]:.3f}, kendall {kendalltau(once, twice)[0]:.3f}")
    print(f"\ntotal {time.time() - started:.0f} s (a shared, busy machine: timings are indicative only)")


if __name__ == "__main__":
    sys.exit(main())
