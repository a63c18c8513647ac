"""Small training helpers shared by the architecture trainer and the evaluater: seeded
mini-batches (the order depends only on seed and epoch, so a resumed run sees the same
batches), accuracy, and the learning-rate schedule (the kernel's cosine)."""
from __future__ import annotations

from typing import Iterator, Tuple

import torch

from nas_kernel.toolbox.schedules import cosine_anneal


def epoch_batches(X: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int, epoch: int,
                  shuffle: bool = True) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    n = len(y)
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    else:
        order = torch.arange(n)
    if X.device.type == "cuda":  # one copy per epoch: a CPU index into a GPU tensor waits for a copy per batch
        order = order.pin_memory().to(X.device, non_blocking=True)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


@torch.no_grad()
def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(y), batch_size):
        logits = logits_of(model(X[start:start + batch_size]))
        correct += int((logits.argmax(dim=1) == y[start:start + batch_size]).sum())
    model.train(was_training)
    return correct / max(1, len(y))


def logits_of(output) -> torch.Tensor:
    """The logits of a model output: ``(logits, aux)`` pairs and plain tensors alike."""
    return output[0] if isinstance(output, tuple) else output


def cosine_lr(base: float, minimum: float, epoch: int, epochs: int) -> float:
    """Learning rate for ``epoch`` (0-based) of ``epochs``: the kernel's cosine schedule with
    PyTorch's ``T_max=epochs`` horizon."""
    return cosine_anneal(base, minimum, epoch, epochs)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
