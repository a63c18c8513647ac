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
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

import torch
from torch import nn

from nas_kernel.api import ArchaiModel
from nas_kernel.components import build_component
from nas_kernel.devices import check_device, device_type


class MidCNN(nn.Module):
    """conv(C->32)-BN-ReLU, conv(32->32)-BN-ReLU, maxpool, conv(32->64)-BN-ReLU, mean, linear."""

    def __init__(self, channels: int = 1, num_classes: int = 10):
        super().__init__()
        block = lambda i, o: [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]  # noqa: E731
        self.features = nn.Sequential(*block(channels, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64))
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def dataset(kind: str):
    if kind == "digits":
        return build_component("datasets", "digits", {"seed": 1})
    return build_component("datasets", "synthetic", {"input_shape": [3, 32, 32], "num_classes": 10,
                                                     "num_train": 4096, "num_val": 512, "num_test": 64,
                                                     "seed": 1})


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


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", action="append", help="auto (default), cpu, cuda, cuda:N; repeatable")
    parser.add_argument("--data", choices=["digits", "cifar-shaped"], default=None)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of: {', '.join(SECTIONS)}")
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
    print(f"\n{'section':<11} {'device':<7} {'setting':<22} {'images/s':>10} {'vs fp32':>8} "
          f"{'vs ' + first + ' fp32':>15} {'val_acc':>8}")
    for i, (section, device, label, _) in enumerate(plan):
        print(f"{section:<11} {device:<7} {label:<22} {median[i]:>10.0f} {median[i] / base[(section, device)]:>7.2f}x "
              f"{median[i] / base[(section, first)]:>14.2f}x {accuracy[i]:>8.3f}")
    print(f"\nload after {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
