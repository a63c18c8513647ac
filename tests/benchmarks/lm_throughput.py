"""Training throughput of ``lm_training`` against a minimal hand-written PyTorch loop on the same
model, data and batch, side by side, at fp32 and bf16.

Run with the project's interpreter (not collected by pytest):

    .venv/bin/python tests/benchmarks/lm_throughput.py [--steps 60] [--repeats 3] [--device cpu]

tokens/s = steps x batch x seq_len / seconds of the training loop: ``metadata["tokens_per_second"]``
for ``lm_training`` (its loop only: no model copy, no validation), and the same span for the plain
loop (AdamW, a random window per row from the same memory-mapped tokens, forward, cross-entropy,
backward, gradient clipping, step). Both run one torch thread. Settings are interleaved within
each repeat and the median is printed with the load average: on a shared machine other processes
move the figures more than the code does. Goal: lm_training at least 0.95 of the plain loop.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from nas_kernel.toolbox.devices import autocast, check_device, synchronize
from nas_transformers import LanguageModelTraining, TextCorpus, TransformerFlexSearchSpace

BATCH, SEQ = 16, 64


def plain_loop(net, stream, steps: int, device: str, precision: str) -> float:
    """tokens/s of the loop a user would write by hand."""
    net = copy.deepcopy(net).to(device).train()
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1)
    rng = np.random.default_rng(0)
    begin = time.perf_counter()
    for _ in range(steps):
        starts = rng.integers(0, len(stream) - SEQ, size=BATCH)
        rows = torch.from_numpy(np.asarray(stream[starts[:, None] + np.arange(SEQ + 1)], dtype=np.int64))
        x, y = rows[:, :-1].to(device), rows[:, 1:].to(device)
        opt.zero_grad(set_to_none=True)
        with autocast(device, precision):
            logits = net(x)
        F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1)).backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
    synchronize(device)
    return steps * BATCH * SEQ / (time.perf_counter() - begin)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    device = check_device("--device", args.device)
    torch.set_num_threads(1)
    data = TextCorpus(seq_len=SEQ, max_bytes=2_000_000, seed=1)
    space = TransformerFlexSearchSpace("gpt2", dataset=data, max_layers=2)
    model = space.make({"n_layer": 2, "d_model": 128, "n_head": 4, "d_inner": 512, **space.fixed()})
    stream = data.tokens("train")
    results = {}
    for _ in range(args.repeats):
        for precision in ("fp32", "bf16"):
            trainer = LanguageModelTraining(data, steps=args.steps, batch_size=BATCH, eval_tokens=SEQ,
                                            device=device, precision=precision)
            trainer.evaluate(model)
            results.setdefault((precision, "lm_training"), []).append(model.metadata["tokens_per_second"])
            results.setdefault((precision, "plain loop"), []).append(
                plain_loop(model.arch, stream, args.steps, device, precision))
    print(f"{model.archid} on {device}, batch {BATCH} x {SEQ} tokens, {args.steps} steps, median of "
          f"{args.repeats}; load average {os.getloadavg()[0]:.1f} (a shared, busy machine)")
    print(f"{'precision':10s} {'lm_training tok/s':>18s} {'plain loop tok/s':>17s} {'ratio':>6s}")
    for precision in ("fp32", "bf16"):
        ours = statistics.median(results[(precision, "lm_training")])
        plain = statistics.median(results[(precision, "plain loop")])
        print(f"{precision:10s} {ours:18.0f} {plain:17.0f} {ours / plain:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
