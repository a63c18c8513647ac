"""The example inputs the profiling evaluators run a model on, and pinned torch threads.

Archai's profilers take ``forward_args`` / ``forward_kwargs`` (tensors); experiment files cannot
hold tensors, so ``input_shape`` (batch dimension included, as Archai's ONNX evaluator has it)
builds a seeded random input instead.
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Optional, Sequence, Tuple

DEFAULT_INPUT_SHAPE = (1, 1, 8, 8)  # one digits image


def check_shape(input_shape: Optional[Sequence[int]], name: str = "input_shape") -> Tuple[int, ...]:
    shape = tuple(DEFAULT_INPUT_SHAPE if input_shape is None else input_shape)
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        raise ValueError(f"{name} must be a list of positive integers (batch dimension first), got {input_shape!r}")
    return shape


def forward_inputs(forward_args: Any, forward_kwargs: Optional[Dict[str, Any]], input_shape: Tuple[int, ...],
                   seed: int = 0, batch_size: Optional[int] = None):
    """``(args tuple, kwargs dict)`` for ``model(*args, **kwargs)``."""
    import torch

    if forward_args is None:
        shape = tuple(input_shape)
        if batch_size is not None:
            shape = (int(batch_size),) + shape[1:]
        gen = torch.Generator().manual_seed(int(seed))
        args = (torch.randn(shape, generator=gen),)
    elif isinstance(forward_args, (tuple, list)):
        args = tuple(forward_args)
    else:
        args = (forward_args,)
    return args, dict(forward_kwargs or {})


@contextlib.contextmanager
def torch_threads(n: Optional[int]):
    """Run the block with ``n`` intra-op threads (None leaves torch's setting) and restore it."""
    import torch

    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_threads(n: Optional[int], name: str = "threads") -> Optional[int]:
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ValueError(f"{name} must be a positive integer or None, got {n!r}")
    return n


def move_inputs(args: Tuple[Any, ...], kwargs: Dict[str, Any], device: str):
    """``(args, kwargs)`` with every tensor among them moved to ``device``."""
    import torch

    def move(value):
        return value.to(device) if isinstance(value, torch.Tensor) else value

    return tuple(move(a) for a in args), {k: move(v) for k, v in kwargs.items()}
