"""Training one extracted sub-network on its own: fine-tuning from inherited weights (or training
from scratch) for ``nas train-best``. Batch order and dropout depend only on ``(seed, epoch)``, as
everywhere in the project's training."""
from __future__ import annotations

from typing import Any, Callable, Optional

import torch
from torch.nn import functional as F

from nas_kernel.toolbox.devices import autocast, grad_scaler, seeded_rng
from nas_kernel.toolbox.schedules import cosine_anneal


def train_network(net: torch.nn.Module, provider: Any, *, epochs: int, lr: float, batch_size: int, seed: int,
                  device: str = "cpu", precision: str = "fp32",
                  on_epoch: Optional[Callable[[int], None]] = None) -> torch.nn.Module:
    """Adam from ``lr`` down a cosine to ``lr / 100`` over ``epochs``; returns ``net`` trained (on ``device``)."""
    net = net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    scaler = grad_scaler(device, precision)
    X, y = provider.get_train()
    steps = max(1, len(y) // batch_size)
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = cosine_anneal(lr, lr / 100, epoch, max(1, epochs - 1))
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))
        net.train()
        with seeded_rng(device, seed * 7_919 + epoch):
            for step in range(steps):
                index = order[step * batch_size:(step + 1) * batch_size]
                xb, yb = X[index].to(device), y[index].to(device)
                opt.zero_grad(set_to_none=True)
                with autocast(device, precision):
                    loss = F.cross_entropy(net(xb).float(), yb)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
        if on_epoch is not None:
            on_epoch(epoch + 1)
    return net
