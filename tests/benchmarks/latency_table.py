"""Latency tables against measured latency on this CPU: over random ``mobilenet`` architectures
(MobileNetV3-Large stage table, depth 2-4, kernel 3/5/7, expansion 3/4/6, width 1.0, one
resolution, one thread: the space's defaults, sampled uniformly by its ``random_sample``), the
table's prediction (the sum of the blocks, scaled, plus the fixed part, both fitted on the table's
calibration architectures) against the architecture timed end to end, with the same settings,
for eager PyTorch and for ONNX Runtime. Beside it, the naive alternatives: FLOPs and parameter
count, each turned into milliseconds by the one ratio that fits the table's calibration
architectures best (the median ms per unit), so their errors read on the same scale. Also the
table's build time (goal: under 3 minutes on 2 cores at one resolution).

The truth is measured the way the table times its blocks (``nas_edge.timing.interleaved_ms``):
all the architectures in ``--rounds`` interleaved rounds of ``--warmups`` untimed and
``--samples`` timed runs each, the ``--statistic`` over all of an architecture's runs (default
``min``: on a shared machine the speed of a core changes in episodes of up to seconds, and the
least disturbed run is the one that repeats). The truth is measured twice, and the agreement of
the two passes with each other (``truth (again)``) is printed as the ceiling any predictor can
reach here; the predictors are scored against the first pass, and against both passes pooled
(twice the runs of each architecture: a steadier truth, see ``pooled_truth``). The timing holds
glibc's allocator steady (``nas_edge.steady_allocator``) for the table and the truth alike;
``--system-allocator`` leaves it as the process found it, as the timing did before 2026-12-07
evening, for a side-by-side comparison.

Targets (issue 29): Spearman >= 0.95 and median absolute error <= 10 %.

Run: .venv/bin/python tests/benchmarks/latency_table.py [--archs 100] [--resolution 128]
     [--runtimes torch onnxruntime] [--samples 2] [--warmups 1] [--rounds 30] [--table-rounds 10]
     [--calibration 8] [--statistic min] [--clock thread_cpu] [--system-allocator]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def ranks(values):
    order = np.argsort(values, kind="stable")
    r = np.empty(len(values))
    r[order] = np.arange(len(values))
    return r


def spearman(a, b) -> float:
    return float(np.corrcoef(ranks(np.asarray(a)), ranks(np.asarray(b)))[0, 1])


def median_abs_error(predicted, measured) -> float:
    return float(np.median(np.abs(np.asarray(predicted) - np.asarray(measured)) / np.asarray(measured)))


def flops_of(net, shape) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net.eval()(torch.randn(*shape))
    return float(counter.get_total_flops())


def scaled(feature, calibration_feature, calibration_ms):
    """Milliseconds from a naive feature by the median ms per unit of the calibration archs."""
    ratio = statistics.median(ms / f for ms, f in zip(calibration_ms, calibration_feature))
    return [f * ratio for f in feature]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=100)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--runtimes", nargs="+", default=["torch", "onnxruntime"])
    parser.add_argument("--samples", type=int, default=2, help="timed runs per round (blocks and networks)")
    parser.add_argument("--warmups", type=int, default=1, help="untimed runs per round")
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds of the measured architectures")
    parser.add_argument("--table-rounds", type=int, default=10, help="interleaved rounds of the table's build")
    parser.add_argument("--table-seconds", type=float, default=30.0,
                        help="the table times its blocks and calibration archs (interleaved) for at least this long")
    parser.add_argument("--calibration", type=int, default=8)
    parser.add_argument("--statistic", default="min", choices=["median", "min"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--clock", default="thread_cpu", choices=["wall", "thread_cpu"])
    parser.add_argument("--system-allocator", action="store_true",
                        help="leave the C allocator as the process found it (the timing before it was held steady)")
    args = parser.parse_args()

    from nas_edge.latency_table import build_table, predict_ms
    from nas_edge.mobilenet_arch import parse_archid
    from nas_edge.mobilenet_space import MobileNetSearchSpace
    from nas_edge.timing import TimingSettings, interleaved_ms, runner

    if args.system_allocator:
        from nas_edge.steady_allocator import keep_system_allocator

        keep_system_allocator()
    torch.set_num_threads(1)
    params = {"in_channels": 3, "num_classes": 10, "resolution": args.resolution}
    print(f"mobilenet (MobileNetV3-Large stages, depth 2-4, kernel 3/5/7, expansion 3/4/6, width 1.0), "
          f"resolution {args.resolution}, {args.archs} random archs, 1 thread, {args.rounds} interleaved rounds of "
          f"{args.warmups}+{args.samples} runs ({args.statistic}, {args.clock} clock; table: {args.table_rounds} "
          f"rounds, {args.calibration} calibration archs), device {args.device}, "
          f"{'system' if args.system_allocator else 'steady'} allocator")
    rows = []
    for runtime in args.runtimes:
        settings = TimingSettings.checked(args.device, runtime, 1, 1, args.warmups, args.samples, args.statistic,
                                          args.clock)
        space = MobileNetSearchSpace(**params, seed=1)
        started = time.perf_counter()
        table = build_table(space, {"name": "mobilenet", "params": params, "from_data": {}, "seed": 1,
                                    "base_dir": None}, settings, calibration=args.calibration,
                            rounds=args.table_rounds, seconds=args.table_seconds)
        build_s = time.perf_counter() - started
        sampler = MobileNetSearchSpace(**params, seed=1234)
        models = [sampler.random_sample() for _ in range(args.archs)]
        predicted, flops, nparams, runners = [], [], [], []
        for model in models:
            shape = sampler.latency_input_shape(model)
            predicted.append(predict_ms(table, sampler.latency_blocks(model)))
            flops.append(flops_of(model.arch, shape))
            nparams.append(float(sum(p.numel() for p in model.arch.parameters())))
            runners.append(runner(model.arch, torch.randn(*shape), settings))
            if runtime != "torch":
                model.clear()
        measured = interleaved_ms(runners, settings, args.rounds)
        again = interleaved_ms(runners, settings, args.rounds)
        del runners
        for model in models:
            model.clear()
        cal = table["calibration"]
        cal_models = [sampler.make(parse_archid(r["archid"])) for r in cal]
        cal_ms = [r["measured_ms"] for r in cal]
        cal_flops = [flops_of(m.arch, sampler.latency_input_shape(m)) for m in cal_models]
        cal_params = [float(sum(p.numel() for p in m.arch.parameters())) for m in cal_models]
        pooled = pooled_truth(measured, again, args.statistic)
        for name, pred in (("truth (again)", again), ("latency table", predicted),
                           ("FLOPs x ratio", scaled(flops, cal_flops, cal_ms)),
                           ("params x ratio", scaled(nparams, cal_params, cal_ms))):
            both = (float("nan"), float("nan")) if pred is again else (spearman(pred, pooled),
                                                                       median_abs_error(pred, pooled))
            rows.append((runtime, name, spearman(pred, measured), median_abs_error(pred, measured), *both,
                         len(table["blocks"]), build_s, statistics.median(measured)))
        print(f"{runtime}: table scale {table['scale']:.3f}, fixed part {table['fixed_ms']:.3f} ms ({table['fit']}); "
              f"measured 5th-95th percentile {np.percentile(measured, 5):.2f}-{np.percentile(measured, 95):.2f} ms")
    print(f"\n{'':<28} {'against pass 1':>23} {'against both passes':>23}")
    print(f"{'runtime':<12} {'predictor':<15} {'spearman':>9} {'median |err|':>13} {'spearman':>9} {'median |err|':>13} "
          f"{'blocks':>7} {'build s':>8} {'median ms':>10}")
    for runtime, name, rho, err, rho_both, err_both, blocks, build_s, med in rows:
        print(f"{runtime:<12} {name:<15} {rho:>9.3f} {err * 100:>12.1f}% {rho_both:>9.3f} {err_both * 100:>12.1f}% "
              f"{blocks:>7} {build_s:>8.1f} {med:>10.2f}")


def pooled_truth(first, second, statistic: str):
    """Both passes as one measurement of twice the runs: the least of the two minima (``min``),
    or the mean of the two medians (``median``). Steadier than either pass; the ``truth (again)``
    row, half of it, is scored against pass 1 only."""
    if statistic == "min":
        return [min(a, b) for a, b in zip(first, second)]
    return [(a + b) / 2 for a, b in zip(first, second)]


if __name__ == "__main__":
    main()
