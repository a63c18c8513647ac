"""Training throughput of ``partial_training``: images per second at each setting, side by side.

Run with the project's interpreter (not collected by pytest: no test_ functions):

    .venv/bin/python tests/benchmarks/training_throughput.py [--device cpu] [--device cuda]
        [--data digits|cifar-shaped] [--epochs 2] [--repeats 3] [--sections precision]

Every ``--device`` given is measured in the same run (default: ``auto``, the first GPU or the
CPU), and every row is compared with fp32 on the same device and with fp32 on the first device
given, so ``--device cpu --device cuda`` prints the GPU next to the CPU.

images/s = epochs x training images / ``metadata["train_seconds"]`` of one evaluation (what a
search pays per candidate: placing the model and the data on the device, training, one pass
over the validation split), after a warm-up evaluation per setting (oneDNN / cuDNN pick their
kernels on the first calls). Settings are interleaved within each repeat and the median of the
repeats is printed, with the load average, because on a shared machine other processes move the
figures more than the code does. One torch thread, as in a ``process_pool`` worker.

Data: ``digits`` (1x8x8, the default experiment's workload; the default on the CPU) or
``cifar-shaped`` (synthetic 3x32x32 images, 10 classes; the default on a GPU, where 8x8 images
leave the device idle). The model is a mid-size CNN (conv-BN-ReLU x3 with a max-pool).

Sections: each entry of ``SECTIONS`` is a function ``(args, device, data) -> rows``, a row being
``(setting, evaluator parameters)``; a section measures its own comparison and the table prints
them one after another. Add a section by writing the function and adding it to ``SECTIONS``.

Many small candidates per device (``--workers 1,2,4,8``): the total images/s of a
``process_pool`` with that many workers on each ``--device`` (``workers_per_device``), every
worker training its own candidates; the table prints each count next to one worker. A search pays
what is timed: each candidate's placement, training and validation pass (the workers are started
and have the split on their device before the clock starts: a warm-up round of one candidate per
worker). What lets workers share a GPU: each keeps the split on the device once (8-bit images as
uint8 codes, decoded on the device), trains with fused optimizers, and its training loop never
waits for the GPU, so kernels of several workers overlap. CUDA-graph capture of the training step
is not done: untested here (no GPU), and only worth it if launch overhead still dominates at 8
workers. The goal on a GPU is at least 3x one worker's images/s at 8 workers for the default
CIFAR-shaped data; the table says whether it is met.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch
from torch import nn

from nas_kernel.api import ArchaiModel, DatasetProvider
from nas_kernel.components import build_component
from nas_kernel.toolbox.devices import check_device, device_type


class MidCNN(nn.Module):
    """conv(C->32)-BN-ReLU, conv(32->32)-BN-ReLU, maxpool, conv(32->64)-BN-ReLU, mean, linear."""

    def __init__(self, channels: int = 1, num_classes: int = 10):
        super().__init__()
        block = lambda i, o: [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]  # noqa: E731
        self.features = nn.Sequential(*block(channels, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64))
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


class EightBitImages(DatasetProvider):
    """CIFAR-shaped 8-bit images (256 grey levels per channel, standardised), 10 classes, as real
    image datasets are: the tensor path can keep them on a GPU as uint8."""

    num_classes = 10
    input_shape = (3, 32, 32)

    def __init__(self, num_train: int = 4096, num_val: int = 512, seed: int = 1) -> None:
        g = torch.Generator().manual_seed(seed)
        prototypes = torch.rand(10, 3, 32, 32, generator=g) * 160 + 48
        n = num_train + num_val
        y = torch.randint(0, 10, (n,), generator=g)
        raw = (prototypes[y] + 40 * torch.randn(n, 3, 32, 32, generator=g)).round().clamp(0, 255)
        X = (raw / 255 - 0.5) / 0.25
        self.train, self.val = (X[:num_train], y[:num_train]), (X[num_train:], y[num_train:])

    def get_train(self):
        return self.train

    def get_val(self):
        return self.val


def dataset(kind: str):
    if kind == "digits":
        return build_component("datasets", "digits", {"seed": 1})
    return EightBitImages()


def precision_section(args, device: str, data):
    """fp32 against bf16, fp16 and channels-last (the layout GPUs' tensor cores want)."""
    rows = [("fp32", {}), ("bf16", {"precision": "bf16"}), ("channels_last", {"channels_last": True}),
            ("bf16 + channels_last", {"precision": "bf16", "channels_last": True})]
    if device_type(device) == "cuda":  # fp16 on the CPU runs, but no CPU kernel is fast at it
        rows.insert(2, ("fp16", {"precision": "fp16"}))
    return rows


def loader_section(args, device: str, data):
    """The tensor path (whole splits on the device) against the DataLoader path on the same data,
    in the training process and with one spawned loader worker (started once, in the warm-up)."""
    return [("tensors", {"loader": "tensors"}), ("dataloader", {"loader": "dataloader"}),
            ("dataloader, 1 worker", {"loader": "dataloader", "num_workers": 1})]


SECTIONS = {"precision": precision_section, "loader": loader_section}


def images_per_second(data, device: str, params: dict, epochs: int, batch_size: int, channels: int) -> tuple:
    trainer = build_component("evaluators", "partial_training", {
        "dataset": data, "epochs": epochs, "batch_size": batch_size, "device": device, "progress_bar": False,
        "torch_threads": 1, "seed": 1, **params})
    torch.manual_seed(0)
    model = ArchaiModel(MidCNN(channels), "mid-cnn")
    accuracy = trainer.evaluate(model)
    n_train = len(data.get_train()[1])
    return epochs * n_train / model.metadata["train_seconds"], accuracy


def pool_images_per_second(data, device: str, workers: int, args, channels: int, per_worker: int = 2) -> float:
    """Total images/s of ``workers`` pool workers on ``device``, ``per_worker`` candidates each."""
    pool = build_component("evaluators", "process_pool", {
        "devices": [device], "workers_per_device": workers,
        "evaluator": {"name": "partial_training", "params": {
            "dataset": data, "epochs": args.epochs, "batch_size": args.batch_size, "progress_bar": False,
            "torch_threads": 1, "seed": 1, "loader": "tensors", "record_history": False}}})

    def round_of(count: int, tag: str) -> list:
        torch.manual_seed(0)
        models = [ArchaiModel(MidCNN(channels), f"{tag}-{i}") for i in range(count)]
        for model in models:
            pool.send(model)
        values = pool.fetch_all()
        if any(v is None for v in values):
            raise RuntimeError(f"{workers} workers on {device}: {pool.last_errors}")
        return values

    with pool:
        round_of(workers, "warm-up")  # workers started, split on the device, kernels chosen
        start = time.perf_counter()
        round_of(workers * per_worker, "timed")
        seconds = time.perf_counter() - start
    return workers * per_worker * args.epochs * len(data.get_train()[1]) / seconds


def workers_table(args, devices, data, channels: int) -> None:
    counts = [int(c) for c in args.workers.split(",") if c.strip()]
    print(f"\nmany candidates per device: process_pool, workers_per_device in {counts}, "
          f"{args.candidates_per_worker} candidates per worker, {args.epochs} epoch(s) each, median of {args.repeats}")
    print(f"{'device':<7} {'workers':>7} {'images/s':>10} {'vs 1 worker':>12}")
    for device in devices:
        samples = {c: [] for c in counts}
        for _ in range(args.repeats):
            for c in counts:
                samples[c].append(pool_images_per_second(data, device, c, args, channels, args.candidates_per_worker))
        median = {c: statistics.median(v) for c, v in samples.items()}
        for c in counts:
            print(f"{device:<7} {c:>7} {median[c]:>10.0f} {median[c] / median[counts[0]]:>11.2f}x")
        if 8 in median and counts[0] == 1:
            ratio = median[8] / median[1]
            print(f"{device}: 8 workers give {ratio:.2f}x one worker's images/s "
                  f"(goal on a GPU: >= 3x: {'met' if ratio >= 3 else 'NOT met'})")


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", action="append", help="auto (default), cpu, cuda, cuda:N; repeatable")
    parser.add_argument("--data", choices=["digits", "cifar-shaped"], default=None)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, of: {', '.join(SECTIONS)} (empty: none)")
    parser.add_argument("--workers", default="", help="e.g. 1,2,4,8: also measure that many pool workers per device")
    parser.add_argument("--candidates-per-worker", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    devices = [check_device("--device", d) for d in (args.device or ["auto"])]
    kind = args.data or ("cifar-shaped" if any(device_type(d) == "cuda" for d in devices) else "digits")
    data = dataset(kind)
    channels = int(data.get_train()[0].shape[1])
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    gpu_names = {d: torch.cuda.get_device_name(d) for d in devices if device_type(d) == "cuda"}
    print(f"torch {torch.__version__}, data {kind} ({len(data.get_train()[1])} training images, "
          f"{tuple(data.get_train()[0].shape[1:])}), MidCNN, batch {args.batch_size}, {args.epochs} epochs, "
          f"median of {args.repeats}, 1 thread; load before {load()}")
    for device, name in gpu_names.items():
        print(f"{device}: {name}")
    plan = [(section, device, label, params) for section in sections for device in devices
            for label, params in SECTIONS[section](args, device, data)]
    for _, device, _, params in plan:  # warm-up: first-call kernel selection is not throughput
        images_per_second(data, device, params, 1, args.batch_size, channels)
    samples = {i: [] for i in range(len(plan))}
    accuracy = {}
    for _ in range(args.repeats):
        for i, (_, device, _, params) in enumerate(plan):
            ips, acc = images_per_second(data, device, params, args.epochs, args.batch_size, channels)
            samples[i].append(ips)
            accuracy[i] = acc
    median = {i: statistics.median(v) for i, v in samples.items()}
    base = {}
    for i, (section, device, label, _) in enumerate(plan):
        base.setdefault((section, device), median[i])
    first = devices[0]
    if plan:
        print(f"\n{'section':<11} {'device':<7} {'setting':<22} {'images/s':>10} {'vs fp32':>8} "
              f"{'vs ' + first + ' fp32':>15} {'val_acc':>8}")
    for i, (section, device, label, _) in enumerate(plan):
        print(f"{section:<11} {device:<7} {label:<22} {median[i]:>10.0f} {median[i] / base[(section, device)]:>7.2f}x "
              f"{median[i] / base[(section, first)]:>14.2f}x {accuracy[i]:>8.3f}")
    if args.workers:
        workers_table(args, devices, data, channels)
    print(f"\nload after {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
