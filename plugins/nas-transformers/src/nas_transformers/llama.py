"""A modern decoder (Llama-style): RMSNorm, rotary positions, a SwiGLU MLP and grouped-query
attention whose number of key/value heads is searched per layer; no biases, tied output head."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nas_transformers.attention import CausalSelfAttention, Rotary
from nas_transformers.decoder import Decoder


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def reset_parameters(self) -> None:
        nn.init.ones_(self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return scaled.type_as(x) * self.weight


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_inner: int) -> None:
        super().__init__()
        self.gate = nn.Linear(d_model, d_inner, bias=False)
        self.up = nn.Linear(d_model, d_inner, bias=False)
        self.down = nn.Linear(d_inner, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.silu(self.gate(x)) * self.up(x))


class LlamaBlock(nn.Module):
    def __init__(self, d_model: int, n_head: int, n_kv_head: int, d_inner: int, dropatt: float,
                 max_positions: int) -> None:
        super().__init__()
        self.attn_norm = RMSNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head, n_kv_head, bias=False, dropout=dropatt,
                                        rotary=Rotary(d_model // n_head, max_positions))
        self.mlp_norm = RMSNorm(d_model)
        self.mlp = SwiGLU(d_model, d_inner)

    def forward(self, x, past=None):
        attended, present = self.attn(self.attn_norm(x), past)
        x = x + attended
        return x + self.mlp(self.mlp_norm(x)), present


class LlamaFlex(Decoder):
    def __init__(self, config: dict) -> None:
        super().__init__()
        d = config["d_model"]
        self.max_positions = config["max_sequence_length"]
        self.embed = nn.Embedding(config["vocab_size"], d)
        self.blocks = nn.ModuleList(
            LlamaBlock(d, config["n_head"][i], config["n_kv_head"][i], config["d_inner"][i], config["dropatt"],
                       self.max_positions)
            for i in range(config["n_layer"]))
        self.norm = RMSNorm(d)
        self.tie_and_init()
