"""Most important channels first: re-order each block's expanded channels (and its squeeze-and-
excitation channels) by importance, so a smaller expansion, which keeps the first channels, keeps
the ones that matter most.

Importance is once-for-all's: the L1 norm of the weights that read a channel (the projection's
input weights for the expanded channels, the excitation's input weights for the SE channels).
Re-ordering permutes every tensor indexed by those channels together, and the optimizer's
per-parameter state (momentum, Adam's moments) with them, so the largest network computes the same
function before and after, and training goes on as if nothing moved. It is a deterministic
function of the weights: a run resumed from a checkpoint re-orders exactly as a straight run does.
"""
from __future__ import annotations

from typing import Iterable, List, Optional, Tuple

import torch
from torch import nn

from nas_edge.mobilenet_network import InvertedResidual


def _permute(opt: Optional[torch.optim.Optimizer], param: torch.Tensor, dim: int, order: torch.Tensor) -> None:
    with torch.no_grad():
        param.copy_(param.index_select(dim, order))
    if opt is None or not isinstance(param, nn.Parameter):
        return
    for value in opt.state.get(param, {}).values():
        if torch.is_tensor(value) and value.shape == param.shape:
            value.copy_(value.index_select(dim, order))


def _bn(bn: nn.BatchNorm2d) -> List[Tuple[torch.Tensor, int]]:
    return [(bn.weight, 0), (bn.bias, 0), (bn.running_mean, 0), (bn.running_var, 0)]


def sort_block(block: InvertedResidual, opt: Optional[torch.optim.Optimizer] = None) -> None:
    """Re-order one block's expanded channels, then its SE channels, by importance (descending)."""
    if block.expand is None:  # expansion 1: the expanded channels are the block's input
        return
    order = torch.argsort(block.project[0].weight.detach().abs().sum(dim=(0, 2, 3)), descending=True, stable=True)
    tensors = [(block.expand[0].weight, 0), *_bn(block.expand[1]), (block.depthwise[0].weight, 0),
               *_bn(block.depthwise[1]), (block.project[0].weight, 1)]
    if block.se is not None:
        tensors += [(block.se.reduce.weight, 1), (block.se.expand.weight, 0), (block.se.expand.bias, 0)]
    for tensor, dim in tensors:
        _permute(opt, tensor, dim, order.to(tensor.device))
    if block.se is not None:
        se_order = torch.argsort(block.se.expand.weight.detach().abs().sum(dim=(0, 2, 3)), descending=True, stable=True)
        for tensor, dim in ((block.se.reduce.weight, 0), (block.se.reduce.bias, 0), (block.se.expand.weight, 1)):
            _permute(opt, tensor, dim, se_order.to(tensor.device))


def sort_channels(blocks: Iterable[nn.Module], opt: Optional[torch.optim.Optimizer] = None) -> None:
    """:func:`sort_block` on every inverted-residual block among ``blocks`` (e.g. ``net.modules()``)."""
    for module in blocks:
        if isinstance(module, InvertedResidual):
            sort_block(module, opt)
