"""An MLP architecture as plain data: activation plus hidden-layer widths, and its archid.

The archid is the whole description (``mlp-relu-32-16``), so every search-space method can work
from the archid alone, after the searcher has cleared the model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

ACTIVATIONS = ("relu", "tanh", "gelu")


@dataclass(frozen=True)
class MLPArch:
    activation: str
    widths: Tuple[int, ...]  # one per hidden layer, input side first

    @property
    def archid(self) -> str:
        return "-".join(["mlp", self.activation, *map(str, self.widths)])

    @classmethod
    def from_archid(cls, archid: str) -> "MLPArch":
        parts = archid.split("-")
        if len(parts) < 3 or parts[0] != "mlp" or not all(p.isdigit() for p in parts[2:]):
            raise ValueError(f"{archid!r} is not an MLP archid (expected 'mlp-<activation>-<width>-...')")
        return cls(parts[1], tuple(int(p) for p in parts[2:]))
