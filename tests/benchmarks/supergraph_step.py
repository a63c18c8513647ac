"""Supergraph speed on CPU, next to Archai 1.0 measured on this machine (issue 6).

1. Forward + backward of each op on a (64, 16, 32, 32) tensor (stride 1, 16 -> 16 channels,
   affine BN; the mixed op without affine, as in search), median over repeats, ms.
2. One DARTS search step (architecture step + weight step, first order, forward and backward
   both times) for a one-cell supergraph: 8 candidate ops, 4 nodes (14 mixed edges), C=16,
   stem 3 -> 48, batch 32, 32x32 input; median s/step and steps/s.

Archai 1.0 reference (2 threads, median, same shapes, measured here): MixedOp 273-301 ms,
SepConv3x3 42-50 ms, DilConv3x3 36-47 ms, FactorizedReduce 14-19 ms. Target: >= 2.5x.

Run: .venv/bin/python tests/benchmarks/supergraph_step.py [--threads 2] [--repeats 7] [--nchw]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from nas_supergraph.arch_trainer import ArchTrainer
from nas_supergraph.model import Model
from nas_supergraph.model_desc_builder import ModelDescBuilder
from nas_supergraph.op_lookup import create_op
from nas_supergraph.ops import PRIMITIVES, conv_desc

ARCHAI_MS = {"mixed_op": (273, 301), "sep_conv_3x3": (42, 50), "dil_conv_3x3": (36, 47), "prepr_reduce": (14, 19)}
OPS = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
       "dil_conv_5x5", "prepr_reduce", "mixed_op"]


def median_ms(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def op_timing(name: str, repeats: int, channels_last: bool) -> float:
    affine = name != "mixed_op"
    stride = 2 if name == "prepr_reduce" else 1
    op = create_op(conv_desc(name, 16, 16, stride), affine)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    op.to(memory_format=fmt)
    x = torch.randn(64, 16, 32, 32).contiguous(memory_format=fmt).requires_grad_(True)

    def run():
        out = op(x)
        out.sum().backward() if out.requires_grad else None
        x.grad = None

    return median_ms(run, repeats)


def darts_step_timing(repeats: int, channels_last: bool) -> float:
    builder = ModelDescBuilder(in_channels=3, num_classes=10, init_channels=16, n_cells=1, n_nodes=4)
    torch.manual_seed(0)
    model = Model(builder.build_search(PRIMITIVES), affine=False, channels_last=channels_last)
    trainer = ArchTrainer(model, epochs=1)
    trainer.start_epoch(0)
    model.train()
    xt, xv = torch.randn(32, 3, 32, 32), torch.randn(32, 3, 32, 32)
    yt, yv = torch.randint(0, 10, (32,)), torch.randint(0, 10, (32,))
    return median_ms(lambda: trainer.step(xt, yt, xv, yv), repeats, warmup=1) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--nchw", action="store_true", help="use NCHW instead of channels_last (for comparison)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    channels_last = not args.nchw
    print(f"torch {torch.__version__}, {args.threads} thread(s), "
          f"{'channels_last' if channels_last else 'NCHW'}, median of {args.repeats}")
    print(f"\nforward+backward on (64, 16, 32, 32):\n{'op':16} {'ours ms':>9} {'Archai 1.0 ms':>14} {'speed-up':>9}")
    for name in OPS:
        ms = op_timing(name, args.repeats, channels_last)
        ref = ARCHAI_MS.get(name)
        ref_text = f"{ref[0]}-{ref[1]}" if ref else "-"
        ratio = f"{ref[0] / ms:.1f}-{ref[1] / ms:.1f}x" if ref else ""
        print(f"{name:16} {ms:9.1f} {ref_text:>14} {ratio:>9}")
    step = darts_step_timing(max(3, args.repeats // 2), channels_last)
    print(f"\nDARTS search step (1 cell, 4 nodes, 8 ops, C=16, batch 32, 32x32, arch + weight step): "
          f"{step:.3f} s/step = {1 / step:.2f} steps/s")


if __name__ == "__main__":
    main()
