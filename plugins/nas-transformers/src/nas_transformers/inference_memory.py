"""``inference_memory``: the memory a decoder needs to answer, in bytes: its weights, its
key/value cache at ``seq_len`` and the activations alive at the peak of one no-grad forward.

On the CPU the activation peak is read from torch's profiler by replaying its allocation and
release events in time order (the running total's maximum); on a GPU it is CUDA's
``max_memory_allocated`` during the call, less what was allocated before it.
"""
from __future__ import annotations

import copy
import itertools
from typing import Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import call_releasing_memory, check_device, device_type, measured_on, synchronize
from nas_kernel.toolbox.params import check_int


class PeakInferenceMemory(ModelEvaluator):
    """Bytes of weights + KV cache + peak activations of a ``(batch_size, seq_len)`` forward.

    Args:
        seq_len: tokens in the forward pass (and cached positions).
        batch_size: sequences at once.
        include_weights: add the parameters' bytes.
        include_cache: add the key/value cache of ``seq_len`` positions (what generation keeps).
        device: ``cpu`` (default), ``cuda``, ``cuda:N`` or ``auto``.
    """

    def __init__(self, seq_len: int = 128, batch_size: int = 1, include_weights: bool = True,
                 include_cache: bool = True, device: str = "cpu") -> None:
        self.seq_len = check_int("seq_len", seq_len, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.include_weights, self.include_cache = bool(include_weights), bool(include_cache)
        self.device = check_device("device", device)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        net = arch.arch
        if net.max_positions < self.seq_len:
            raise ValueError(f"seq_len ({self.seq_len}) is above the model's max_sequence_length ({net.max_positions})")
        device = measured_on("device", self.device)
        peak = call_releasing_memory(device, f"inference_memory of {arch.archid}", self._activations, net, device)
        total = peak
        if self.include_weights:
            total += sum(p.numel() * p.element_size() for p in net.parameters())
        if self.include_cache:
            total += sum(2 * self.batch_size * self.seq_len * b.attn.n_kv_head * b.attn.head_dim * 4 for b in net.blocks)
        return float(total)

    def _activations(self, net, device: str) -> int:
        import torch

        tokens = torch.zeros((self.batch_size, self.seq_len), dtype=torch.long)
        if device_type(device) == "cuda":
            net = copy.deepcopy(net).to(device).eval()
            tokens = tokens.to(device)
            with torch.no_grad():
                net(tokens)  # first-use workspaces are not this model's activations
            synchronize(device)
            before = torch.cuda.memory_allocated(device)
            torch.cuda.reset_peak_memory_stats(device)
            with torch.no_grad():
                net(tokens)
            synchronize(device)
            return int(torch.cuda.max_memory_allocated(device) - before)
        from torch.profiler import ProfilerActivity, profile

        was_training = net.training
        net.eval()
        try:
            with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
                net(tokens)
        finally:
            net.train(was_training)
        events = sorted((e.time_range.start, e.self_cpu_memory_usage) for e in prof.events()
                        if e.self_cpu_memory_usage)
        return int(max(itertools.accumulate(delta for _, delta in events), default=0))
