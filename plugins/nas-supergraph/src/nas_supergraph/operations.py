"""The supergraph op library: every op a cell, stem or head is built from, and one factory per
registry name (``factory(op_desc, affine) -> nn.Module``).

Constructors take the op description first, then the op's own arguments, then ``affine``.
Beyond that: ``SepConv`` goes C_in -> C_in then C_in -> C_out, so it works when the channels
differ; ``Zero`` returns a fresh zero tensor of the output shape instead of multiplying by zero
(no work, no FLOPs); ``FactorizedReduce`` also accepts odd sizes. Ops shaped [ReLU ->] body -> BN
derive from ``BNLastOp`` so a mixed op can apply a shared ReLU once for all its candidates and
fold its weights into their BN.
"""
from __future__ import annotations

import math
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from nas_kernel.api.overridable import OpenModuleOverrides
from nas_kernel.toolbox.params import check_int, check_number
from nas_supergraph import conf
from nas_supergraph.arch_params import ArchModule, ArchParams
from nas_supergraph.model_desc import ConvMacroParams, OpDesc

PRIMITIVES = tuple(conf.PRIMITIVES)


class Op(ArchModule):
    """Base of every op: keeps its description and answers what finalizers and drop-path ask.
    ``Op.create`` builds one from its description by registry name."""

    #: True for ops shaped ReLU -> body -> BN (see ``BNLastOp``)
    relu_first = False

    def __init__(self) -> None:
        super().__init__()
        self.desc: Optional[OpDesc] = None

    @staticmethod
    def create(op_desc: OpDesc, affine: bool, arch_params: Optional[ArchParams] = None) -> "Op":
        """The op ``op_desc.name`` names, built from ``op_desc``; ``arch_params`` shares
        architecture weights owned elsewhere (a template edge's)."""
        from nas_supergraph.op_lookup import resolve_factory

        factory = resolve_factory(op_desc.name)
        op = factory(op_desc, affine) if arch_params is None else factory(op_desc, affine, arch_params=arch_params)
        if isinstance(op, nn.Module) and getattr(op, "desc", None) is None:
            op.desc = op_desc
        return op

    def finalize(self) -> Tuple[OpDesc, Optional[float]]:
        """``(OpDesc, rank)`` of the discrete op this one becomes; rank None: unranked, kept as is."""
        return self.desc.clone(clone_trainables=False), None

    def ops(self) -> Iterator[Tuple["Op", float]]:
        """Constituent ops with their weights; a primitive op yields itself (weight nan)."""
        yield self, math.nan

    def can_drop_path(self) -> bool:
        return True


class BNLastOp(Op):
    """An op shaped [ReLU ->] body -> BN. A mixed op calls ``forward_pre_bn`` (on an input it has
    already passed through ReLU once for all candidates, when ``relu_first``) and folds its
    candidate weight into ``final_bn``'s scale, so neither the ReLU nor the weighting costs a
    separate pass."""

    @property
    def final_bn(self) -> nn.BatchNorm2d:
        return self.bn

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_bn(self.forward_pre_bn(F.relu(x) if self.relu_first else x))


class ReLUFirstOp(BNLastOp):
    relu_first = True

    def forward_relu(self, x_relu: torch.Tensor) -> torch.Tensor:
        return self.final_bn(self.forward_pre_bn(x_relu))


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


def _with_channels(desc: OpDesc, ch_in: int, ch_out: int) -> OpDesc:
    return OpDesc(desc.name, {**desc.params, "conv": ConvMacroParams(ch_in, ch_out)}, desc.in_len)


# ---- cell ops ---------------------------------------------------------------------------------
class Zero(Op):
    """No connection: a zero tensor of the output shape (stride 2 halves it), made without
    touching the input, so it costs no FLOPs."""

    def __init__(self, op_desc: OpDesc) -> None:
        super().__init__()
        self.desc = op_desc
        self.stride = op_desc.stride
        self.ch_out = op_desc.conv.ch_out if "conv" in op_desc.params else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        shape = (n, self.ch_out or c, _strided_size(h, self.stride), _strided_size(w, self.stride))
        fmt = torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) and c > 1 \
            else torch.contiguous_format
        return torch.empty(shape, dtype=x.dtype, device=x.device, memory_format=fmt).zero_()


