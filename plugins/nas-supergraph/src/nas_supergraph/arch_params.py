"""Architecture weights, kept apart from the regular weights.

An ``ArchParams`` holds one row of logits (alphas) per searchable edge. Cells of the same type
share one ``ArchParams`` (DARTS shares alphas across all normal cells and across all reduction
cells), so mixed ops refer to it instead of owning it. ``ArchModule`` gives a model the two
parameter groups a bilevel optimiser needs.
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional

import torch
from torch import nn


class ArchParams(nn.Module):
    """``alphas``: a (num_edges, num_ops) parameter, initialised near zero (near-uniform softmax)."""

    def __init__(self, num_edges: int, num_ops: int, init_std: float = 1e-3,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__()
        if num_edges < 1 or num_ops < 1:
            raise ValueError(f"ArchParams needs num_edges >= 1 and num_ops >= 1, got {num_edges}, {num_ops}")
        self.alphas = nn.Parameter(init_std * torch.randn(num_edges, num_ops, generator=generator))

    @property
    def num_edges(self) -> int:
        return self.alphas.shape[0]

    @property
    def num_ops(self) -> int:
        return self.alphas.shape[1]


class ArchModule(nn.Module):
    """A module whose parameters split into architecture weights and regular weights."""

    def arch_params_modules(self) -> List[ArchParams]:
        """Every distinct ``ArchParams`` registered anywhere below this module."""
        seen: Dict[int, ArchParams] = {}
        for module in self.modules():
            if isinstance(module, ArchParams):
                seen.setdefault(id(module), module)
        return list(seen.values())

    def arch_parameters(self) -> List[nn.Parameter]:
        return [p for ap in self.arch_params_modules() for p in ap.parameters()]

    def weights(self) -> Iterator[nn.Parameter]:
        """The regular (non-architecture) parameters."""
        arch = {id(p) for p in self.arch_parameters()}
        return (p for p in self.parameters() if id(p) not in arch)
