"""One training step's loss under the sandwich rule with in-place distillation, as one module.

The largest sub-network learns from the labels; every other sub-network of the step learns from
the largest one's predictions of the same batch (soft targets, detached: the teacher is not pulled
towards its students), mixed with the labels by ``distill`` (1 = soft targets only, 0 = labels
only). The losses are summed, so one backward pass sums every sub-network's gradients on the
shared weights. Being one module with one forward makes it wrappable by
``DistributedDataParallel`` (several sub-networks, one gradient reduction per step).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from nas_edge.mobilenet_arch import MobileNetArch


def soft_cross_entropy(logits: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """Cross-entropy against the teacher's softened distribution, scaled by T^2 (gradients keep
    their size whatever the temperature)."""
    target = F.softmax(teacher / temperature, dim=1)
    return -(target * F.log_softmax(logits / temperature, dim=1)).sum(dim=1).mean() * temperature ** 2


class SandwichLoss(nn.Module):
    def __init__(self, supernet: nn.Module, distill: float = 1.0, temperature: float = 1.0) -> None:
        super().__init__()
        self.supernet, self.distill, self.temperature = supernet, float(distill), float(temperature)

    def forward(self, x: torch.Tensor, y: torch.Tensor, archs: Sequence[MobileNetArch]) -> torch.Tensor:
        logits = self.supernet(x, archs[0]).float()
        loss = F.cross_entropy(logits, y)
        teacher = logits.detach()
        for arch in archs[1:]:
            out = self.supernet(x, arch).float()
            part = F.cross_entropy(out, y) if self.distill < 1 else 0.0
            if self.distill > 0:
                part = self.distill * soft_cross_entropy(out, teacher, self.temperature) + (1 - self.distill) * part
            loss = loss + part
        return loss
