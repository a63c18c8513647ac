"""Checks for supergraph ops: the built ``torch.nn.Module`` (what ``factory(op_desc, affine)``
returns). torch is imported inside the check only, so ``import nas_kernel.testing`` stays light.
The input shape is the caller's (``input_shape``, default ``(2, 4, 8, 8)``); ``output_shape``,
when given, must match exactly, else only the batch size must be kept."""
from __future__ import annotations

import sys
from typing import Any, Callable, List, Optional, Sequence

from nas_kernel.testing._naming import name_of
from nas_kernel.testing._results import fail

DEFAULT_INPUT_SHAPE = (2, 4, 8, 8)


def is_torch_module(obj: Any) -> bool:
    torch = sys.modules.get("torch")  # an object cannot be a module unless torch is already imported
    return torch is not None and isinstance(obj, torch.nn.Module)


def check_op_forward_shape(op, *, input_shape: Sequence[int] = DEFAULT_INPUT_SHAPE,
                           output_shape: Optional[Sequence[int]] = None):
    import torch

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(tuple(input_shape), generator=generator)
    out = op(x)
    if not isinstance(out, torch.Tensor):
        fail(f"{name_of(op)}(x of shape {tuple(input_shape)}) should return a tensor, got {type(out).__name__}")
    if output_shape is not None and tuple(out.shape) != tuple(output_shape):
        fail(f"{name_of(op)}(x of shape {tuple(input_shape)}) returned shape {tuple(out.shape)}; "
             f"expected {tuple(output_shape)}")
    if out.shape[:1] != x.shape[:1]:
        fail(f"{name_of(op)}(x of shape {tuple(input_shape)}) returned shape {tuple(out.shape)}; the batch "
             f"size {x.shape[0]} must be kept")
    if out.is_floating_point() and not torch.isfinite(out).all():
        fail(f"{name_of(op)}(x of shape {tuple(input_shape)}) returned non-finite values")


def op_checks(obj) -> List[Callable[..., None]]:
    return [check_op_forward_shape] if is_torch_module(obj) else []
