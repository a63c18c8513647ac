"""HiveNAS's chain encoding as a search space: ``depth`` layers between fixed input and output
stems, written ``input|op|sc_d|op|...|output``. A marker ``sc_d`` before a layer adds that
point's tensor (1x1-projected) to the output of the ``d``-th op from there. Samples insert a
marker before each layer with probability ``skip_rate`` (distance uniform over what is left);
``mutate`` is HiveNAS's one-component neighbour: one op becomes another op, or one marker
changes distance (0 deletes it); neighbours never add markers.
"""
from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel
from nas_kernel.toolbox.params import check_int, check_number
from nas_search_spaces.base import SeededSpace, require_keys
from nas_search_spaces.chain_ops import check_op

DEFAULT_OPS = ["sep5x5_128", "sep3x3_128", "sep5x5_64", "sep3x3_64", "sep5x5_32", "sep3x3_32",
               "max_pool3x3", "avg_pool3x3", "dropout", "identity"]
_MARKER = re.compile(r"^sc_(\d+)$")
Layers = List[Tuple[int, str]]


class HiveNasChainSearchSpace(SeededSpace):
    """Chains of ``depth`` layer ops with optional stochastic skip connections.

    Args:
        depth: number of op layers.
        ops: op names (see ``nas_search_spaces.chain_ops``); default HiveNAS's shipped list of
            separable convs at 128/64/32 filters, 3x3 max/avg pooling, dropout and identity.
        skip_rate: probability of a skip marker before each sampled layer (0 = off, HiveNAS's default).
        in_channels, num_classes: the data (defaults: 1-channel images, 10 classes).
        stem_channels: width of the input stem.
        seed: seeds the space's own generator.

    archid: the chain string. Encoding: one-hot op per layer, then each layer's skip distance
    (``depth * (len(ops) + 1)`` numbers).
    """

    space_name = "hivenas_chain"

    def __init__(self, depth: int = 5, ops: Optional[List[str]] = None, skip_rate: float = 0.0,
                 in_channels: int = 1, num_classes: int = 10, stem_channels: int = 32, seed: int = 1) -> None:
        super().__init__(seed)
        self.depth = check_int("depth", depth, 1)
        self.ops = [check_op(op) for op in (DEFAULT_OPS if ops is None else ops)]
        if len(self.ops) < 2 or len(set(self.ops)) != len(self.ops):
            raise ValueError(f"ops must hold at least 2 distinct op names, got {ops!r}")
        self.skip_rate = check_number("skip_rate", skip_rate, 0.0, 1.0)
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.num_classes = check_int("num_classes", num_classes, 2)
        self.stem_channels = check_int("stem_channels", stem_channels, 1)

    # ---- chain string <-> layers -------------------------------------------------------------
    @staticmethod
    def chain_string(layers: Sequence[Tuple[int, str]]) -> str:
        tokens = ["input"]
        for d, op in layers:
            tokens += ([f"sc_{d}"] if d else []) + [op]
        return "|".join(tokens + ["output"])

    def layers(self, model: ArchaiModel) -> Layers:
        """``[(skip distance, op)]`` parsed from the archid."""
        tokens = model.archid.split("|")
        if len(tokens) < 3 or tokens[0] != "input" or tokens[-1] != "output":
            raise ValueError(f"{model.archid!r} is not a chain string 'input|...|output'")
        layers: Layers = []
        pending = 0
        for token in tokens[1:-1]:
            marker = _MARKER.match(token)
            if marker:
                if pending:
                    raise ValueError(f"{model.archid!r}: two skip markers in a row")
                pending = int(marker.group(1))
                if pending == 0:
                    raise ValueError(f"{model.archid!r}: sc_0 is not a marker")
            else:
                layers.append((pending, token))
                pending = 0
        if pending:
            raise ValueError(f"{model.archid!r}: skip marker before the output stem")
        return self.check_layers(layers, model.archid)

    def check_layers(self, layers: Layers, where: str = "chain") -> Layers:
        if len(layers) != self.depth:
            raise ValueError(f"{where}: {len(layers)} op layers, this space has depth {self.depth}")
        for l, (d, op) in enumerate(layers):
            if op not in self.ops:
                raise ValueError(f"{where}: op {op!r} is not in this space's ops")
            if not 0 <= d <= self.depth - l:
                raise ValueError(f"{where}: sc_{d} before layer {l} reaches past the last layer")
        return [(int(d), op) for d, op in layers]

    def make(self, layers: Layers, metadata: Optional[dict] = None) -> ArchaiModel:
        layers = self.check_layers(layers)
        args = (layers, self.in_channels, self.num_classes, self.stem_channels)

        def build():
            from nas_search_spaces.chain_network import ChainNetwork

            return ChainNetwork(*args)

        return ArchaiModel(archid=self.chain_string(layers), metadata=metadata, builder=build)

    # ---- sampling and moves ------------------------------------------------------------------
    @overrides
    def random_sample(self):
        layers: Layers = []
        for l in range(self.depth):
            d = self.rng.randint(1, self.depth - l) if self.skip_rate and self.rng.random() < self.skip_rate else 0
            layers.append((d, self.rng.choice(self.ops)))
        return self.make(layers)

    @overrides
    def mutate(self, arch):
        layers = self.layers(arch)
        components = [("op", l) for l in range(self.depth)] + [("sc", l) for l, (d, _) in enumerate(layers) if d]
        kind, l = self.rng.choice(components)
        d, op = layers[l]
        if kind == "op":
            layers[l] = (d, self.rng.choice([o for o in self.ops if o != op]))
        else:
            layers[l] = (self.rng.choice([v for v in range(self.depth - l + 1) if v != d]), op)
        return self.make(layers, {"parent": arch.archid})

    @overrides
    def crossover(self, arch_list):
        """Each layer (with its marker) from a parent drawn at random."""
        parents = [self.layers(m) for m in arch_list]
        return self.make([self.rng.choice(parents)[l] for l in range(self.depth)],
                         {"parents": [m.archid for m in arch_list]})

    @overrides
    def encode(self, arch):
        layers = self.layers(arch)
        onehot = np.zeros((self.depth, len(self.ops)), dtype=np.float64)
        for l, (_, op) in enumerate(layers):
            onehot[l, self.ops.index(op)] = 1.0
        return np.concatenate([onehot.reshape(-1), np.array([d for d, _ in layers], dtype=np.float64)])

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def describe(self, model):
        return {"chain": model.archid}

    @overrides
    def from_description(self, description):
        d = require_keys(description, {"chain"}, "hivenas_chain architecture")
        if not isinstance(d["chain"], str):
            raise ValueError("hivenas_chain architecture: chain must be text")
        return self.make(self.layers(ArchaiModel(archid=d["chain"])))
