"""The NAS-Bench-201 operations as torch modules, with the benchmark's exact structure (the
parameter counts in the table depend on it): ReLU-conv-BN convolutions without conv bias,
count_include_pad=False average pooling, identity skip, and a zero op."""
from __future__ import annotations

from torch import nn


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in, c_out, kernel_size, stride, padding, affine=True, track_running_stats=True):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, bias=False),
                         nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats))


class Pooling(nn.Module):
    """3x3 average pooling, preceded by a 1x1 ReLU-conv-BN when channels change."""

    def __init__(self, c_in, c_out, stride, affine=True, track_running_stats=True):
        super().__init__()
        self.preprocess = None if c_in == c_out else ReLUConvBN(c_in, c_out, 1, 1, 0, affine, track_running_stats)
        self.pool = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)

    def forward(self, x):
        return self.pool(x if self.preprocess is None else self.preprocess(x))


class Zero(nn.Module):
    """The ``none`` op: a zero tensor of the output's shape (keeps the graph differentiable)."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x):
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if x.shape[1] != self.c_out:
            shape = list(x.shape)
            shape[1] = self.c_out
            return x.new_zeros(shape)
        return x.mul(0.0)


class FactorizedReduce(nn.Module):
    """Skip connection that halves resolution: two offset stride-2 1x1 convs, concatenated."""

    def __init__(self, c_in, c_out, stride, affine=True, track_running_stats=True):
        super().__init__()
        if stride != 2 or c_out % 2:
            raise ValueError(f"FactorizedReduce needs stride 2 and even c_out, got stride {stride}, c_out {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.convs = nn.ModuleList([nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False) for _ in range(2)])
        self.pad = nn.ConstantPad2d((0, 1, 0, 1), 0)
        self.bn = nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats)

    def forward(self, x):
        import torch

        x = self.relu(x)
        y = self.pad(x)
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](y[:, :, 1:, 1:])], dim=1))


def _skip(c_in, c_out, stride, affine=True, track_running_stats=True):
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    return FactorizedReduce(c_in, c_out, stride, affine, track_running_stats)


# name -> factory(c_in, c_out, stride, affine, track_running_stats)
OPS = {
    "none": lambda c_in, c_out, stride, affine=True, track=True: Zero(c_in, c_out, stride),
    "avg_pool_3x3": lambda c_in, c_out, stride, affine=True, track=True: Pooling(c_in, c_out, stride, affine, track),
    "nor_conv_3x3": lambda c_in, c_out, stride, affine=True, track=True:
        ReLUConvBN(c_in, c_out, 3, stride, 1, affine, track),
    "nor_conv_1x1": lambda c_in, c_out, stride, affine=True, track=True:
        ReLUConvBN(c_in, c_out, 1, stride, 0, affine, track),
    "skip_connect": lambda c_in, c_out, stride, affine=True, track=True: _skip(c_in, c_out, stride, affine, track),
}
