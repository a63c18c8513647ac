"""The GPU paths ``scripts/gpu_check.sh`` checks that need more than one command: each subcommand
exits 0 when its path works on the device and prints what it measured.

    python scripts/gpu_check_paths.py pool|loader-workers|deterministic-cnn|peak-memory|darts-step DEVICE PRECISION

A file, not a here-document: the pool's spawned workers import it again (hence the main guard).
"""
import sys
import time

import torch
from torch import nn

from nas_kernel.api import ArchaiModel
from nas_kernel.components import build_component


def cnn(width):
    torch.manual_seed(width)
    return nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(width * 16, 10))


def pool_of(device, precision, workers, **params):
    target = "cuda:0" if device == "cuda" else device
    return target, build_component("evaluators", "process_pool", {
        "devices": [target], "workers_per_device": workers,
        "evaluator": {"name": "partial_training", "params": {"dataset": {"name": "digits"}, "epochs": 2,
                                                             "precision": precision, "progress_bar": False,
                                                             **params}}})


def evaluate_all(pool, models):
    with pool:
        for m in models:
            pool.send(m)
        values = pool.fetch_all()
        pids = pool.worker_pids()
    assert all(v is not None for v in values), pool.last_errors
    return values, pids


def pool(device, precision):
    """Four candidates through two workers pinned to one device."""
    target, evaluator = pool_of(device, precision, 2)
    models = [ArchaiModel(cnn(w), f"w{w}") for w in (8, 16, 32, 64)]
    start = time.perf_counter()
    values, pids = evaluate_all(evaluator, models)
    print(f"4 candidates in {time.perf_counter() - start:.1f} s on workers {pids}")
    for m, v in zip(models, values):
        print(f"  {m.archid}: val_acc {v}, worker_device {m.metadata.get('worker_device')}, "
              f"device in the worker {m.metadata.get('device')}, train_seconds {m.metadata.get('train_seconds')}")
    assert all(v > 0.5 for v in values) and {m.metadata["worker_device"] for m in models} == {target}
    assert len(set(pids)) == 2


def loader_workers(device, precision):
    """loader: dataloader with two loader processes, inside a pool worker (pool workers are no daemons)."""
    _, evaluator = pool_of(device, precision, 1, loader="dataloader", num_workers=2)
    model = ArchaiModel(cnn(16), "loader")
    values, _ = evaluate_all(evaluator, [model])
    print(f"val_acc {values[0]} through a DataLoader with 2 workers, loader {model.metadata.get('loader')}")
    assert values[0] > 0.5 and model.metadata["loader"] == "dataloader"


def deterministic_cnn(device, precision):
    """A `cnn` space candidate (adaptive average pooling to 2x2) trained twice with deterministic: true."""
    space = build_component("search_spaces", "cnn", {})
    torch.manual_seed(3)
    sample = space.random_sample()
    _, evaluator = pool_of(device, precision, 1, deterministic=True)
    twins = [ArchaiModel(sample.arch, sample.archid), ArchaiModel(sample.arch, sample.archid)]
    values, _ = evaluate_all(evaluator, twins)
    print(f"cnn candidate {sample.archid}: val_acc {values[0]} and {values[1]} (deterministic)")
    assert values[0] == values[1]


def peak_memory(device, precision):
    """The same candidate's peak memory, measured first in a fresh process and then again: equal."""
    measure = build_component("evaluators", "peak_memory", {"device": device, "input_shape": [64, 1, 8, 8]})
    model = ArchaiModel(cnn(32), "w32")
    first, again = measure.evaluate(model), measure.evaluate(model)
    print(f"peak memory: first {first:.0f} B, again {again:.0f} B")
    assert first > 0 and first == again


def darts_step(device, precision):
    """Seconds per DARTS search step (architecture step + weight step) on CIFAR-shaped batches."""
    from nas_supergraph.arch_trainer import ArchTrainer
    from nas_supergraph.model import Model
    from nas_supergraph.model_desc_builder import ModelDescBuilder

    torch.manual_seed(0)
    cells, channels, batch, side = (2, 16, 64, 32) if device != "cpu" else (1, 4, 8, 16)  # the CPU: checks the script
    desc = ModelDescBuilder(in_channels=3, num_classes=10, init_channels=channels, n_cells=cells,
                            n_nodes=4).build_search()
    model = Model(desc, droppath=False, affine=False)
    rows = {}
    for order in (False, True):
        trainer = ArchTrainer({"epochs": 1, "device": device, "precision": precision, "second_order": order},
                              model, None)
        trainer.start_epoch(0)
        model.train()
        x = torch.randn(batch, 3, side, side, device=trainer.device)
        y = torch.randint(0, 10, (batch,), device=trainer.device)
        for _ in range(3):  # warm-up: kernel choice
            trainer.step_losses(x, y, x, y)
        if device != "cpu":
            torch.cuda.synchronize()
        start, steps = time.perf_counter(), 10 if device != "cpu" else 2
        losses = [trainer.step_losses(x, y, x, y)[0] for _ in range(steps)]
        finite = bool(torch.isfinite(torch.stack(losses)).all())
        rows["second order" if order else "first order"] = (time.perf_counter() - start) / steps
        assert finite
    for name, seconds in rows.items():
        print(f"DARTS {name} step, {cells} cell(s) x 4 nodes, C={channels}, batch {batch}, {side}x{side}, "
              f"{precision}: {seconds * 1000:.1f} ms")


CHECKS = {"pool": pool, "loader-workers": loader_workers, "deterministic-cnn": deterministic_cnn,
          "peak-memory": peak_memory, "darts-step": darts_step}

if __name__ == "__main__":
    name, device_arg, precision_arg = sys.argv[1:4]
    CHECKS[name](device_arg, precision_arg)
