"""What Lightweight Transformer Search pays per candidate, measured on this machine: the
objectives of Archai's ``tasks/text_generation/search.py`` (non-embedding parameters, ONNX latency
at sequence length 128, ONNX memory) on ``transformer_flex``'s GPT-2 space with Archai's defaults
(vocabulary 50257, 1024 positions, widths 128..960, 1..10 layers), one thread, with the
objectives' settings of that script (ONNX without a cache, ``n_trials=5``; Archai times
``n_trials x n_trials`` runs after two warm-ups, this project ``n_trials`` runs after one). The
exported graph ends, as Archai's does, in the next token's probabilities; ``--all-positions``
exports and times the logits of every position instead (what this project's objectives did
before 2026-12-07 evening).

Run with the project's interpreter (not collected by pytest):

    .venv/bin/python tests/benchmarks/lm_search_cost.py [--candidates 12] [--seed 1] [--folding] [--all-positions]

Per candidate: each objective's value and seconds, and the seconds in all (building whatever
the objectives build included), wall and this process's CPU time (on a loaded machine the wall
time mostly measures the other processes); the process's
peak resident memory so far (``ru_maxrss``: it only grows, so the last row is the run's peak).
``--folding`` then runs each candidate's latency objective twice more on its export, with
onnxruntime's constant folding on (what the objective did before it turned folding off) and off,
and prints both latencies and both times side by side: the folding's cost, and whether the
measured latency depends on it (the peak memory then includes the folded sessions).
The figure to compare with, measured by the author of issue 28 on 2026-12-06 with Archai 1.0 on
the same kind of 2-core CPU machine (12 candidates, one thread): 12.75 s per candidate (ONNX
latency 6.4 s, ONNX memory 5.0 s, each exporting its own ONNX file) and a 6.8 GB peak. Archai is not
a dependency; that figure is quoted, not re-measured here.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

import torch
from scipy.stats import spearmanr

from nas_transformers import (NonEmbeddingParamsProxy, TransformerFlexOnnxLatency, TransformerFlexOnnxMemory,
                              TransformerFlexSearchSpace)

ARCHAI_SECONDS, ARCHAI_PEAK_GB = 12.75, 6.8


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--folding", action="store_true",
                        help="also time the latency objective with constant folding on, side by side")
    parser.add_argument("--all-positions", action="store_true",
                        help="export the logits of every position, not the next token's probabilities")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    space = TransformerFlexSearchSpace("gpt2", random_seed=args.seed)
    next_token = not args.all_positions
    objectives = {"non_emb_params": NonEmbeddingParamsProxy(trainable_only=True),
                  "onnx_latency_s": TransformerFlexOnnxLatency(space, seq_len=args.seq_len, n_trials=5, use_past=False,
                                                               next_token=next_token),
                  "onnx_memory_mb": TransformerFlexOnnxMemory(space, use_past=False, next_token=next_token)}
    with_folding = TransformerFlexOnnxLatency(space, seq_len=args.seq_len, n_trials=5, use_past=False,
                                              constant_folding=True, next_token=next_token)
    print(f"transformer_flex gpt2 (Archai's defaults), {args.candidates} candidates, seq_len {args.seq_len}, "
          f"1 thread, the graph's output: {'next-token probabilities' if next_token else 'the logits of every position'}; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'archid':40s} " + " ".join(f"{n:>15s}" for n in objectives)
          + f" {'s/candidate':>12s} {'cpu s':>6s} {'peak GB':>8s}")
    totals, cpu_totals, folded = [], [], []
    for _ in range(args.candidates):
        model = space.random_sample()
        started, cpu = time.perf_counter(), time.process_time()
        values, seconds = {}, {}
        for name, evaluator in objectives.items():
            t0 = time.perf_counter()
            values[name] = evaluator.evaluate(model)
            seconds[name] = time.perf_counter() - t0
        total = time.perf_counter() - started
        totals.append(total)
        cpu_totals.append(time.process_time() - cpu)
        if args.folding:
            folded.append(latency_both_ways(objectives["onnx_latency_s"], with_folding, model,
                                            first_on=len(folded) % 2 == 1))
        model.clear()
        cells = " ".join(f"{values[n]:9.4g} {seconds[n]:4.1f}s" for n in objectives)
        print(f"{model.archid[:40]:40s} {cells} {total:12.2f} {cpu_totals[-1]:6.2f} {peak_gb():8.2f}", flush=True)
    mean = statistics.fmean(totals)
    print(f"\nours:   {mean:.2f} s per candidate (median {statistics.median(totals):.2f}; CPU "
          f"{statistics.fmean(cpu_totals):.2f} s), peak {peak_gb():.2f} GB")
    print(f"Archai: {ARCHAI_SECONDS:.2f} s per candidate, peak {ARCHAI_PEAK_GB:.1f} GB (measured 2026-12-06 by the "
          "issue's author, quoted)")
    print(f"ratio:  {ARCHAI_SECONDS / mean:.1f}x less time, {peak_gb() / ARCHAI_PEAK_GB:.2f} of the peak memory")
    print(f"        {ARCHAI_SECONDS / statistics.fmean(cpu_totals):.1f}x less by this process's CPU time (what the wall "
          "time is on an idle machine)")
    if folded:
        on_v, on_s, off_v, off_s = zip(*folded)
        print("\nthe latency objective again on each candidate's export, with and without constant folding "
              "(alternating which goes first):")
        print(f"  folding on:  {statistics.fmean(on_s):.2f} s per candidate, mean latency {statistics.fmean(on_v) * 1000:.1f} ms")
        print(f"  folding off: {statistics.fmean(off_s):.2f} s per candidate, mean latency {statistics.fmean(off_v) * 1000:.1f} ms "
              "(the objective's setting)")
        print(f"  off / on: time {statistics.fmean(off_s) / statistics.fmean(on_s):.2f}, latency median "
              f"{statistics.median(b / a for a, b in zip(on_v, off_v)):.3f}, Spearman of the latencies "
              f"{spearmanr(on_v, off_v).statistic:.3f}")


def latency_both_ways(unfolded, folded, model, first_on: bool):
    """(value, seconds) of the latency objective on ``model`` with onnxruntime's constant folding
    on (``folded``), then off (``unfolded``, the objective's default); the export is the one the
    objective already made, so only the session and the runs are timed."""
    results = {}
    for evaluator in ((folded, unfolded) if first_on else (unfolded, folded)):
        started = time.perf_counter()
        value = evaluator.evaluate(model)
        results[evaluator.constant_folding] = (value, time.perf_counter() - started)
    return results[True] + results[False]


if __name__ == "__main__":
    sys.exit(main())
