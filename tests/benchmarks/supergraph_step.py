"""Supergraph speed on CPU: ours next to the textbook implementation, in the same run.

1. Forward + backward of each op on a (64, 16, 32, 32) input (stride 1, 16 -> 16 channels, affine
   BN; the mixed op without affine, as in search; prepr_reduce at stride 2). The backward pass
   gets a dense upstream gradient, as an op inside a network does (``out.sum().backward()``
   feeds a broadcast gradient that sends batch norm down a slow path in channels_last).
2. One DARTS search step (architecture step + weight step, first order) for a one-cell
   supergraph: 8 candidate ops, 4 nodes (14 mixed edges), C=16, stem 3 -> 48, batch 32, 32x32.

Each figure is the median of repeats. Next to ours: the same ops run "textbook" style in the same
process (NCHW, every candidate including ``none`` computed, weights multiplied and summed, plain
concatenation, the architecture gradient from a full backward), which is how the reference
library works. Only ratios measured side by side in one run are reported: the box is shared,
and the in-process ratio is the comparison that survives load.

Two threads only help on an idle box (two threads collapse when another job holds a core); on
a shared box compare at ``--threads 1``.

Run: .venv/bin/python tests/benchmarks/supergraph_step.py [--threads 2] [--repeats 7] [--stat min]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import nas_supergraph.operations as supergraph_ops
from nas_supergraph.arch_trainer import ArchTrainer
from nas_supergraph.model import Model
from nas_supergraph.model_desc_builder import ModelDescBuilder
from nas_supergraph.op_lookup import create_op
from nas_supergraph.operations import PRIMITIVES, conv_desc

OPS = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
       "dil_conv_5x5", "prepr_reduce", "mixed_op"]


STAT = statistics.median


def median_ms(fn, repeats: int, warmup: int = 2) -> float:
    """Median (or, with ``--stat min``, best) wall time of ``fn`` in ms."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * STAT(times)


def op_runner(name: str, textbook: bool):
    affine = name != "mixed_op"
    stride = 2 if name == "prepr_reduce" else 1
    op = create_op(conv_desc(name, 16, 16, stride), affine)
    fmt = torch.contiguous_format if textbook else torch.channels_last
    if name == "mixed_op":
        op.fused = not textbook
    op.to(memory_format=fmt)
    x = torch.randn(64, 16, 32, 32).contiguous(memory_format=fmt).requires_grad_(True)
    with torch.no_grad():
        grad = torch.randn_like(op(x))

    def run():
        out = op(x)
        if textbook and name == "none":  # the reference Zero multiplies its input by 0
            out = x * 0.0
        if out.requires_grad:
            out.backward(grad)
        x.grad = None

    return run


def darts_step_runner(textbook: bool):
    builder = ModelDescBuilder(in_channels=3, num_classes=10, init_channels=16, n_cells=1, n_nodes=4)
    torch.manual_seed(0)
    model = Model(builder.build_search(PRIMITIVES), droppath=False, affine=False, channels_last=not textbook)
    for op in model.mixed_ops():
        op.fused = not textbook
    trainer = ArchTrainer({"epochs": 1, "device": "cpu"}, model, None)
    trainer.start_epoch(0)
    model.train()
    xt, xv = torch.randn(32, 3, 32, 32), torch.randn(32, 3, 32, 32)
    yt, yv = torch.randint(0, 10, (32,)), torch.randint(0, 10, (32,))
    if not textbook:
        return lambda: trainer.step(xt, yt, xv, yv)

    def textbook_step():
        fused_cat = supergraph_ops.cat_channels
        supergraph_ops.cat_channels = lambda states: torch.cat(list(states), dim=1)  # plain cat
        try:
            textbook_step_body()
        finally:
            supergraph_ops.cat_channels = fused_cat

    def textbook_step_body():
        trainer.a_optim.zero_grad()
        F.cross_entropy(model(xv)[0], yv).backward()  # computes weight gradients too, then drops them
        trainer.a_optim.step()
        trainer.w_optim.zero_grad()
        F.cross_entropy(model(xt)[0], yt).backward()
        torch.nn.utils.clip_grad_norm_(trainer.weights, 5.0)
        trainer.w_optim.step()

    return textbook_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--stat", choices=["median", "min"], default="median",
                        help="min is steadier when other jobs share the CPU")
    args = parser.parse_args()
    global STAT
    STAT = statistics.median if args.stat == "median" else min
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.stat} of {args.repeats}; "
          "ours = channels_last")
    print("\nforward+backward on (64, 16, 32, 32), ms")
    print(f"{'op':14} {'ours':>7} {'textbook':>9} {'speed-up':>9}")
    for name in OPS:
        ours = median_ms(op_runner(name, False), args.repeats)
        book = median_ms(op_runner(name, True), args.repeats)
        print(f"{name:14} {ours:7.1f} {book:9.1f} {book / ours:8.1f}x")
    repeats = max(3, args.repeats // 2)
    ours = median_ms(darts_step_runner(False), repeats, warmup=1) / 1000
    book = median_ms(darts_step_runner(True), repeats, warmup=1) / 1000
    print("\nDARTS search step (1 cell, 4 nodes, 8 ops, C=16, batch 32, 32x32; arch + weight step)")
    print(f"ours     {ours:.3f} s/step = {1 / ours:.2f} steps/s")
    print(f"textbook {book:.3f} s/step = {1 / book:.2f} steps/s   speed-up {book / ours:.1f}x")


if __name__ == "__main__":
    main()
