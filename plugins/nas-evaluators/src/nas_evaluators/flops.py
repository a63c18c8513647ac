"""FLOPs and MACs of one forward pass, counted by torch's own ``FlopCounterMode``.

torch counts a multiply-add as 2 FLOPs (convolutions, matmuls); ops it has no formula for
(elementwise, pooling, normalisation) count 0. MACs are FLOPs / 2.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_evaluators.inputs import check_shape, forward_inputs


class TorchFlops(ModelEvaluator):
    """Floating-point operations of ``model.arch(*forward_args, **forward_kwargs)``.

    Args:
        forward_args: a tensor or tuple of tensors (Python use); None makes a seeded random
            input of ``input_shape``.
        forward_kwargs: extra keyword arguments for the forward call.
        ignore_layers: names of submodules (as in ``named_modules()``, e.g. ``"classifier"``)
            whose FLOPs are not counted.
        input_shape: input shape including the batch dimension, when ``forward_args`` is None.
    """

    def __init__(self, forward_args: Any = None, forward_kwargs: Optional[Dict[str, Any]] = None,
                 ignore_layers: Optional[List[str]] = None, input_shape: Optional[List[int]] = None) -> None:
        self.forward_args = forward_args
        self.forward_kwargs = forward_kwargs
        self.ignore_layers = list(ignore_layers or [])
        self.input_shape = check_shape(input_shape)

    def _count(self, model: ArchaiModel) -> float:
        import torch
        from torch.utils.flop_counter import FlopCounterMode

        arch = model.arch
        known = {name for name, _ in arch.named_modules()}
        unknown = [n for n in self.ignore_layers if n not in known]
        if unknown:
            raise ValueError(f"ignore_layers: no submodule named {', '.join(unknown)} in {type(arch).__name__}")
        args, kwargs = forward_inputs(self.forward_args, self.forward_kwargs, self.input_shape)
        was_training = arch.training
        arch.eval()
        try:
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                arch(*args, **kwargs)
        finally:
            arch.train(was_training)
        total = counter.get_total_flops()
        per_module = counter.get_flop_counts()
        prefix = type(arch).__name__
        # subtract outermost ignored modules only, so nested names are not subtracted twice
        for name in self.ignore_layers:
            if any(name != other and name.startswith(other + ".") for other in self.ignore_layers):
                continue
            total -= sum(per_module.get(f"{prefix}.{name}", {}).values())
        return float(total)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        return self._count(arch)


class TorchMacs(TorchFlops):
    """Multiply-accumulate operations: half of :class:`TorchFlops` (same parameters)."""

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        return self._count(arch) / 2.0
