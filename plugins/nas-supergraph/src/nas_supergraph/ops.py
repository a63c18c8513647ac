"""The supergraph op library: every op a cell, stem or head is built from, and one factory per
registry name (``factory(op_desc, affine) -> nn.Module``).

Differences from the reference semantics, on purpose: ``SepConv`` goes C_in -> C_in then
C_in -> C_out, so it works when the channels differ; ``Zero`` returns a fresh zero tensor of the
output shape instead of multiplying by zero (no work, no FLOPs); ``FactorizedReduce`` also
accepts odd sizes. Ops shaped ReLU -> body -> BN derive from ``ReLUFirstOp`` so a mixed op can
apply that ReLU once for all its candidates and fold its weights into their BN.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from nas_supergraph.descs import ConvMacroParams, OpDesc

PRIMITIVES = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5", "none")


class Op(nn.Module):
    """Base of every op: keeps its description and answers what finalizers and drop-path ask."""

    relu_first = False

    def __init__(self, desc: Optional[OpDesc] = None) -> None:
        super().__init__()
        self.desc = desc

    def finalize(self):
        """``(OpDesc, rank)`` of the discrete op this one becomes; rank None for plain ops."""
        return self.desc, None

    def ops(self) -> Iterator["Op"]:
        """Constituent ops (candidates of a mixed op, children of a multi op)."""
        return iter(())

    def can_drop_path(self) -> bool:
        return True


class ReLUFirstOp(Op):
    """An op shaped ReLU -> body -> BN. A mixed op calls ``forward_pre_bn`` on an input it has
    already passed through ReLU (once for all candidates) and folds its candidate weight into
    ``final_bn``'s scale, so neither the ReLU nor the weighting costs a separate pass."""

    relu_first = True

    @property
    def final_bn(self) -> nn.BatchNorm2d:
        return self.bn

    def forward_pre_bn(self, x_relu: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward_relu(self, x_relu: torch.Tensor) -> torch.Tensor:
        return self.final_bn(self.forward_pre_bn(x_relu))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_relu(F.relu(x))


def _bn(ch: int, affine: bool) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(ch, affine=affine)


def _same_channels(desc: OpDesc, what: str) -> int:
    conv = desc.conv
    if conv.ch_in != conv.ch_out:
        raise ValueError(f"{what} keeps its channels: op {desc.name!r} needs ch_in == ch_out, got "
                         f"{conv.ch_in} -> {conv.ch_out}")
    return conv.ch_in


def _strided_size(size: int, stride: int) -> int:
    return (size + stride - 1) // stride


# ---- cell ops ---------------------------------------------------------------------------------
class Zero(Op):
    """The ``none`` op: a zero tensor of the output shape, made without touching the input."""

    def __init__(self, desc: OpDesc) -> None:
        super().__init__(desc)
        self.stride = desc.stride
        self.ch_out = desc.conv.ch_out if "conv" in desc.params else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        shape = (n, self.ch_out or c, _strided_size(h, self.stride), _strided_size(w, self.stride))
        fmt = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) and c > 1 \
            else torch.contiguous_format
        return torch.empty(shape, dtype=x.dtype, device=x.device, memory_format=fmt).zero_()


