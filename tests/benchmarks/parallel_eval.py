"""Throughput of parallel candidate evaluation: 1 vs 2 workers, process pool and Ray.

Run with the project's interpreter (not collected by pytest: no test_ functions):

    .venv/bin/python tests/benchmarks/parallel_eval.py [--candidates 8] [--epochs 3] [--no-ray]

Each candidate is a mid-size digits CNN (conv32-conv32-maxpool-conv64, ~29k parameters) trained
by ``partial_training`` with one torch thread. Worker start-up (torch import, oneDNN set-up) is
excluded: every configuration first evaluates one warm-up candidate per worker, then the timed
batch. The ratio is (time with 1 worker) / (time with 2 workers); the target is >= 1.8x on 2 idle
cores. The load average is printed next to every figure because on a shared machine the other
processes decide the ratio more than the code does.

The Ray parts re-run this script under ``unshare -n`` (root) with only loopback up, because Ray
binds to the machine's network address otherwise; they are skipped with a reason when that is
not possible. "ray" is a local Ray (``ray.init``, one node, 2 CPUs); "ray cluster" is a real
cluster started with ``ray start``: a head with no CPUs plus one, then two, worker nodes of one
CPU each, joined by address like a search with ``address: auto`` does (also in a private PID
namespace, so its processes end with the run).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import torch
from torch import nn

from nas_kernel.api import ArchaiModel
from nas_evaluators import PartialTraining, ProcessPoolEvaluator


class MidCNN(nn.Module):
    def __init__(self):
        super().__init__()
        block = lambda i, o: [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]  # noqa: E731
        self.features = nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def candidates(n, offset=0):
    out = []
    for i in range(n):
        torch.manual_seed(offset + i)
        out.append(ArchaiModel(MidCNN(), f"mid-{offset + i}"))
    return out


def load():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def timed_batch(evaluator, workers, n):
    """Warm every worker with one candidate, then time ``n`` candidates."""
    for m in candidates(workers, offset=1000):
        evaluator.send(m)
    evaluator.fetch_all()
    before = load()
    start = time.perf_counter()
    models = candidates(n)
    for m in models:
        evaluator.send(m)
    values = evaluator.fetch_all()
    seconds = time.perf_counter() - start
    inside = [m.metadata.get("train_seconds", 0.0) for m in models]
    return {"seconds": round(seconds, 2), "per_candidate": round(seconds / n, 3),
            "train_s_in_worker": round(sum(inside) / n, 3), "load_before": before,
            "load_after": load(), "mean_val_acc": round(sum(v for v in values if v is not None) / n, 4),
            "failed": sum(v is None for v in values)}


def run_pool(trainer, n):
    rows = {}
    for workers in (1, 2):
        with ProcessPoolEvaluator(trainer, num_workers=workers) as pool:
            rows[workers] = timed_batch(pool, workers, n)
    return rows


def run_ray(trainer, n):
    """Inside the namespace: one local Ray with 2 CPUs; '1 worker' = tasks that reserve both."""
    import ray

    from nas_evaluators import RayParallelEvaluator

    temp = tempfile.mkdtemp(prefix="nasray")
    rows = {}
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=temp)
        for workers in (1, 2):
            rows[workers] = timed_batch(RayParallelEvaluator(trainer, num_cpus=2 / workers), workers, n)
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    return rows


def run_ray_cluster(trainer, n):
    """Inside the namespaces: `ray start` a head (0 CPUs) and worker nodes of 1 CPU each; time the
    batch with one worker node, then with two."""
    import ray

    from nas_evaluators import RayParallelEvaluator

    bin_ray = os.path.join(os.path.dirname(sys.executable), "ray")
    head = "127.0.0.1:6391"
    temp = tempfile.mkdtemp(prefix="nasray")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    rows = {}
    try:
        subprocess.run([bin_ray, "start", "--head", "--port=6391", "--num-cpus=0", "--include-dashboard=false",
                        f"--temp-dir={temp}", "--disable-usage-stats"], env=env, check=True, capture_output=True)
        for workers in (1, 2):
            subprocess.run([bin_ray, "start", f"--address={head}", "--num-cpus=1"], env=env, check=True,
                           capture_output=True)
            ray.init(address=head, log_to_driver=False)
            while ray.cluster_resources().get("CPU", 0) < workers:
                time.sleep(0.2)
            rows[workers] = timed_batch(RayParallelEvaluator(trainer, address=head, num_cpus=1), workers, n)
            ray.shutdown()
    finally:
        if ray.is_initialized():
            ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    return rows


def ray_in_namespace(args, mode="--ray-only"):
    if shutil.which("unshare") is None or shutil.which("ip") is None or os.geteuid() != 0:
        return None, "skipped: needs root with `unshare` and `ip` to keep Ray on loopback"
    try:
        import ray  # noqa: F401
    except ImportError:
        return None, "skipped: Ray not installed (pip install nas-evaluators[ray])"
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    isolate = ["unshare", "-n"] if mode == "--ray-only" else ["unshare", "-n", "-p", "-f", "--mount-proc"]
    cmd = [*isolate, "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable, os.path.abspath(__file__),
           mode, "--candidates", str(args.candidates), "--epochs", str(args.epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        return None, "failed: " + proc.stderr[-2000:]
    return {int(k): v for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}, ""


def report(name, rows):
    for workers in (1, 2):
        r = rows[workers]
        print(f"{name:13s} {workers} worker(s): {r['seconds']:7.2f} s for the batch, {r['per_candidate']:.3f} s/candidate "
              f"(training alone {r['train_s_in_worker']:.3f} s), "
              f"val acc {r['mean_val_acc']:.3f}, failed {r['failed']}, load {r['load_before']} -> {r['load_after']}")
    print(f"{name:13s} speed-up 2 vs 1 workers: {rows[1]['seconds'] / rows[2]['seconds']:.2f}x (target >= 1.8x when quiet)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--ray-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ray-cluster-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    trainer = PartialTraining(epochs=args.epochs, progress_bar=False, torch_threads=1, seed=1)
    if args.ray_only:
        print(json.dumps(run_ray(trainer, args.candidates)))
        return 0
    if args.ray_cluster_only:
        print(json.dumps(run_ray_cluster(trainer, args.candidates)))
        return 0
    print(f"{os.cpu_count()} CPUs, load average (1/5/15 min) {load()}; {args.candidates} candidates x "
          f"{args.epochs} epochs of a mid-size digits CNN, 1 torch thread per worker")
    report("process_pool", run_pool(trainer, args.candidates))
    if not args.no_ray:
        rows, why = ray_in_namespace(args)
        if rows is None:
            print(f"ray          {why}")
        else:
            report("ray", rows)
        rows, why = ray_in_namespace(args, "--ray-cluster-only")
        if rows is None:
            print(f"ray cluster  {why}")
        else:
            report("ray cluster", rows)
    print(f"load average at the end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
