"""``generation_latency``: how long a decoder takes per generated token, with its key/value cache,
or for one forward pass over a given length (``mode: forward``).

Generation is timed after the prompt has gone through once (the prefill is not a per-token
cost): ``new_tokens`` greedy steps, each one token attending to the cache; the figure is the
median over ``num_samples`` runs of their total divided by ``new_tokens``, in milliseconds. On a
GPU, CUDA events time the work (``nas_kernel.toolbox.devices.timed``), not the kernel launches.
"""
from __future__ import annotations

import copy
import statistics
from typing import Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import call_releasing_memory, check_device, measured_on, timed
from nas_kernel.toolbox.params import check_choice, check_int
from nas_transformers.threads import check_thread_count, pinned_threads

MODES = ("generate", "forward")


class GenerationLatency(ModelEvaluator):
    """Milliseconds per generated token (``generate``) or per forward pass (``forward``).

    Args:
        mode: ``generate`` (KV-cached decoding after a prompt) or ``forward`` (one pass over
            ``seq_len`` tokens, no cache).
        prompt_length: prompt tokens before generation starts.
        new_tokens: tokens generated per timed run.
        seq_len: the length of ``forward`` mode.
        batch_size: sequences decoded at once.
        num_warmups, num_samples: untimed runs, then timed runs (the median is returned).
        device: ``cpu`` (default), ``cuda``, ``cuda:N`` or ``auto``; a copy of the model is
            timed there.
        torch_threads: intra-op threads while timing (None keeps torch's).
        seed: the random prompt.
    """

    def __init__(self, mode: str = "generate", prompt_length: int = 32, new_tokens: int = 16, seq_len: int = 128,
                 batch_size: int = 1, num_warmups: int = 1, num_samples: int = 3, device: str = "cpu",
                 torch_threads: Optional[int] = 1, seed: int = 0) -> None:
        self.mode = check_choice("mode", mode, MODES)
        self.prompt_length = check_int("prompt_length", prompt_length, 1)
        self.new_tokens = check_int("new_tokens", new_tokens, 1)
        self.seq_len = check_int("seq_len", seq_len, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.num_warmups = check_int("num_warmups", num_warmups, 0)
        self.num_samples = check_int("num_samples", num_samples, 1)
        self.device = check_device("device", device)
        self.torch_threads = check_thread_count("torch_threads", torch_threads)
        self.seed = int(seed)

    def length_needed(self) -> int:
        return self.prompt_length + self.new_tokens if self.mode == "generate" else self.seq_len

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        if arch.arch.max_positions < self.length_needed():
            key = "prompt_length + new_tokens" if self.mode == "generate" else "seq_len"
            raise ValueError(f"{key} ({self.length_needed()}) is above the model's max_sequence_length "
                             f"({arch.arch.max_positions})")
        device = measured_on("device", self.device)
        with pinned_threads(self.torch_threads):
            return float(call_releasing_memory(device, f"generation_latency of {arch.archid}", self._measure,
                                               arch.arch, device))

    def _measure(self, net, device: str) -> float:
        import torch

        net = copy.deepcopy(net).to(device).eval()
        vocab = net.embed.num_embeddings
        gen = torch.Generator().manual_seed(self.seed)
        length = self.prompt_length if self.mode == "generate" else self.seq_len
        tokens = torch.randint(0, vocab, (self.batch_size, length), generator=gen).to(device)

        def run():
            with torch.no_grad():
                if self.mode == "forward":
                    net(tokens)
                    return 0.0
                logits, past = net(tokens, use_cache=True)
                nxt = logits[:, -1:].argmax(-1)

                def decode():
                    nonlocal nxt, past
                    for _ in range(self.new_tokens):
                        logits, past = net(nxt, past, use_cache=True)
                        nxt = logits[:, -1:].argmax(-1)

                return timed(device, decode)

        for _ in range(self.num_warmups):
            run()
        if self.mode == "forward":
            seconds = [timed(device, run) for _ in range(self.num_samples)]
            return statistics.median(seconds) * 1000.0
        seconds = [run() for _ in range(self.num_samples)]
        return statistics.median(seconds) * 1000.0 / self.new_tokens