class Identity(Op):
    def __init__(self, desc: Optional[OpDesc] = None) -> None:
        super().__init__(desc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def can_drop_path(self) -> bool:
        return False


class PoolBN(Op):
    """3x3 max or average pooling (average ignores padding). No batch norm, as in the reference
    library despite the name: pooling has nothing to learn and BN here only costs time."""

    def __init__(self, desc: OpDesc, kind: str) -> None:
        super().__init__(desc)
        _same_channels(desc, "pooling")
        if kind == "max":
            self.pool = nn.MaxPool2d(3, stride=desc.stride, padding=1)
        elif kind == "avg":
            self.pool = nn.AvgPool2d(3, stride=desc.stride, padding=1, count_include_pad=False)
        else:
            raise ValueError(f"pool kind must be 'max' or 'avg', got {kind!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


class FactorizedReduce(ReLUFirstOp):
    """Halves resolution without losing half the pixels: ReLU, two stride-2 1x1 convs offset by
    one pixel, concatenated, BN."""

    def __init__(self, desc: OpDesc, affine: bool) -> None:
        super().__init__(desc)
        ch_in, ch_out = desc.conv.ch_in, desc.conv.ch_out
        if ch_out < 2:
            raise ValueError(f"FactorizedReduce needs ch_out >= 2, got {ch_out}")
        half = ch_out // 2
        self.conv_1 = nn.Conv2d(ch_in, half, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(ch_in, ch_out - half, 1, stride=2, bias=False)
        self.bn = _bn(ch_out, affine)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        shifted = x[:, :, 1:, 1:]
        if x.shape[2] % 2 or x.shape[3] % 2:  # keep both paths the same size on odd inputs
            shifted = F.pad(shifted, (0, x.shape[3] % 2, 0, x.shape[2] % 2))
        return torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1)


class SkipConnect(Op):
    """Identity at stride 1, FactorizedReduce at stride 2 (never dropped by drop-path)."""

    def __init__(self, desc: OpDesc, affine: bool) -> None:
        super().__init__(desc)
        if desc.stride == 1:
            _same_channels(desc, "skip_connect at stride 1")
            self.op: Op = Identity(desc)
        else:
            self.op = FactorizedReduce(desc, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)

    def can_drop_path(self) -> bool:
        return False


class ReLUConvBN(ReLUFirstOp):
    def __init__(self, desc: OpDesc, affine: bool, kernel_size: int, padding: int) -> None:
        super().__init__(desc)
        conv = desc.conv
        self.conv = nn.Conv2d(conv.ch_in, conv.ch_out, kernel_size, stride=desc.stride, padding=padding, bias=False)
        self.bn = _bn(conv.ch_out, affine)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ConvBNReLU(Op):
    """Conv, BN, ReLU (NAS-Bench-101 style)."""

    def __init__(self, desc: OpDesc, affine: bool, kernel_size: int, padding: int) -> None:
        super().__init__(desc)
        conv = desc.conv
        self.conv = nn.Conv2d(conv.ch_in, conv.ch_out, kernel_size, stride=desc.stride, padding=padding, bias=False)
        self.bn = _bn(conv.ch_out, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class DilConv(ReLUFirstOp):
    """ReLU, depthwise (optionally dilated) KxK conv, pointwise 1x1 conv, BN."""

    def __init__(self, ch_in: int, ch_out: int, kernel_size: int, stride: int, padding: int, dilation: int,
                 affine: bool, desc: Optional[OpDesc] = None) -> None:
        super().__init__(desc)
        self.depthwise = nn.Conv2d(ch_in, ch_in, kernel_size, stride=stride, padding=padding, dilation=dilation,
                                   groups=ch_in, bias=False)
        self.pointwise = nn.Conv2d(ch_in, ch_out, 1, bias=False)
        self.bn = _bn(ch_out, affine)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class SepConv(ReLUFirstOp):
    """Two stacked depthwise-separable convs: C_in -> C_in (carrying the stride), then C_in -> C_out."""

    def __init__(self, desc: OpDesc, kernel_size: int, padding: int, affine: bool) -> None:
        super().__init__(desc)
        conv = desc.conv
        self.op1 = DilConv(conv.ch_in, conv.ch_in, kernel_size, desc.stride, padding, 1, affine)
        self.op2 = DilConv(conv.ch_in, conv.ch_out, kernel_size, 1, padding, 1, affine)

    @property
    def final_bn(self) -> nn.BatchNorm2d:
        return self.op2.bn

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.op2.forward_pre_bn(F.relu(self.op1.forward_relu(x)))


class FacConv(ReLUFirstOp):
    """ReLU, a 1xK conv then a Kx1 conv (a factorised KxK), BN."""

    def __init__(self, desc: OpDesc, kernel_size: int, padding: int, affine: bool) -> None:
        super().__init__(desc)
        conv, s = desc.conv, desc.stride
        self.conv_1xk = nn.Conv2d(conv.ch_in, conv.ch_in, (1, kernel_size), stride=(1, s), padding=(0, padding),
                                  bias=False)
        self.conv_kx1 = nn.Conv2d(conv.ch_in, conv.ch_out, (kernel_size, 1), stride=(s, 1), padding=(padding, 0),
                                  bias=False)
        self.bn = _bn(conv.ch_out, affine)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_kx1(self.conv_1xk(x))


# ---- stems and heads --------------------------------------------------------------------------
class StemConv3x3(Op):
    """3x3 conv and BN (CIFAR-style stem); ``relu`` adds a final ReLU."""

    def __init__(self, desc: OpDesc, affine: bool, relu: bool = False) -> None:
        super().__init__(desc)
        conv = desc.conv
        self.conv = nn.Conv2d(conv.ch_in, conv.ch_out, 3, stride=desc.stride, padding=1, bias=False)
        self.bn = _bn(conv.ch_out, affine)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn(self.conv(x))
        return F.relu(out) if self.relu else out

    def can_drop_path(self) -> bool:
        return False


class StemConv3x3S4(Op):
    """Two stride-2 3x3 convs (ImageNet-style stem, 4x reduction)."""

    def __init__(self, desc: OpDesc, affine: bool) -> None:
        super().__init__(desc)
        conv = desc.conv
        mid = max(1, conv.ch_out // 2)
        self.net = nn.Sequential(
            nn.Conv2d(conv.ch_in, mid, 3, stride=2, padding=1, bias=False), _bn(mid, affine), nn.ReLU(),
            nn.Conv2d(mid, conv.ch_out, 3, stride=2, padding=1, bias=False), _bn(conv.ch_out, affine))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def can_drop_path(self) -> bool:
        return False


class StemConv3x3S4S2(Op):
    """ReLU then one stride-2 3x3 conv and BN: the second ImageNet stem (a further 2x)."""

    def __init__(self, desc: OpDesc, affine: bool) -> None:
        super().__init__(desc)
        conv = desc.conv
        self.conv = nn.Conv2d(conv.ch_in, conv.ch_out, 3, stride=2, padding=1, bias=False)
        self.bn = _bn(conv.ch_out, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(F.relu(x)))

    def can_drop_path(self) -> bool:
        return False


class PoolAdaptiveAvg2D(Op):
    def __init__(self, desc: Optional[OpDesc] = None) -> None:
        super().__init__(desc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x, 1)


class AvgPool2d7x7(Op):
    def __init__(self, desc: Optional[OpDesc] = None) -> None:
        super().__init__(desc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 7)


class PoolMeanTensor(Op):
    def __init__(self, desc: Optional[OpDesc] = None) -> None:
        super().__init__(desc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3), keepdim=True)


class LinearOp(Op):
    """Flatten, then a linear layer from ``conv.ch_in`` features to ``conv.ch_out`` classes."""

    def __init__(self, desc: OpDesc) -> None:
        super().__init__(desc)
        self.linear = nn.Linear(desc.conv.ch_in, desc.conv.ch_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(torch.flatten(x, 1))


class MergeOp(Op):
    """Base of ops that merge a list of cell states into the cell output."""

    def forward(self, states: Sequence[torch.Tensor]) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def can_drop_path(self) -> bool:
        return False


class _CatChannels(torch.autograd.Function):
    """``torch.cat(xs, 1)`` whose backward hands each input a dense gradient in the input's own
    memory format. Plain cat hands out channel slices of one gradient; a channel slice of a
    channels_last tensor is strided, and batch norm's backward is ~10x slower on it."""

    @staticmethod
    def forward(ctx, *xs):
        ctx.sizes = [x.shape[1] for x in xs]
        ctx.formats = [torch.channels_last if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
                       and not x.is_contiguous() else torch.contiguous_format for x in xs]
        return torch.cat(xs, dim=1)

    @staticmethod
    def backward(ctx, grad):
        return tuple(g.contiguous(memory_format=f) for g, f in zip(grad.split(ctx.sizes, dim=1), ctx.formats))


def cat_channels(states: Sequence[torch.Tensor]) -> torch.Tensor:
    return _CatChannels.apply(*states)


class ConcateChannelsOp(MergeOp):
    def __init__(self, desc: OpDesc) -> None:
        super().__init__(desc)

    def forward(self, states: Sequence[torch.Tensor]) -> torch.Tensor:
        return cat_channels(states)


class ProjectChannelsOp(MergeOp):
    """Concatenate, then a 1x1 ReLU-conv-BN down to ``conv.ch_out`` channels."""

    def __init__(self, desc: OpDesc, affine: bool) -> None:
        super().__init__(desc)
        proj = OpDesc("prepr_normal", {"conv": desc.conv, "stride": 1})
        self.proj = ReLUConvBN(proj, affine, 1, 0)

    def forward(self, states: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.proj(cat_channels(states))


class MultiOp(Op):
    """Several child ops on the same input (or on ``children_ins`` of a list input), summed."""

    def __init__(self, desc: OpDesc, affine: bool) -> None:
        super().__init__(desc)
        from nas_supergraph.op_lookup import create_op

        if not desc.children:
            raise ValueError("multi_op needs at least one child in op_desc.children")
        self.children_ins: List[int] = list(desc.children_ins or range(len(desc.children)))
        self.children_ops = nn.ModuleList(create_op(child, affine) for child in desc.children)

    def ops(self) -> Iterator[Op]:
        return iter(self.children_ops)

    def forward(self, x):
        outs = [op(x[i] if isinstance(x, (list, tuple)) else x) for op, i in zip(self.children_ops, self.children_ins)]
        total = outs[0]
        for out in outs[1:]:
            total = total + out
        return total


class DropPath_(nn.Module):
    """Zeroes whole samples with probability ``p`` in training and rescales the rest."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"drop path probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.p, self.training)


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    if not training or p <= 0.0:
        return x
    keep = 1.0 - p
    mask = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * (mask / keep)


# ---- factories (registry names) ---------------------------------------------------------------
def make_zero(op_desc: OpDesc, affine: bool = True) -> Op:
    return Zero(op_desc)


def make_identity(op_desc: OpDesc, affine: bool = True) -> Op:
    if "conv" in op_desc.params:
        _same_channels(op_desc, "identity")
    if op_desc.stride != 1:
        raise ValueError("identity has stride 1; use skip_connect for a strided skip")
    return Identity(op_desc)


def make_max_pool_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolBN(op_desc, "max")


def make_avg_pool_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolBN(op_desc, "avg")


def make_skip_connect(op_desc: OpDesc, affine: bool = True) -> Op:
    return SkipConnect(op_desc, affine)


def make_sep_conv_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return SepConv(op_desc, 3, 1, affine)


def make_sep_conv_5x5(op_desc: OpDesc, affine: bool = True) -> Op:
    return SepConv(op_desc, 5, 2, affine)


def make_sep_conv_7x7(op_desc: OpDesc, affine: bool = True) -> Op:
    return SepConv(op_desc, 7, 3, affine)


def make_dil_conv_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    c = op_desc.conv
    return DilConv(c.ch_in, c.ch_out, 3, op_desc.stride, 2, 2, affine, op_desc)


def make_dil_conv_5x5(op_desc: OpDesc, affine: bool = True) -> Op:
    c = op_desc.conv
    return DilConv(c.ch_in, c.ch_out, 5, op_desc.stride, 4, 2, affine, op_desc)


def make_fac_conv_7x1_1x7(op_desc: OpDesc, affine: bool = True) -> Op:
    return FacConv(op_desc, 7, 3, affine)


def make_convbnrelu_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return ConvBNReLU(op_desc, affine, 3, 1)


def make_convbnrelu_1x1(op_desc: OpDesc, affine: bool = True) -> Op:
    return ConvBNReLU(op_desc, affine, 1, 0)


def make_prepr_normal(op_desc: OpDesc, affine: bool = True) -> Op:
    return ReLUConvBN(op_desc, affine, 1, 0)


def make_prepr_reduce(op_desc: OpDesc, affine: bool = True) -> Op:
    return FactorizedReduce(op_desc, affine)


def make_stem_conv3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3(op_desc, affine)


def make_stem_conv3x3_relu(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3(op_desc, affine, relu=True)


def make_stem_conv3x3_s4(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3S4(op_desc, affine)


def make_stem_conv3x3_s4s2(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3S4S2(op_desc, affine)


def make_pool_adaptive_avg2d(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolAdaptiveAvg2D(op_desc)


def make_pool_avg2d7x7(op_desc: OpDesc, affine: bool = True) -> Op:
    return AvgPool2d7x7(op_desc)


def make_pool_mean_tensor(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolMeanTensor(op_desc)


def make_linear(op_desc: OpDesc, affine: bool = True) -> Op:
    return LinearOp(op_desc)


def make_concate_channels(op_desc: OpDesc, affine: bool = True) -> Op:
    return ConcateChannelsOp(op_desc)


def make_proj_channels(op_desc: OpDesc, affine: bool = True) -> Op:
    return ProjectChannelsOp(op_desc, affine)


def make_multi_op(op_desc: OpDesc, affine: bool = True) -> Op:
    return MultiOp(op_desc, affine)


def conv_desc(name: str, ch_in: int, ch_out: int, stride: int = 1, **params) -> OpDesc:
    """Shorthand for the common case: an op with channels and a stride."""
    return OpDesc(name, {"conv": ConvMacroParams(ch_in, ch_out), "stride": stride, **params})
