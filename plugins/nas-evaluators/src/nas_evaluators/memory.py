"""Peak memory allocated during one forward pass, on the CPU (Archai's ``TorchPeakCpuMemory``)
or a GPU (Archai's ``TorchPeakCudaMemory``).

Archai takes the largest single op's allocation from the profiler's summary; that is not a peak.
On the CPU the profiler's allocation and free events are replayed in time order and the highest
running total is returned; on a GPU it is CUDA's ``max_memory_allocated`` during the call, less
what was allocated before it. Either way the figure is the bytes of activations alive at once
(weights and the input, which exist before the call, are not included), so the two devices give
comparable numbers. On a GPU one untimed forward runs first: cuDNN's and cuBLAS's workspaces and
handles are created on first use and would otherwise land in the first candidate's figure only,
making it depend on the order candidates are measured in.

The device is the one the objective names, also inside a ``process_pool`` worker pinned to a GPU
(``nas_kernel.toolbox.devices.measured_on``).
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import call_releasing_memory, check_device, device_type, measured_on, synchronize
from nas_evaluators.inputs import check_shape, forward_inputs, move_inputs


class TorchPeakCpuMemory(ModelEvaluator):
    """Peak bytes allocated by ``model.arch`` during a no-grad forward (registered as ``peak_memory``).

    Args:
        forward_args, forward_kwargs: explicit inputs; otherwise a seeded random input of
            ``input_shape`` (batch dimension first).
        input_shape: input shape when ``forward_args`` is None.
        device: ``cpu`` (default), ``cuda``, ``cuda:N`` or ``auto``. On a GPU a copy of the model
            and the inputs are moved there; the candidate itself stays where it is.
    """

    def __init__(self, forward_args: Any = None, forward_kwargs: Optional[Dict[str, Any]] = None,
                 input_shape: Optional[List[int]] = None, device: str = "cpu") -> None:
        self.forward_args = forward_args
        self.forward_kwargs = forward_kwargs
        self.input_shape = check_shape(input_shape)
        self.device = check_device("device", device)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        device = measured_on("device", self.device)
        measure = self._cuda_peak if device_type(device) == "cuda" else self._cpu_peak
        return float(call_releasing_memory(device, f"peak_memory of {arch.archid}", measure, arch.arch, device))

    def _cpu_peak(self, net, device: str) -> int:
        import torch
        from torch.profiler import ProfilerActivity, profile

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
        return peak

    def _cuda_peak(self, net, device: str) -> int:
        import torch

        net = copy.deepcopy(net).to(device).eval()
        args, kwargs = move_inputs(*forward_inputs(self.forward_args, self.forward_kwargs, self.input_shape), device)
        with torch.no_grad():  # warm-up: first-use workspaces are not the candidate's activations
            net(*args, **kwargs)
        synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        with torch.no_grad():
            out = net(*args, **kwargs)
        synchronize(device)
        peak = torch.cuda.max_memory_allocated(device) - before
        del out
        return peak


class TorchPeakCudaMemory(TorchPeakCpuMemory):
    """Archai's name for the GPU measurement: :class:`TorchPeakCpuMemory` with ``device="cuda"``."""

    def __init__(self, forward_args: Any = None, forward_kwargs: Optional[Dict[str, Any]] = None,
                 input_shape: Optional[List[int]] = None, device: str = "cuda") -> None:
        super().__init__(forward_args, forward_kwargs, input_shape, device)
