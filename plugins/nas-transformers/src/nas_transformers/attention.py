"""Causal self-attention shared by both decoders: one projection for queries, keys and values,
grouped-query attention when a layer has fewer key/value heads than query heads, rotary positions
when the decoder uses them, and a key/value cache for generation.

torch's ``scaled_dot_product_attention`` does the arithmetic: it picks the fused kernel of the
device, and the TorchScript ONNX exporter knows it. A cache holds ``(keys, values)`` of shape
``(batch, kv_heads, positions, head_dim)``; new positions attend to every cached one and causally
to each other (one new position at a time is the generation step).
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

KVCache = Tuple[torch.Tensor, torch.Tensor]


class Rotary(nn.Module):
    """Rotary position embedding (RoFormer): queries and keys are rotated pairwise by an angle
    that grows with the position, so attention scores depend on relative positions. The tables
    are buffers (not parameters, not saved in a state dict)."""

    def __init__(self, head_dim: int, max_positions: int, base: float = 10000.0) -> None:
        super().__init__()
        self.head_dim, self.max_positions, self.base = head_dim, max_positions, base
        self.register_buffer("cos", torch.empty(max_positions, head_dim), persistent=False)
        self.register_buffer("sin", torch.empty(max_positions, head_dim), persistent=False)
        self.fill_tables()

    def fill_tables(self) -> None:
        """Compute the tables into the buffers (again after a model built on the meta device is
        given real memory)."""
        with torch.no_grad():
            dim = self.head_dim
            inv_freq = 1.0 / (self.base ** (torch.arange(0, dim, 2, dtype=torch.float32, device=self.cos.device) / dim))
            angles = torch.outer(torch.arange(self.max_positions, dtype=torch.float32, device=self.cos.device), inv_freq)
            self.cos.copy_(torch.cat((angles, angles), -1).cos())
            self.sin.copy_(torch.cat((angles, angles), -1).sin())

    def forward(self, x: torch.Tensor, start) -> torch.Tensor:
        length = x.shape[-2]
        cos, sin = self.cos[start:start + length].to(x.dtype), self.sin[start:start + length].to(x.dtype)
        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), -1)
        return x * cos + rotated * sin


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_head: int, n_kv_head: int, *, bias: bool, dropout: float = 0.0,
                 rotary: Optional[Rotary] = None) -> None:
        super().__init__()
        self.n_head, self.n_kv_head, self.head_dim = n_head, n_kv_head, d_model // n_head
        self.qkv = nn.Linear(d_model, (n_head + 2 * n_kv_head) * self.head_dim, bias=bias)
        self.proj = nn.Linear(d_model, d_model, bias=bias)
        self.dropout = float(dropout)
        self.rotary = rotary

    def forward(self, x: torch.Tensor, past: Optional[KVCache] = None):
        batch, length, _ = x.shape
        q, k, v = self.qkv(x).split([self.n_head * self.head_dim, self.n_kv_head * self.head_dim,
                                     self.n_kv_head * self.head_dim], dim=-1)
        q = q.view(batch, length, self.n_head, self.head_dim).transpose(1, 2)
        k = k.view(batch, length, self.n_kv_head, self.head_dim).transpose(1, 2)
        v = v.view(batch, length, self.n_kv_head, self.head_dim).transpose(1, 2)
        start = 0 if past is None else past[0].shape[2]
        if self.rotary is not None:
            q, k = self.rotary(q, start), self.rotary(k, start)
        if past is not None:
            k, v = torch.cat((past[0], k), dim=2), torch.cat((past[1], v), dim=2)
        present = (k, v)
        if self.n_kv_head != self.n_head:
            group = self.n_head // self.n_kv_head
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        mask = None
        if past is not None and length > 1:  # new positions after cached ones: causal over the whole
            total = k.shape[2]
            mask = (torch.arange(total, device=x.device)[None, :]
                    <= (torch.arange(length, device=x.device) + (total - length))[:, None])
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0,
                                           is_causal=bool(past is None and length > 1))
        return self.proj(y.transpose(1, 2).reshape(batch, length, -1)), present
