"""What the two decoders share: weight initialisation (GPT-2's normal(0, 0.02)), a tied output
head, the forward with an optional key/value cache, and the loss.

``forward(input_ids)`` returns logits ``(batch, length, vocab)``; ``forward(input_ids, past,
use_cache=True)`` returns ``(logits, presents)`` with one ``(keys, values)`` pair per layer.
``hidden(input_ids, past)`` stops before the output head, for callers that need the logits of
some positions only (a generation step needs the last one's).
"""
from __future__ import annotations

from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn


class Decoder(nn.Module):
    """Subclasses build ``self.embed`` (token embedding), ``self.blocks``, ``self.norm`` and
    implement ``embed_positions(x, start)`` (learned positions, or nothing for rotary)."""

    max_positions: int

    def tie_and_init(self) -> None:
        self.lm_head = nn.Linear(self.embed.embedding_dim, self.embed.num_embeddings, bias=False)
        self.lm_head.weight = self.embed.weight  # tied, as GPT-2 and small Llama-style models do
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation from torch's current generator (callers seed it); norms reset
        to ones. Called by seeded re-initialisation, so it covers every parameter."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
            elif module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def embed_positions(self, x: torch.Tensor, start) -> torch.Tensor:
        return x

    def hidden(self, input_ids: torch.Tensor, past: Optional[List] = None):
        """``(normed last-layer states (batch, length, d_model), presents)``."""
        start = 0 if past is None else past[0][0].shape[2]
        x = self.embed_positions(self.embed(input_ids), start)
        presents = []
        for i, block in enumerate(self.blocks):
            x, present = block(x, None if past is None else past[i])
            presents.append(present)
        return self.norm(x), presents

    def forward(self, input_ids: torch.Tensor, past: Optional[List] = None, use_cache: bool = False):
        x, presents = self.hidden(input_ids, past)
        logits = self.lm_head(x)
        return (logits, presents) if use_cache else logits


def lm_loss(logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Next-token cross-entropy in nats (``targets`` are the inputs shifted by one)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), reduction=reduction)
