"""Torch module of a segmentation DAG (see ``segmentation_dag`` for the graph and its archid).
Module-level classes, so built networks pickle for process-pool workers."""
from __future__ import annotations

import math
from typing import Sequence

import torch.nn.functional as F
from torch import nn


def node_channels(base_channels: int, factor: int) -> int:
    """Channels at downsample ``factor``: doubling per halving, capped at 4x."""
    return base_channels * min(factor, 4)


def conv_block(kind: str, k: int, c_in: int, c_out: int) -> nn.Module:
    if kind == "conv":
        layers = [nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)]
    else:
        layers = [nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False),
                  nn.Conv2d(c_in, c_out, 1, bias=False)]
    return nn.Sequential(*layers, nn.BatchNorm2d(c_out), nn.ReLU())


def resize(x, size):
    """Average-pool down or bilinearly upsample ``x`` to ``size`` (H, W)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if x.shape[-2] >= size[0] and x.shape[-1] >= size[1]:
        return F.adaptive_avg_pool2d(x, size)
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


class SegmentationDag(nn.Module):
    """``nodes``: ``(op kind, kernel, factor, input, skip)`` per block; output ``(N, nb_classes, H, W)``."""

    def __init__(self, nodes: Sequence[tuple], nb_classes: int, img_size, in_channels: int, base_channels: int) -> None:
        super().__init__()
        self.nodes = [tuple(n) for n in nodes]
        self.height, self.width = img_size
        self.stem = nn.Sequential(nn.Conv2d(in_channels, base_channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(base_channels), nn.ReLU())
        factors = [1] + [n[2] for n in self.nodes]

        def ch(f):
            return node_channels(base_channels, f)

        self.blocks = nn.ModuleList(conv_block(kind, k, ch(factors[src]), ch(f)) for kind, k, f, src, _ in self.nodes)
        self.skips = nn.ModuleDict({str(i): nn.Conv2d(ch(factors[skip]), ch(f), 1, bias=False)
                                    for i, (_, _, f, _, skip) in enumerate(self.nodes) if skip is not None})
        self.head = nn.Conv2d(ch(factors[-1]), nb_classes, 1)

    def forward(self, x):
        outputs = [self.stem(x)]
        for i, (_, _, factor, source, skip) in enumerate(self.nodes):
            size = (math.ceil(self.height / factor), math.ceil(self.width / factor))
            y = self.blocks[i](resize(outputs[source], size))
            if skip is not None:
                y = y + self.skips[str(i)](resize(outputs[skip], size))
            outputs.append(y)
        return self.head(resize(outputs[-1], x.shape[-2:]))
