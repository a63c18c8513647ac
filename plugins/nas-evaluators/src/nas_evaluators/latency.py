"""CPU inference latency in seconds (Archai's ``TorchLatency``), measured so repeats agree:
warm-up runs first (oneDNN builds its kernels on the first call), threads pinned, the median of
the timed runs by default (one preempted run on a shared machine does not move it)."""
from __future__ import annotations

import statistics
import time
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.params import check_int
from nas_evaluators.inputs import check_shape, check_threads, forward_inputs, torch_threads


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
    """

    def __init__(self, forward_args: Any = None, forward_kwargs: Optional[Dict[str, Any]] = None,
                 num_warmups: int = 2, num_samples: int = 10, use_median: bool = True,
                 input_shape: Optional[List[int]] = None, batch_size: Optional[int] = None,
                 threads: Optional[int] = 1) -> None:
        self.forward_args = forward_args
        self.forward_kwargs = forward_kwargs
        self.num_warmups = check_int("num_warmups", num_warmups, 0)
        self.num_samples = check_int("num_samples", num_samples, 1)
        self.use_median = bool(use_median)
        self.input_shape = check_shape(input_shape)
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size, 1)
        self.threads = check_threads(threads)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        import torch

        net = arch.arch
        args, kwargs = forward_inputs(self.forward_args, self.forward_kwargs, self.input_shape,
                                      batch_size=self.batch_size)
        was_training = net.training
        net.eval()
        times = []
        try:
            with torch_threads(self.threads), torch.inference_mode():
                for _ in range(self.num_warmups):
                    net(*args, **kwargs)
                for _ in range(self.num_samples):
                    start = time.perf_counter()
                    net(*args, **kwargs)
                    times.append(time.perf_counter() - start)
        finally:
            net.train(was_training)
        return float(statistics.median(times) if self.use_median else statistics.fmean(times))
