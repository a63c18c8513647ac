"""Inference latency in seconds (Archai's ``TorchLatency``) on the CPU or a GPU, measured so
repeats agree: warm-up runs first (oneDNN and cuDNN pick their kernels on the first calls),
threads pinned, the median of the timed runs by default (one preempted run on a shared machine
does not move it). On a GPU, runs are timed with CUDA events after the queue is drained, in groups
of ``runs_per_sample`` between two events: one run of a tiny network between its own two events
times mostly the gaps between kernel launches (the host launches more slowly than such kernels
run), a group keeps the queue full, so the figure is the kernels' time.

The device is the one the objective names, also inside a ``process_pool`` worker pinned to a GPU:
``device: cpu`` is the CPU's latency there too (``nas_kernel.toolbox.devices.measured_on``).

Registered as ``latency`` and, its older name, ``cpu_latency`` (both default to the CPU)."""
from __future__ import annotations

import copy
import statistics
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import call_releasing_memory, check_device, device_type, measured_on, timed
from nas_kernel.toolbox.params import check_int
from nas_evaluators.inputs import check_shape, check_threads, forward_inputs, move_inputs, torch_threads


class TorchLatency(ModelEvaluator):
    """Seconds per forward pass of ``model.arch`` in eval mode without autograd.

    Args:
        forward_args, forward_kwargs: explicit inputs (Python use); otherwise a seeded random
            input of ``input_shape`` with its batch dimension replaced by ``batch_size``.
        num_warmups: untimed runs before measuring.
        num_samples: timed runs.
        use_median: median of the timed runs (default) instead of their mean.
        input_shape: input shape, batch dimension first.
        batch_size: overrides the batch dimension of ``input_shape`` (None keeps it).
        threads: torch intra-op threads while measuring (restored afterwards); None keeps the
            current setting. Pin it so numbers are comparable across candidates and machines.
        device: ``cpu`` (default), ``cuda``, ``cuda:N`` or ``auto``. On a GPU a copy of the model
            and the inputs are moved there; the candidate itself stays where it is.
        use_cuda: Archai's spelling of ``device: cuda``.
        runs_per_sample: forward passes timed together per sample on a GPU (the sample is their
            mean); default 10. The CPU times each run on its own (1).
    """

    def __init__(self, forward_args: Any = None, forward_kwargs: Optional[Dict[str, Any]] = None,
                 num_warmups: int = 2, num_samples: int = 10, use_median: bool = True,
                 input_shape: Optional[List[int]] = None, batch_size: Optional[int] = None,
                 threads: Optional[int] = 1, device: str = "cpu", use_cuda: bool = False,
                 runs_per_sample: Optional[int] = None) -> None:
        self.forward_args = forward_args
        self.forward_kwargs = forward_kwargs
        self.num_warmups = check_int("num_warmups", num_warmups, 0)
        self.num_samples = check_int("num_samples", num_samples, 1)
        self.use_median = bool(use_median)
        self.input_shape = check_shape(input_shape)
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size, 1)
        self.threads = check_threads(threads)
        if use_cuda and device == "cpu":
            device = "cuda"
        self.device = check_device("use_cuda" if use_cuda else "device", device)
        self.runs_per_sample = None if runs_per_sample is None else check_int("runs_per_sample", runs_per_sample, 1)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        device = measured_on("device", self.device)
        with torch_threads(self.threads):
            times = call_releasing_memory(device, f"latency of {arch.archid}", self._measure, arch.arch, device)
        return float(statistics.median(times) if self.use_median else statistics.fmean(times))

    def _measure(self, net, device: str) -> List[float]:
        import torch

        args, kwargs = forward_inputs(self.forward_args, self.forward_kwargs, self.input_shape,
                                      batch_size=self.batch_size)
        if device_type(device) != "cpu":
            net = copy.deepcopy(net).to(device)
            args, kwargs = move_inputs(args, kwargs, device)
        was_training = net.training
        net.eval()
        try:
            with torch.inference_mode():
                for _ in range(self.num_warmups):
                    net(*args, **kwargs)
                runs = self.runs_per_sample or (10 if device_type(device) == "cuda" else 1)
                return [timed(device, lambda: net(*args, **kwargs), runs) for _ in range(self.num_samples)]
        finally:
            net.train(was_training)
