"""Peak CPU memory allocated during one forward pass (Archai's ``TorchPeakCpuMemory``).

Archai takes the largest single op's allocation from the profiler's summary; that is not a peak.
Here the profiler's allocation and free events are replayed in time order and the highest
running total is returned: the bytes of activations alive at once (weights and the input, which
exist before the call, are not included).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_evaluators.inputs import check_shape, forward_inputs


class TorchPeakCpuMemory(ModelEvaluator):
    """Peak bytes allocated by ``model.arch`` during a no-grad forward.

    Args:
        forward_args, forward_kwargs: explicit inputs; otherwise a seeded random input of
            ``input_shape`` (batch dimension first).
        input_shape: input shape when ``forward_args`` is None.
    """

    def __init__(self, forward_args: Any = None, forward_kwargs: Optional[Dict[str, Any]] = None,
                 input_shape: Optional[List[int]] = None) -> None:
        self.forward_args = forward_args
        self.forward_kwargs = forward_kwargs
        self.input_shape = check_shape(input_shape)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        import torch
        from torch.profiler import ProfilerActivity, profile

        net = arch.arch
        args, kwargs = forward_inputs(self.forward_args, self.forward_kwargs, self.input_shape)
        was_training = net.training
        net.eval()
        try:
            with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
                net(*args, **kwargs)
        finally:
            net.train(was_training)
        changes = sorted((e.time_range.start, e.self_cpu_memory_usage) for e in prof.events()
                         if e.self_cpu_memory_usage)
        running = peak = 0
        for _, delta in changes:
            running += delta
            peak = max(peak, running)
        return float(peak)
