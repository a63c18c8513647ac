"""The NAS-Bench-201 network: a 3x3 conv stem, three stages of ``N`` cells (C, 2C, 4C channels)
joined by residual reduction blocks, then BN-ReLU, global pooling and a linear classifier.
``forward`` returns the logits."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn

from nas_search_spaces.nb201.cells import genotype, parse_cell
from nas_search_spaces.nb201.ops import OPS, ReLUConvBN

NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "imagenet16": 120}


class ResidualReduction(nn.Module):
    """Stride-2 basic residual block between stages: two ReLU-conv-BN 3x3 on the main path,
    2x2 average pool + 1x1 conv on the shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, stride=2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class Cell(nn.Module):
    """One NAS-Bench-201 cell: node j is the sum of its incoming edges' ops on earlier nodes."""

    def __init__(self, ops: Sequence[str], channels: int) -> None:
        super().__init__()
        self.genotype = genotype(ops)
        self.edges = nn.ModuleList(OPS[op](channels, channels, 1) for node in self.genotype for op, _ in node)

    def forward(self, x):
        nodes, k = [x], 0
        for node in self.genotype:
            total = None
            for _, source in node:
                out = self.edges[k](nodes[source])
                total = out if total is None else total + out
                k += 1
            nodes.append(total)
        return nodes[-1]


class Nb201Network(nn.Module):
    def __init__(self, arch_str: str, C: int = 16, N: int = 5, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        ops = parse_cell(arch_str)
        self.arch_str = arch_str
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells, channels = [], C
        for stage in range(3):
            if stage:
                cells.append(ResidualReduction(channels, channels * 2))
                channels *= 2
            cells.extend(Cell(ops, channels) for _ in range(N))
        self.cells = nn.Sequential(*cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.global_pooling(x), 1))


def model_from_natsbench_tss(index: int, dataset: str = "cifar10", C: int = 16, N: int = 5,
                             natsbench_location: Optional[str] = None) -> Nb201Network:
    """The network of architecture ``index`` (0..15624) for ``dataset`` (cifar10, cifar100, imagenet16)."""
    from nas_search_spaces.nb201.table import load_nb201_table

    table = load_nb201_table(natsbench_location)
    if not 0 <= int(index) < len(table):
        raise ValueError(f"index must be in 0..{len(table) - 1}, got {index}")
    if dataset not in NUM_CLASSES:
        raise ValueError(f"dataset must be one of {sorted(NUM_CLASSES)}, got {dataset!r}")
    return Nb201Network(table.arch_str[int(index)], C=C, N=N, num_classes=NUM_CLASSES[dataset])
