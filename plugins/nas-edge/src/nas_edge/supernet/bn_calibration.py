"""Batch-norm recalibration: a sub-network's own running statistics, from a few training batches.

The shared running statistics were accumulated over every sub-network trained, each with its own
channels and depths, so they fit none of them exactly; accuracy read with them says little.
Recalibrating resets each batch-norm layer's statistics and averages them (cumulatively, equal
weight per batch) over a few batches in training mode without gradients: weights and biases are
untouched, only the statistics change.
"""
from __future__ import annotations

from typing import Iterable

import torch
from torch import nn


def batch_norms(net: nn.Module):
    return [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def recalibrate_bn(net: nn.Module, batches: Iterable[torch.Tensor]) -> int:
    """Recompute ``net``'s batch-norm statistics over ``batches`` (input tensors on ``net``'s
    device); returns how many batches were used. ``net``'s training mode is restored."""
    layers = batch_norms(net)
    momenta = [bn.momentum for bn in layers]
    for bn in layers:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average: every batch counts the same
    was_training, count = net.training, 0
    net.train()
    try:
        with torch.no_grad():
            for xb in batches:
                net(xb)
                count += 1
    finally:
        for bn, momentum in zip(layers, momenta):
            bn.momentum = momentum
        net.train(was_training)
    return count


def calibration_indices(n: int, batches: int, batch_size: int, seed: int) -> torch.Tensor:
    """The training samples every candidate is recalibrated on: the same fixed, seeded draw for all
    of them (a fair comparison, and the same score in any process)."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 9_973 + 17))
    return order[:min(n, batches * batch_size)]
