"""Intra-op threads pinned for the duration of a training or timing block (one per worker is the
project's rule on shared CPUs; a parallel evaluator runs several workers)."""
from __future__ import annotations

import contextlib
from typing import Optional

from nas_kernel.toolbox.params import check_int


def check_thread_count(name: str, value: Optional[int]) -> Optional[int]:
    return None if value is None else check_int(name, value, 1)


@contextlib.contextmanager
def pinned_threads(count: Optional[int]):
    """torch uses ``count`` threads inside the block (None: unchanged); the setting comes back after."""
    import torch

    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
