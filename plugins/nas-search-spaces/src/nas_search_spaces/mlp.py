"""Multi-layer perceptrons over feature rows (tabular data): depth, one width per layer, the
activation, dropout and normalisation are searched.

The image spaces cannot take ``(N, features)`` rows; this one can. Its input and output sizes come
from the data when the experiment leaves them out (``num_features``, ``num_classes``; one output
for regression). The archid is readable, ``W=64-32,A=relu,D=0.1,N=batch``, and holds the whole
architecture, so every move works on cleared models.
"""
from __future__ import annotations

import re
from typing import List, Optional

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel
from nas_kernel.toolbox.params import check_int
from nas_search_spaces.base import SeededSpace, require_keys
from nas_search_spaces.params import check_int_list

ACTIVATIONS = ("relu", "gelu", "tanh", "silu")
NORMS = ("none", "batch", "layer")
_ARCHID = re.compile(r"^W=(\d+(?:-\d+)*),A=([a-z]+),D=([0-9.]+),N=([a-z]+)$")


def build_mlp(widths: List[int], activation: str, dropout: float, norm: str, num_features: int, num_classes: int):
    """Linear (-norm) -activation (-dropout) per hidden layer, then a linear head."""
    from torch import nn

    act = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}[activation]
    layers: List[nn.Module] = []
    width_in = num_features
    for width in widths:
        layers.append(nn.Linear(width_in, width, bias=norm == "none"))
        if norm == "batch":
            layers.append(nn.BatchNorm1d(width))
        elif norm == "layer":
            layers.append(nn.LayerNorm(width))
        layers.append(act())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width_in = width
    layers.append(nn.Linear(width_in, num_classes))
    return nn.Sequential(*layers)


