"""The GPT-2 decoder in plain PyTorch: pre-norm blocks, learned positions, a GELU MLP and a tied
output head, layer widths per layer as the search space chose them.

Its parameters are, by construction, those of Hugging Face's ``GPT2LMHeadModel`` for the same
configuration (``nas_transformers.arch_config.gpt2_param_count`` states the formula).
"""
from __future__ import annotations

import torch
from torch import nn

from nas_transformers.attention import CausalSelfAttention
from nas_transformers.decoder import Decoder


class GPT2Block(nn.Module):
    def __init__(self, d_model: int, n_head: int, d_inner: int, dropout: float, dropatt: float) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model, eps=1e-5)
        self.attn = CausalSelfAttention(d_model, n_head, n_head, bias=True, dropout=dropatt)
        self.ln_2 = nn.LayerNorm(d_model, eps=1e-5)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_inner), nn.GELU(approximate="tanh"),
                                 nn.Linear(d_inner, d_model), nn.Dropout(dropout))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, past=None):
        attended, present = self.attn(self.ln_1(x), past)
        x = x + self.drop(attended)
        return x + self.mlp(self.ln_2(x)), present


class GPT2Flex(Decoder):
    def __init__(self, config: dict) -> None:
        super().__init__()
        d, n = config["d_model"], config["n_layer"]
        self.max_positions = config["max_sequence_length"]
        self.embed = nn.Embedding(config["vocab_size"], d)
        self.wpe = nn.Embedding(self.max_positions, d)
        self.drop = nn.Dropout(config.get("dropout", 0.0))
        self.blocks = nn.ModuleList(
            GPT2Block(d, config["n_head"][i], config["d_inner"][i], config.get("dropout", 0.0), config["dropatt"])
            for i in range(n))
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.tie_and_init()

    def embed_positions(self, x: torch.Tensor, start) -> torch.Tensor:
        positions = torch.arange(x.shape[1], device=x.device) + start
        return self.drop(x + self.wpe(positions))
