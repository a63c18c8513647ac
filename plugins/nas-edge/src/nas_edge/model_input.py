"""Which input a candidate is exported and timed with.

A network that knows its deployed input exposes ``input_shape`` (batch first), as the
``mobilenet`` networks do (their resolution is part of the architecture); otherwise the
evaluator's ``input_shape`` parameter says it, else one sample of its dataset does.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from nas_kernel.toolbox.params import check_int


def check_shape(name: str, shape: Optional[Sequence[Any]]) -> Optional[Tuple[int, ...]]:
    if shape is None:
        return None
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or not shape:
        raise ValueError(f"{name} must be a list of positive integers (batch first), got {shape!r}")
    return tuple(check_int(f"{name}[{i}]", d, 1) for i, d in enumerate(shape))


def input_shape_of(net: Any, given: Optional[Tuple[int, ...]], dataset: Any = None) -> Tuple[int, ...]:
    """The shape to export ``net`` with; ValueError when nothing says it."""
    own = getattr(net, "input_shape", None)
    if own is not None:
        return tuple(int(d) for d in own)
    if given is not None:
        return given
    if dataset is not None:
        from nas_kernel.api.dataset import input_shape

        return (1, *input_shape(dataset))
    raise ValueError(f"{type(net).__name__} has no input_shape attribute; set the evaluator's input_shape "
                     "(batch first, e.g. [1, 3, 32, 32])")


def shape_text(shape: List[int]) -> str:
    return "x".join(str(d) for d in shape)
