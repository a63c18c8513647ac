"""torch modules of the ``mobilenet`` space, one per :class:`~nas_edge.mobilenet_arch.BlockSpec`.

Why one builder per block spec: the network, the latency-table builder (which times each distinct
block alone) and a supernet all construct blocks from the same spec, so a block timed in a table
is the block the network runs.
"""
from __future__ import annotations

from typing import List, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from nas_edge.mobilenet_arch import BlockSpec, MobileNetArch, StageTable, block_specs, se_channels


def activation(name: str) -> nn.Module:
    return nn.Hardswish() if name == "hswish" else nn.ReLU()


def conv_bn_act(c_in: int, c_out: int, kernel: int, stride: int, act: str | None, groups: int = 1) -> nn.Sequential:
    layers: List[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(c_out)]
    if act is not None:
        layers.append(activation(act))
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """MobileNetV3's SE: global pool, 1x1 squeeze + ReLU, 1x1 excite + hard sigmoid, rescale."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        mid = se_channels(channels)
        self.reduce = nn.Conv2d(channels, mid, 1)
        self.expand = nn.Conv2d(mid, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = F.adaptive_avg_pool2d(x, 1)
        scale = F.hardsigmoid(self.expand(F.relu(self.reduce(scale))))
        return x * scale


class InvertedResidual(nn.Module):
    """1x1 expand (absent at expansion 1) -> depthwise kxk -> SE -> 1x1 project (+ input)."""

    def __init__(self, spec: BlockSpec) -> None:
        super().__init__()
        self.spec = spec
        hidden = spec.in_channels * spec.expansion
        self.expand = conv_bn_act(spec.in_channels, hidden, 1, 1, spec.act) if spec.expansion != 1 else None
        self.depthwise = conv_bn_act(hidden, hidden, spec.kernel, spec.stride, spec.act, groups=hidden)
        self.se = SqueezeExcite(hidden) if spec.se else None
        self.project = conv_bn_act(hidden, spec.out_channels, 1, 1, None)
        self.residual = spec.stride == 1 and spec.in_channels == spec.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand(x) if self.expand is not None else x
        out = self.depthwise(out)
        if self.se is not None:
            out = self.se(out)
        out = self.project(out)
        return out + x if self.residual else out


class Head(nn.Module):
    """1x1 conv + BN + act, global pool, 1x1 feature conv + act, dropout, linear classifier."""

    def __init__(self, spec: BlockSpec, dropout: float = 0.0) -> None:
        super().__init__()
        self.spec = spec
        self.conv = conv_bn_act(spec.in_channels, spec.mid_channels, 1, 1, spec.act)
        self.feature = nn.Conv2d(spec.mid_channels, spec.feature_channels, 1)
        self.act = activation(spec.act)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(spec.feature_channels, spec.out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(self.conv(x), 1)
        x = self.act(self.feature(x)).flatten(1)
        return self.classifier(self.dropout(x))


def build_block(spec: BlockSpec) -> nn.Module:
    """The module of one block spec (any kind)."""
    if spec.kind == "stem":
        return conv_bn_act(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, spec.act)
    if spec.kind == "head":
        return Head(spec)
    return InvertedResidual(spec)


def block_input(spec: BlockSpec, batch_size: int = 1) -> torch.Tensor:
    """A random input of the block's shape (for timing it alone)."""
    return torch.randn(batch_size, spec.in_channels, spec.side, spec.side)


class MobileNetNetwork(nn.Module):
    """The network of one architecture: ``stem`` (stem conv + first block), ``stages`` (a
    ModuleList of one Sequential per stage), ``head``.

    An input whose side differs from the architecture's resolution is resized to it first
    (bilinear), so candidates of any resolution train on the same data; an input already at the
    resolution (the deployed case, and every ONNX export here) goes straight in.
    """

    def __init__(self, arch: MobileNetArch, table: StageTable, in_channels: int, num_classes: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.arch, self.table = arch, table
        self.specs: Sequence[BlockSpec] = block_specs(arch, table, in_channels, num_classes)
        self.resolution = arch.resolution
        #: the deployed input (batch 1, at the architecture's resolution): what exports use
        self.input_shape = (1, in_channels, arch.resolution, arch.resolution)
        self.stem = nn.Sequential(*(build_block(s) for s in self.specs[:2]))
        stages, at = [], 2
        for depth in arch.depths:
            stages.append(nn.Sequential(*(build_block(s) for s in self.specs[at:at + depth])))
            at += depth
        self.stages = nn.ModuleList(stages)
        self.head = Head(self.specs[-1], dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] != self.resolution or x.shape[-1] != self.resolution:
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear", align_corners=False)
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.head(x)
