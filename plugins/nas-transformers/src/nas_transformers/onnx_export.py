"""ONNX export of a ``transformer_flex`` decoder, with or without a key/value cache.

The TorchScript-based exporter (``dynamo=False``) is used: it needs no onnxscript and exports a
small decoder in well under a second. Without a cache the graph is ``input_ids -> logits``; with
one, ``input_ids, past_key_i, past_value_i... -> logits, present_key_i, present_value_i...``, each
cache tensor ``(batch, kv_heads, positions, head_dim)`` with dynamic batch and positions (zero
cached positions is a valid input: the prompt step).
"""
from __future__ import annotations

import warnings
from typing import Dict, List

import numpy as np
import torch
from torch import nn

OPSET = 17


class _WithCache(nn.Module):
    """The decoder with its cache as flat inputs and outputs (what an ONNX graph can carry)."""

    def __init__(self, net) -> None:
        super().__init__()
        self.net = net

    def forward(self, input_ids, *flat_past):
        past = [(flat_past[i], flat_past[i + 1]) for i in range(0, len(flat_past), 2)]
        logits, presents = self.net(input_ids, past, use_cache=True)
        return (logits, *[t for pair in presents for t in pair])


def cache_shapes(net, batch: int, positions: int) -> List[tuple]:
    """Shapes of the cache inputs, keys and values of each layer."""
    return [(batch, block.attn.n_kv_head, positions, block.attn.head_dim) for block in net.blocks for _ in (0, 1)]


def export(net, path: str, use_past: bool, opset: int = OPSET) -> str:
    net = net.eval()
    names = [f"past_{kind}_{i}" for i in range(len(net.blocks)) for kind in ("key", "value")]
    outputs = ["logits"] + [n.replace("past", "present") for n in names] if use_past else ["logits"]
    example = torch.zeros((1, 2), dtype=torch.long)
    axes: Dict[str, Dict[int, str]] = {"input_ids": {0: "batch", 1: "length"}, "logits": {0: "batch", 1: "length"}}
    if use_past:
        past = tuple(torch.zeros(shape) for shape in cache_shapes(net, 1, 1))
        for name in names:
            axes[name] = {0: "batch", 2: "past_length"}
            axes[name.replace("past", "present")] = {0: "batch", 2: "total_length"}
        module, args, inputs = _WithCache(net), (example, *past), ["input_ids"] + names
    else:
        module, args, inputs = net, (example,), ["input_ids"]
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        # no constant folding: it would store the tied output head a second time (transposed), which
        # for a 50257-token vocabulary is most of the file, and it takes longer
        torch.onnx.export(module, args, path, dynamo=False, opset_version=opset, input_names=inputs,
                          output_names=outputs, dynamic_axes=axes, do_constant_folding=False)
    return path


def dummy_inputs(net, batch: int, length: int, past_length: int, use_past: bool, vocab: int, seed: int = 0):
    """Inputs of the exported graph as numpy arrays (random token ids, zero cache)."""
    rng = np.random.default_rng(seed)
    feed = {"input_ids": rng.integers(0, vocab, size=(batch, length), dtype=np.int64)}
    if use_past:
        shapes = cache_shapes(net, batch, past_length)
        for i, shape in enumerate(shapes):
            feed[f"past_{'key' if i % 2 == 0 else 'value'}_{i // 2}"] = np.zeros(shape, dtype=np.float32)
    return feed