def _choice_list(name: str, values, allowed) -> List[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{name} must be a non-empty list, got {values!r}")
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"{name}: {bad[0]!r} is not one of {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def _dropout_list(values) -> List[float]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"dropout_list must be a non-empty list of rates, got {values!r}")
    rates = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= float(v) < 1:
            raise ValueError(f"dropout_list holds rates in [0, 1), got {v!r}")
        rates.append(float(v))
    return list(dict.fromkeys(rates))


class MLPSearchSpace(SeededSpace):
    """Perceptrons of ``min_layers..max_layers`` hidden layers over feature rows.

    Args:
        min_layers, max_layers: how many hidden layers.
        width_list: widths a hidden layer may have (each layer chooses its own).
        activations: activations to choose from: relu, gelu, tanh, silu.
        dropout_list: dropout rates to choose from (0 = none).
        norms: normalisation after each linear layer: none, batch, layer.
        num_features: inputs per row; taken from the data when the experiment leaves it out.
        num_classes: outputs (classes; 1 for regression); taken from the data likewise.
        seed: seeds the space's own generator.

    Encoding: ``[depth, width_1..width_max (0 past the depth), activation, dropout, norm]``
    (indices into the lists for the last three).
    """

    space_name = "mlp"

    def __init__(self, min_layers: int = 1, max_layers: int = 3, width_list: Optional[List[int]] = None,
                 activations: Optional[List[str]] = None, dropout_list: Optional[List[float]] = None,
                 norms: Optional[List[str]] = None, num_features: int = 16, num_classes: int = 2,
                 seed: int = 1) -> None:
        super().__init__(seed)
        self.min_layers = check_int("min_layers", min_layers, 0)
        self.max_layers = check_int("max_layers", max_layers, max(1, self.min_layers))
        self.width_list = check_int_list("width_list", [16, 32, 64, 128] if width_list is None else width_list)
        self.activations = _choice_list("activations", ["relu", "gelu"] if activations is None else activations,
                                        ACTIVATIONS)
        self.dropout_list = _dropout_list([0.0, 0.1] if dropout_list is None else dropout_list)
        self.norms = _choice_list("norms", ["none", "batch"] if norms is None else norms, NORMS)
        self.num_features = check_int("num_features", num_features, 1)
        self.num_classes = check_int("num_classes", num_classes, 1)

    def describe_inputs(self) -> str:
        """What the data-fit check says this space builds."""
        return f"models of feature rows of {self.num_features} features with {self.num_classes} outputs"

    # ---- archid <-> choices ------------------------------------------------------------------
    def make(self, widths: List[int], activation: str, dropout: float, norm: str,
             metadata: Optional[dict] = None) -> ArchaiModel:
        """The model with these choices (validated against this space)."""
        widths = [int(w) for w in widths]
        if not self.min_layers <= len(widths) <= self.max_layers:
            raise ValueError(f"{len(widths)} hidden layers outside [{self.min_layers}, {self.max_layers}]")
        if any(w not in self.width_list for w in widths) or activation not in self.activations \
                or float(dropout) not in self.dropout_list or norm not in self.norms:
            raise ValueError(f"widths {widths}, activation {activation!r}, dropout {dropout}, norm {norm!r}: not all "
                             "in this space")
        archid = f"W={'-'.join(map(str, widths)) or '0'},A={activation},D={float(dropout):g},N={norm}"
        args = (widths, activation, float(dropout), norm, self.num_features, self.num_classes)
        return ArchaiModel(archid=archid, metadata=metadata, builder=lambda: build_mlp(*args))

    def choices(self, model: ArchaiModel):
        """``(widths, activation, dropout, norm)`` read from the archid."""
        match = _ARCHID.match(model.archid)
        if not match:
            raise ValueError(f"{model.archid!r} is not an mlp archid (expected like 'W=64-32,A=relu,D=0.1,N=batch')")
        widths = [int(w) for w in match.group(1).split("-") if w != "0"]
        return widths, match.group(2), float(match.group(3)), match.group(4)

    # ---- sampling and moves ------------------------------------------------------------------
    @overrides
    def random_sample(self):
        depth = self.rng.randint(self.min_layers, self.max_layers)
        return self.make([self.rng.choice(self.width_list) for _ in range(depth)], self.rng.choice(self.activations),
                         self.rng.choice(self.dropout_list), self.rng.choice(self.norms))

    @overrides
    def mutate(self, arch):
        """Change one thing: add or drop the last layer, one layer's width, the activation, the
        dropout rate or the normalisation."""
        widths, act, drop, norm = self.choices(arch)
        moves = []
        if len(widths) < self.max_layers:
            moves.append("grow")
        if len(widths) > self.min_layers:
            moves.append("shrink")
        if widths and len(self.width_list) > 1:
            moves.append("width")
        moves += [m for m, options in (("act", self.activations), ("drop", self.dropout_list), ("norm", self.norms))
                  if len(options) > 1]
        if moves:
            move = self.rng.choice(moves)
            if move == "grow":
                widths = widths + [self.rng.choice(self.width_list)]
            elif move == "shrink":
                widths = widths[:-1]
            elif move == "width":
                i = self.rng.randrange(len(widths))
                widths = widths[:i] + [self.rng.choice([w for w in self.width_list if w != widths[i]])] + widths[i + 1:]
            elif move == "act":
                act = self.rng.choice([a for a in self.activations if a != act])
            elif move == "drop":
                drop = self.rng.choice([d for d in self.dropout_list if d != drop])
            else:
                norm = self.rng.choice([n for n in self.norms if n != norm])
        return self.make(widths, act, drop, norm, {"parent": arch.archid})

    @overrides
    def crossover(self, arch_list):
        """Depth from one parent; each layer's width and each other choice from a parent drawn at
        random (one that has that layer, for a width)."""
        parents = [self.choices(m) for m in arch_list]
        depth = len(self.rng.choice(parents)[0])
        widths = []
        for i in range(depth):
            having = [p[0][i] for p in parents if len(p[0]) > i]
            widths.append(self.rng.choice(having))
        picked = [self.rng.choice(parents)[k] for k in (1, 2, 3)]
        return self.make(widths, *picked, {"parents": [m.archid for m in arch_list]})

    @overrides
    def encode(self, arch):
        widths, act, drop, norm = self.choices(arch)
        padded = widths + [0] * (self.max_layers - len(widths))
        return np.array([len(widths), *padded, self.activations.index(act), self.dropout_list.index(drop),
                         self.norms.index(norm)], dtype=np.float64)

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def describe(self, model):
        widths, act, drop, norm = self.choices(model)
        return {"widths": widths, "activation": act, "dropout": drop, "norm": norm}

    @overrides
    def from_description(self, description):
        d = require_keys(description, {"widths", "activation", "dropout", "norm"}, "mlp architecture")
        if not isinstance(d["widths"], list):
            raise ValueError(f"mlp architecture: widths must be a list, got {d['widths']!r}")
        return self.make([check_int("widths", w, 1) for w in d["widths"]], d["activation"], d["dropout"], d["norm"])
