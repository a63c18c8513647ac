"""Torch model of a HiveNAS-style chain: input stem (3x3 conv-BN-ReLU), the chain's layers with
its skip connections, global average pooling and a linear classifier (logits; the softmax of
HiveNAS's Keras model belongs in the loss here)."""
from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from nas_search_spaces.chain_ops import op_parts, out_channels


class ResidualBlock(nn.Module):
    """Two k x k conv-BN layers plus a shortcut (1x1 conv when channels change), then ReLU."""

    def __init__(self, c_in: int, c_out: int, k: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False), nn.BatchNorm2d(c_out),
                                  nn.ReLU(), nn.Conv2d(c_out, c_out, k, padding=k // 2, bias=False),
                                  nn.BatchNorm2d(c_out))
        self.shortcut = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1, bias=False)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.body(x) + self.shortcut(x))


def _pool_matrix(size: int, out: int, like: torch.Tensor) -> torch.Tensor:
    """``(out, size)`` averaging weights of adaptive average pooling along one axis (the bins
    ``floor(i*size/out) .. ceil((i+1)*size/out)``)."""
    weights = torch.zeros(out, size, dtype=like.dtype, device=like.device)
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        weights[i, start:stop] = 1.0 / (stop - start)
    return weights


def pool_to(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Adaptive average pooling of ``x`` to the spatial ``size``. While a model is traced for ONNX
    the sizes are read as plain numbers and the pooling is written as two matrix products:
    the exporter rejects ``adaptive_avg_pool2d`` with a size computed from a tensor, and the input
    size of an exported model is fixed by its example input anyway."""
    if not (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()):
        return F.adaptive_avg_pool2d(x, size)
    h, w = int(size[0]), int(size[1])
    rows = _pool_matrix(int(x.shape[-2]), h, x)
    cols = _pool_matrix(int(x.shape[-1]), w, x)
    return torch.matmul(torch.matmul(rows, x), cols.t())


def build_op(name: str, c_in: int) -> nn.Module:
    kind, k, value = op_parts(name)
    if kind == "conv":
        return nn.Sequential(nn.Conv2d(c_in, value, k, padding=k // 2, bias=False), nn.BatchNorm2d(value), nn.ReLU())
    if kind == "sep":
        return nn.Sequential(nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False),
                             nn.Conv2d(c_in, value, 1, bias=False), nn.BatchNorm2d(value), nn.ReLU())
    if kind == "res":
        return ResidualBlock(c_in, value, k)
    if kind == "max_pool":
        return nn.MaxPool2d(k, stride=2, padding=k // 2)
    if kind == "avg_pool":
        return nn.AvgPool2d(k, stride=2, padding=k // 2, count_include_pad=False)
    if kind == "dropout":
        return nn.Dropout(value / 100)
    return nn.Identity()


class ChainNetwork(nn.Module):
    """``layers`` is a list of ``(skip_distance, op)``; distance 0 = no skip marker before the op."""

    def __init__(self, layers: Sequence[Tuple[int, str]], in_channels: int = 1, num_classes: int = 10,
                 stem_channels: int = 32) -> None:
        super().__init__()
        self.layers = list(layers)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem_channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(stem_channels), nn.ReLU())
        channels = [stem_channels]  # channels before layer i
        ops: List[nn.Module] = []
        for _, op in self.layers:
            ops.append(build_op(op, channels[-1]))
            channels.append(out_channels(op, channels[-1]))
        self.ops = nn.ModuleList(ops)
        # a marker before layer l with distance d adds its saved tensor after layer l + d - 1
        self.projections = nn.ModuleDict({
            str(l): nn.Conv2d(channels[l], channels[l + d], 1, bias=False)
            for l, (d, _) in enumerate(self.layers) if d})
        self.classifier = nn.Linear(channels[-1], num_classes)

    def forward(self, x):
        x = self.stem(x)
        saved: List[Tuple[int, int, object]] = []  # (add after layer, marker layer, tensor)
        for l, ((d, _), op) in enumerate(zip(self.layers, self.ops)):
            if d:
                saved.append((l + d - 1, l, x))
            x = op(x)
            for target, source, tensor in [s for s in saved if s[0] == l]:
                shortcut = self.projections[str(source)](tensor)
                if shortcut.shape[-2:] != x.shape[-2:]:
                    shortcut = pool_to(shortcut, x.shape[-2:])
                x = x + shortcut
            saved = [s for s in saved if s[0] != l]
        return self.classifier(x.mean(dim=(-2, -1)))
