"""Kernel overhead per candidate (µs) with a free evaluator on a toy space, at 500 and 5,000
candidates: the loop, dedup, constraints, cache, SQLite store and Pareto bookkeeping, but not the
one-off exports at the end (timed separately). Objectives: distance to a target (expensive) and a
fixed pseudo-random value per archid (so the Pareto front stays small, as real fronts do), with a
constraint on a third, cheap evaluator. The ratio of the two shows whether the overhead
stays flat as the history grows. Target: <= 100 µs per candidate.

Run: .venv/bin/python tests/benchmarks/kernel_overhead.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import nas_kernel.exports as exports  # noqa: E402
from nas_kernel import SearchObjectives  # noqa: E402
from toy import Distance, Noise, Size, ToyEvolution, ToyRandom, ToySpace  # noqa: E402


def one_run(searcher_cls, candidates: int, per_iter: int = 50) -> float:
    so = SearchObjectives()
    so.add_objective("distance", Distance(target=500_000), higher_is_better=False)
    so.add_objective("noise", Noise(), higher_is_better=False)
    so.add_constraint("size", Size(), (0, 900_000))
    with tempfile.TemporaryDirectory() as out:
        kwargs = {"samples_per_iter": per_iter} if searcher_cls is ToyRandom else {"population": per_iter}
        searcher = searcher_cls(ToySpace(size=1_000_000, step=1000), so, out, num_iters=candidates // per_iter, **kwargs)
        searcher.progress = False
        start = time.perf_counter()
        results = searcher.search()
        elapsed = time.perf_counter() - start
        evaluated = sum(len(r["archid"]) for r in results.results)
    return elapsed / evaluated * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    real_exports = exports.write_exports
    exports.write_exports = lambda *a, **k: {}  # the loop alone; exports timed below
    print(f"load average: {os.getloadavg()}")
    print(f"{'searcher':14} {'500 cand. µs':>13} {'5000 cand. µs':>14} {'ratio 5000/500':>15}")
    for cls in (ToyRandom, ToyEvolution):
        small = statistics.median(one_run(cls, 500) for _ in range(args.repeats))
        large = statistics.median(one_run(cls, 5000) for _ in range(args.repeats))
        verdict = "ok" if large <= 100 else "OVER TARGET"
        print(f"{cls.__name__:14} {small:13.1f} {large:14.1f} {large / small:15.2f}   target <= 100 µs: {verdict}")
    print("(ToyEvolution's figure also holds its own proposal work: mutating a small front rejects many "
          "already-seen neighbours as the history grows)")
    exports.write_exports = real_exports
    so = SearchObjectives()
    so.add_objective("distance", Distance(), higher_is_better=False)
    so.add_objective("size", Size(), higher_is_better=True, compute_intensive=False)
    with tempfile.TemporaryDirectory() as out:
        searcher = ToyRandom(ToySpace(size=1_000_000), so, out, num_iters=100, samples_per_iter=50)
        searcher.progress = False
        start = time.perf_counter()
        searcher.search()
        total = time.perf_counter() - start
    print(f"with exports (CSV, cache YAML, Pareto JSON, plot, models) at 5000 candidates: {total:.2f} s total")
    print("Archai 1.0 (../shared/reference/archai.md): 0.6-22 ms per candidate with writers off, "
          "140-190 ms as shipped")


if __name__ == "__main__":
    main()
