"""Minibatches of a token stream: the windows of step ``s`` start at offsets drawn from a generator
seeded by ``(seed, s)``, so the data a step sees depends only on the step number: a run resumed
from a checkpoint trains on exactly what a straight run would have."""
from __future__ import annotations

import numpy as np


def batch_at(stream: np.ndarray, step: int, seed: int, batch_size: int, seq_len: int):
    """``(inputs, targets)`` int64 tensors ``(batch_size, seq_len)`` for training step ``step``."""
    import torch

    high = len(stream) - seq_len  # the last start whose target window still fits
    gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
    starts = torch.randint(0, high, (batch_size,), generator=gen).numpy()
    rows = np.asarray(stream[starts[:, None] + np.arange(seq_len + 1)], dtype=np.int64)
    rows = torch.from_numpy(rows)
    return rows[:, :-1], rows[:, 1:]
