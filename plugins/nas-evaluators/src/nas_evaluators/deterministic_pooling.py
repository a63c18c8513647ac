"""Adaptive average pooling that is deterministic on a GPU, for ``deterministic: true``.

CUDA's backward pass of ``adaptive_avg_pool2d`` adds with atomics and has no deterministic
kernel: under ``torch.use_deterministic_algorithms`` every model ending in an
``AdaptiveAvgPool2d`` to anything but 1x1 (the ``cnn`` space's candidates among them) would
fail. Adaptive average pooling is a linear map along each axis, so it is computed here as two
small matrix products (each output row and column the mean of its window of input rows and
columns, the windows torch uses), whose backward passes are deterministic matrix products.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

import torch
from torch import nn


def window_means(n_in: int, n_out: int, device: Any, dtype: torch.dtype) -> torch.Tensor:
    """The ``(n_out, n_in)`` matrix whose row ``i`` averages input positions
    ``floor(i * n_in / n_out)`` to ``ceil((i + 1) * n_in / n_out)``, built on ``device``."""
    rows = torch.arange(n_out, device=device)
    starts = (rows * n_in) // n_out
    ends = ((rows + 1) * n_in + n_out - 1) // n_out
    cols = torch.arange(n_in, device=device)
    inside = (cols[None, :] >= starts[:, None]) & (cols[None, :] < ends[:, None])
    return inside.to(dtype) / (ends - starts)[:, None].to(dtype)


class MatrixAdaptiveAvgPool2d(nn.Module):
    """``nn.AdaptiveAvgPool2d(output_size)`` as two matrix products (deterministic everywhere)."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size
        self._matrices: Dict[Tuple, Tuple[torch.Tensor, torch.Tensor]] = {}

    def _sizes(self, h: int, w: int) -> Tuple[int, int]:
        size = self.output_size
        oh, ow = (size, size) if isinstance(size, int) else tuple(size)
        return (h if oh is None else int(oh)), (w if ow is None else int(ow))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        oh, ow = self._sizes(h, w)
        key = (h, w, oh, ow, x.device, x.dtype)
        if key not in self._matrices:
            self._matrices[key] = (window_means(h, oh, x.device, x.dtype), window_means(w, ow, x.device, x.dtype))
        rows, cols = self._matrices[key]
        return rows @ x @ cols.transpose(0, 1)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


def make_pooling_deterministic(net: nn.Module) -> int:
    """Replace every ``nn.AdaptiveAvgPool2d`` in ``net`` by :class:`MatrixAdaptiveAvgPool2d` (in
    place; train a copy); returns how many were replaced."""
    replaced = 0
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.AdaptiveAvgPool2d:
                setattr(parent, name, MatrixAdaptiveAvgPool2d(child.output_size))
                replaced += 1
    return replaced