class Identity(Op):
    def __init__(self, op_desc: Optional[OpDesc] = None) -> None:
        super().__init__()
        self.desc = op_desc
        if op_desc is not None:
            if "conv" in op_desc.params:
                _same_channels(op_desc, "identity")
            if op_desc.stride != 1:
                raise ValueError("identity has stride 1; use skip_connect for a strided skip")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def can_drop_path(self) -> bool:
        return False


class PoolBN(BNLastOp):
    """AvgPool or MaxPool (3x3 unless ``params`` say ``kernel_size``/``padding``; average ignores
    padding), then batch norm without learned scale and shift whatever ``affine`` says: the op
    has no parameters, as Archai's (whose batch norm is left out), so a description builds a
    model of the same size in both."""

    def __init__(self, pool_type: str, op_desc: OpDesc, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        ch = _same_channels(op_desc, "pooling")
        kernel_size = op_desc.params.get("kernel_size", 3)
        padding = op_desc.params.get("padding", 1)
        kind = pool_type.lower() if isinstance(pool_type, str) else pool_type
        if kind == "max":
            self.pool = nn.MaxPool2d(kernel_size, stride=op_desc.stride, padding=padding)
        elif kind == "avg":
            self.pool = nn.AvgPool2d(kernel_size, stride=op_desc.stride, padding=padding, count_include_pad=False)
        else:
            raise ValueError(f"pool_type must be 'max' or 'avg', got {pool_type!r}")
        self.bn = _bn(ch, False)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


class FactorizedReduce(ReLUFirstOp):
    """Halves resolution without losing half the pixels: ReLU, two stride-2 1x1 convs offset by
    one pixel, concatenated, BN."""

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        ch_in, ch_out = op_desc.conv.ch_in, op_desc.conv.ch_out
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

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        if op_desc.stride == 1:
            _same_channels(op_desc, "skip_connect at stride 1")
            self._op: Op = Identity(op_desc)
        else:
            self._op = FactorizedReduce(op_desc, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._op(x)

    def can_drop_path(self) -> bool:
        return False


def _conv_and_bn(op_desc: OpDesc, kernel_size: int, stride: int, padding: int, affine: bool):
    """The KxK conv (no bias) and the batch norm after it, sized by the description."""
    conv = op_desc.conv
    return (nn.Conv2d(conv.ch_in, conv.ch_out, kernel_size, stride=stride, padding=padding, bias=False),
            _bn(conv.ch_out, affine))


class ReLUConvBN(ReLUFirstOp):
    """ReLU, KxK conv, BN (the DARTS ordering)."""

    def __init__(self, op_desc: OpDesc, kernel_size: int, stride: int, padding: int, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        self.conv, self.bn = _conv_and_bn(op_desc, kernel_size, stride, padding, affine)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ConvBNReLU(Op):
    """Conv, BN, ReLU (the NAS-Bench-101 ordering)."""

    def __init__(self, op_desc: OpDesc, kernel_size: int, stride: int, padding: int, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        self.conv, self.bn = _conv_and_bn(op_desc, kernel_size, stride, padding, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class DilConv(ReLUFirstOp):
    """(Dilated) depthwise separable conv: ReLU, depthwise KxK conv (dilation 2 turns 3x3 into a
    5x5 receptive field and 5x5 into 9x9), pointwise 1x1 conv, BN."""

    def __init__(self, op_desc: OpDesc, kernel_size: int, stride: int, padding: int, dilation: int,
                 affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        ch_in, ch_out = op_desc.conv.ch_in, op_desc.conv.ch_out
        self.depthwise = nn.Conv2d(ch_in, ch_in, kernel_size, stride=stride, padding=padding, dilation=dilation,
                                   groups=ch_in, bias=False)
        self.pointwise = nn.Conv2d(ch_in, ch_out, 1, bias=False)
        self.bn = _bn(ch_out, affine)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class SepConv(ReLUFirstOp):
    """Depthwise separable conv twice, each a ``DilConv`` with dilation 1: C_in -> C_in (carrying
    the stride), then C_in -> C_out."""

    def __init__(self, op_desc: OpDesc, kernel_size: int, padding: int, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        ch_in, ch_out = op_desc.conv.ch_in, op_desc.conv.ch_out
        self.op1 = DilConv(_with_channels(op_desc, ch_in, ch_in), kernel_size, op_desc.stride, padding, 1, affine)
        self.op2 = DilConv(_with_channels(op_desc, ch_in, ch_out), kernel_size, 1, padding, 1, affine)

    @property
    def final_bn(self) -> nn.BatchNorm2d:
        return self.op2.bn

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.op2.forward_pre_bn(F.relu(self.op1.forward_relu(x)))


class FacConv(ReLUFirstOp):
    """Factorised KxK conv: ReLU, a Kx1 conv, a 1xK conv, BN. Each conv pads and strides only
    along its kernel's long side, so the op keeps the spatial size at stride 1."""

    def __init__(self, op_desc: OpDesc, kernel_length: int, padding: int, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        conv, s = op_desc.conv, op_desc.stride
        self.conv_kx1 = nn.Conv2d(conv.ch_in, conv.ch_in, (kernel_length, 1), stride=(s, 1), padding=(padding, 0),
                                  bias=False)
        self.conv_1xk = nn.Conv2d(conv.ch_in, conv.ch_out, (1, kernel_length), stride=(1, s), padding=(0, padding),
                                  bias=False)
        self.bn = _bn(conv.ch_out, affine)

    def forward_pre_bn(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_1xk(self.conv_kx1(x))


# ---- stems and heads --------------------------------------------------------------------------
class StemBase(Op):
    """Base of model stems: ``reduction`` is how much the stem shrinks the spatial size (2 per
    stride-2 layer, compounded)."""

    def __init__(self, reduction: int) -> None:
        super().__init__()
        self.reduction = reduction

    def can_drop_path(self) -> bool:
        return False


class StemConv3x3(StemBase):
    """3x3 conv and BN (CIFAR-style stem)."""

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__(op_desc.stride)
        self.desc = op_desc
        conv = op_desc.conv
        self.conv = nn.Conv2d(conv.ch_in, conv.ch_out, 3, stride=op_desc.stride, padding=1, bias=False)
        self.bn = _bn(conv.ch_out, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class StemConv3x3Relu(StemConv3x3):
    """3x3 conv, BN, ReLU (NAS-Bench-101 stem)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _s4_layers(ch_in: int, ch_out: int, affine: bool) -> List[nn.Module]:
    mid = max(1, ch_out // 2)
    return [nn.Conv2d(ch_in, mid, 3, stride=2, padding=1, bias=False), _bn(mid, affine), nn.ReLU(),
            nn.Conv2d(mid, ch_out, 3, stride=2, padding=1, bias=False), _bn(ch_out, affine)]


class StemConv3x3S4(StemBase):
    """Two stride-2 3x3 convs (ImageNet-style stem): a 4x reduction."""

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__(4)
        self.desc = op_desc
        self.net = nn.Sequential(*_s4_layers(op_desc.conv.ch_in, op_desc.conv.ch_out, affine))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class StemConv3x3S4S2(StemBase):
    """The S4 stem (4x) followed by ReLU, a stride-2 3x3 conv and BN (a further 2x): 8x in all."""

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__(8)
        self.desc = op_desc
        ch_out = op_desc.conv.ch_out
        self.net = nn.Sequential(*_s4_layers(op_desc.conv.ch_in, ch_out, affine), nn.ReLU(),
                                 nn.Conv2d(ch_out, ch_out, 3, stride=2, padding=1, bias=False), _bn(ch_out, affine))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _Head(Op):
    def can_drop_path(self) -> bool:
        return False


class PoolAdaptiveAvg2D(_Head):
    """Average over the whole map: (N, C, 1, 1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x, 1)


class AvgPool2d7x7(_Head):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 7)


class PoolMeanTensor(_Head):
    """Mean over height and width: (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class LinearOp(_Head):
    """Flatten, then a linear layer from ``params['n_ch']`` features to ``params['n_classes']``."""

    def __init__(self, op_desc: OpDesc) -> None:
        super().__init__()
        self.desc = op_desc
        n_ch = check_int("linear op params['n_ch']", op_desc.params.get("n_ch"), minimum=1)
        n_classes = check_int("linear op params['n_classes']", op_desc.params.get("n_classes"), minimum=1)
        self.linear = nn.Linear(n_ch, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(torch.flatten(x, 1))


class MergeOp(Op):
    """Base of ops that merge cell states into the cell output: ``forward(states)`` uses the last
    ``params['out_states']`` of them; ``ch_in``/``ch_out`` come from ``params['conv']``."""

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        self.ch_in, self.ch_out = op_desc.conv.ch_in, op_desc.conv.ch_out
        self.out_states = check_int("merge op params['out_states']", op_desc.params.get("out_states"), minimum=1)

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
    """Concatenate the last ``out_states`` states along channels."""

    def forward(self, states: Sequence[torch.Tensor]) -> torch.Tensor:
        return cat_channels(list(states)[-self.out_states:])


class ProjectChannelsOp(MergeOp):
    """Concatenate the last ``out_states`` states, then a 1x1 conv and BN down to ``ch_out``."""

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__(op_desc, affine)
        self.conv = nn.Conv2d(self.ch_in, self.ch_out, 1, bias=False)
        self.bn = _bn(self.ch_out, affine)

    def forward(self, states: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.bn(self.conv(cat_channels(list(states)[-self.out_states:])))


class MultiOp(Op):
    """Child ops (``op_desc.children``), child i reading input ``children_ins[i]`` of a list input
    (every child reads a single tensor input), each with this op's ``conv`` params; their outputs
    are concatenated and projected back to ``ch_out`` by a ``proj_channels`` op."""

    def __init__(self, op_desc: OpDesc, affine: bool) -> None:
        super().__init__()
        self.desc = op_desc
        children = op_desc.children
        if not children:
            raise ValueError("multi_op needs at least one child in op_desc.children")
        ins = list(op_desc.children_ins if op_desc.children_ins is not None else [0] * len(children))
        if len(ins) != len(children):
            raise ValueError(f"multi_op: children_ins has {len(ins)} entries for {len(children)} children")
        conv = op_desc.conv
        self.children_ins: List[int] = ins
        self.children_ops = nn.ModuleList(
            Op.create(OpDesc(c.name, {**c.params, "conv": conv.clone()}, c.in_len, c.trainables), affine)
            for c in children)
        proj = OpDesc("proj_channels", {"conv": ConvMacroParams(conv.ch_out * len(children), conv.ch_out),
                                        "out_states": len(children)})
        self.proj = Op.create(proj, affine)

    def ops(self) -> Iterator[Tuple[Op, float]]:
        for op in self.children_ops:
            yield op, math.nan

    def forward(self, x: Union[torch.Tensor, List[torch.Tensor]]) -> torch.Tensor:
        xs = x if isinstance(x, (list, tuple)) else [x]
        return self.proj([op(xs[i] if len(xs) > 1 else xs[0]) for op, i in zip(self.children_ops, self.children_ins)])


class DropPath_(OpenModuleOverrides, nn.Module):
    """Zeroes whole samples with probability ``p`` in training and rescales the rest
    (https://arxiv.org/abs/1605.07648)."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = check_number("drop path probability", p, 0.0, 1.0)
        if self.p == 1.0:
            raise ValueError(f"drop path probability must be in [0, 1), got {p}")

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.p, self.training)


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    if not training or p <= 0.0:
        return x
    keep = 1.0 - p
    mask = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * (mask / keep)


# ---- factories, each named by one entry of ``plugin.OPS``: factory(op_desc, affine) -> Op --------
def make_zero(op_desc: OpDesc, affine: bool = True) -> Op:
    return Zero(op_desc)


def make_identity(op_desc: OpDesc, affine: bool = True) -> Op:
    return Identity(op_desc)


def make_max_pool_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolBN("max", op_desc, affine)


def make_avg_pool_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolBN("avg", op_desc, affine)


def make_skip_connect(op_desc: OpDesc, affine: bool = True) -> Op:
    return SkipConnect(op_desc, affine)


def make_sep_conv_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return SepConv(op_desc, 3, 1, affine)


def make_sep_conv_5x5(op_desc: OpDesc, affine: bool = True) -> Op:
    return SepConv(op_desc, 5, 2, affine)


def make_sep_conv_7x7(op_desc: OpDesc, affine: bool = True) -> Op:
    return SepConv(op_desc, 7, 3, affine)


def make_dil_conv_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return DilConv(op_desc, 3, op_desc.stride, 2, 2, affine)


def make_dil_conv_5x5(op_desc: OpDesc, affine: bool = True) -> Op:
    return DilConv(op_desc, 5, op_desc.stride, 4, 2, affine)


def make_fac_conv_7x1_1x7(op_desc: OpDesc, affine: bool = True) -> Op:
    return FacConv(op_desc, 7, 3, affine)


def make_convbnrelu_3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return ConvBNReLU(op_desc, 3, op_desc.stride, 1, affine)


def make_convbnrelu_1x1(op_desc: OpDesc, affine: bool = True) -> Op:
    return ConvBNReLU(op_desc, 1, op_desc.stride, 0, affine)


def make_prepr_normal(op_desc: OpDesc, affine: bool = True) -> Op:
    return ReLUConvBN(op_desc, 1, op_desc.stride, 0, affine)


def make_prepr_reduce(op_desc: OpDesc, affine: bool = True) -> Op:
    return FactorizedReduce(op_desc, affine)


def make_stem_conv3x3(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3(op_desc, affine)


def make_stem_conv3x3_relu(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3Relu(op_desc, affine)


def make_stem_conv3x3_s4(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3S4(op_desc, affine)


def make_stem_conv3x3_s4s2(op_desc: OpDesc, affine: bool = True) -> Op:
    return StemConv3x3S4S2(op_desc, affine)


def make_pool_adaptive_avg2d(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolAdaptiveAvg2D()


def make_pool_avg2d7x7(op_desc: OpDesc, affine: bool = True) -> Op:
    return AvgPool2d7x7()


def make_pool_mean_tensor(op_desc: OpDesc, affine: bool = True) -> Op:
    return PoolMeanTensor()


def make_linear(op_desc: OpDesc, affine: bool = True) -> Op:
    return LinearOp(op_desc)


def make_concate_channels(op_desc: OpDesc, affine: bool = True) -> Op:
    return ConcateChannelsOp(op_desc, affine)


def make_proj_channels(op_desc: OpDesc, affine: bool = True) -> Op:
    return ProjectChannelsOp(op_desc, affine)


def make_multi_op(op_desc: OpDesc, affine: bool = True) -> Op:
    return MultiOp(op_desc, affine)


def conv_desc(name: str, ch_in: int, ch_out: int, stride: int = 1, **params) -> OpDesc:
    """Shorthand for the common case: an op with channels and a stride."""
    return OpDesc(name, {"conv": ConvMacroParams(ch_in, ch_out), "stride": stride, **params})
