"""Ray checks, run as a script inside a private network namespace by test_ray.py (Ray binds to
the machine's network address otherwise). Prints one JSON line of observations.

Models and functions are defined here, in ``__main__``, so Ray pickles them by value and the
workers need not import this folder.
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import time

import torch
from torch import nn

from nas_kernel.api import ArchaiModel
from nas_kernel.testing.reference import Glyphs
from nas_evaluators import EvaluationFunction, PartialTraining, RayParallelEvaluator


class SmallCNN(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU())
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        return self.head(self.body(x).mean((2, 3)))


def behave(model, budget):
    kind, _, number = model.archid.partition("-")
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "slow":
        time.sleep(60)
    model.metadata["pid"] = os.getpid()
    return float(number)


def stamp(model, budget):
    model.metadata["began"] = time.time()
    time.sleep(0.3)
    model.metadata["ended"] = time.time()
    return 1.0


def main():
    out = {}
    temp = tempfile.mkdtemp(prefix="nasray")  # short: Ray puts unix sockets in it
    init = {"_temp_dir": temp, "log_to_driver": False}  # test_ray.py removes it afterwards
    t0 = time.time()
    ray_eval = RayParallelEvaluator(EvaluationFunction(behave), local_num_cpus=2, init_kwargs=init)
    try:
        ids = ["ok-1", "ok-2", "die-0", "ok-3", "ok-4"]
        models = [ArchaiModel(None, a) for a in ids]
        for m in models:
            ray_eval.send(m)
        out["order"] = ray_eval.fetch_all()
        out["errors"] = sorted(ray_eval.last_errors)
        out["metadata_pid"] = all("pid" in m.metadata for m in models if not m.archid.startswith("die"))
        import ray

        out["node_ip"] = ray.util.get_node_ip_address()
        out["init_and_first_batch_s"] = round(time.time() - t0, 2)

        t1 = time.time()
        slow = RayParallelEvaluator(EvaluationFunction(behave), timeout=3, force_stop=True)
        for a in ["ok-7", "slow-0"]:
            slow.send(ArchaiModel(None, a))
        out["timeout"] = slow.fetch_all()
        out["timeout_s"] = round(time.time() - t1, 2)

        capped = RayParallelEvaluator(EvaluationFunction(stamp), max_in_flight=1)
        stamped = [ArchaiModel(None, f"cap-{i}") for i in range(3)]
        for m in stamped:
            capped.send(m)
        out["capped"] = capped.fetch_all()
        spans = sorted((m.metadata["began"], m.metadata["ended"]) for m in stamped)
        out["capped_overlap"] = any(b < a_end for (_, a_end), (b, _) in zip(spans, spans[1:]))

        torch.manual_seed(0)
        nets = [ArchaiModel(SmallCNN(w), f"cnn{w}") for w in (4, 8)]
        trainer = PartialTraining(Glyphs(seed=1), epochs=1, progress_bar=False, seed=3)
        train_eval = RayParallelEvaluator(trainer)
        for m in nets:
            train_eval.send(m)
        out["ray_values"] = train_eval.fetch_all()
        out["ray_epochs"] = [m.metadata.get("epochs_trained") for m in nets]
        out["sequential_values"] = [trainer.evaluate(ArchaiModel(m.arch, m.archid)) for m in nets]
    finally:
        ray_eval.close()
        shutil.rmtree(temp, ignore_errors=True)
    out["total_s"] = round(time.time() - t0, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
