"""Optimizers and per-epoch learning rates for partial training.

The learning rate of epoch ``e`` is a pure function of ``e`` (it never depends on how many epochs
this call will run), so training resumed from a checkpoint follows exactly the schedule that
training straight through would have.
"""
from __future__ import annotations

from typing import Optional

from nas_kernel.toolbox.schedules import cosine_anneal

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "exponential", "cosine")


def make_optimizer(name: str, params, lr: float, momentum: float, weight_decay: float, fused: bool = False):
    """``fused``: torch's fused implementation (CUDA; one kernel for every parameter, and no
    wait for the GPU under an fp16 gradient scaler)."""
    import torch

    extra = {"fused": True} if fused else {}
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **extra)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **extra)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=momentum > 0, weight_decay=weight_decay,
                               **extra)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


def lr_at(epoch: int, schedule: str, lr: float, final_lr: Optional[float], horizon: int) -> float:
    """Learning rate for 0-based ``epoch``: from ``lr`` to ``final_lr`` over ``horizon`` epochs,
    then held at ``final_lr`` (``constant`` ignores ``final_lr``)."""
    if schedule == "constant" or horizon <= 1:
        return lr
    end = lr * 0.01 if final_lr is None else final_lr
    t = min(epoch, horizon - 1) / (horizon - 1)
    if schedule == "exponential":
        return lr * (end / lr) ** t
    if schedule == "cosine":  # the kernel's cosine, ending on the last epoch of the horizon
        return cosine_anneal(lr, end, epoch, horizon - 1)
    raise ValueError(f"lr_schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
