"""Validation accuracy of a network over a split's tensors, in evaluation mode, batch by batch."""
from __future__ import annotations

from typing import Tuple

import torch

from nas_kernel.toolbox.devices import autocast


def accuracy(net: torch.nn.Module, split: Tuple[torch.Tensor, torch.Tensor], device: str = "cpu",
             precision: str = "fp32", batch_size: int = 512) -> float:
    X, y = split
    net.eval()
    correct = torch.zeros((), dtype=torch.long, device=device)
    with torch.no_grad():
        for i in range(0, len(y), batch_size):
            with autocast(device, precision):
                out = net(X[i:i + batch_size].to(device))
            correct += (out.float().argmax(1) == y[i:i + batch_size].to(device)).sum()
    return int(correct) / max(1, len(y))
