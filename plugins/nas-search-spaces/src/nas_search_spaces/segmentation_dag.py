"""Dense-prediction networks as small DAGs of conv blocks working at different resolutions
(U-Net-like when a block reads a finer node after coarser ones).

Node 0 is a 3x3 conv stem at full resolution. Node i (1..L) reads one earlier node (its
``input``) and optionally adds a second earlier node (``skip``), both resized to the node's own
resolution (``d`` = downsample factor, a power of two); a block (conv or separable conv) maps
to the node's channels. The last node is upsampled to the image size and a 1x1 conv gives
``(N, nb_classes, H, W)`` logits.

archid: nodes joined by ``,``, each ``<op>.d<factor>.i<input>[+<skip>]``, e.g.
``conv3x3.d2.i0,sep_conv5x5.d1.i1+0`` — the whole graph, so cleared models can be mutated.
"""
from __future__ import annotations

import math
import re
from typing import List, NamedTuple, Optional, Sequence, Union

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel
from nas_kernel.toolbox.params import check_int, check_number
from nas_search_spaces.base import SeededSpace, require_keys
from nas_search_spaces.params import check_size

DEFAULT_OPS = ["conv3x3", "conv5x5", "conv7x7", "sep_conv3x3", "sep_conv5x5"]
_OP = re.compile(r"^(sep_conv|conv)(\d+)x\2$")
_NODE = re.compile(r"^([a-z_0-9]+)\.d(\d+)\.i(\d+)(?:\+(\d+))?$")
MAX_TRIES = 50


class Node(NamedTuple):
    op: str
    factor: int  # downsample factor relative to the image (1, 2, 4, ...)
    input: int
    skip: Optional[int] = None

    def text(self) -> str:
        return f"{self.op}.d{self.factor}.i{self.input}" + ("" if self.skip is None else f"+{self.skip}")


def parse_op(name: str):
    match = _OP.match(name) if isinstance(name, str) else None
    if not match or int(match.group(2)) % 2 == 0:
        raise ValueError(f"op {name!r} must be conv<k>x<k> or sep_conv<k>x<k> with odd k")
    return match.group(1), int(match.group(2))


def build_segmentation_net(nodes: Sequence[Node], nb_classes: int, img_size, in_channels: int,
                           base_channels: int):
    """The torch module of a DAG."""
    from nas_search_spaces.segmentation_network import SegmentationDag

    spec = [parse_op(n.op) + (n.factor, n.input, n.skip) for n in nodes]
    return SegmentationDag(spec, nb_classes, img_size, in_channels, base_channels)


class SegmentationDagSearchSpace(SeededSpace):
    """DAGs of conv blocks for segmentation.

    Args:
        nb_classes: output channels (classes per pixel).
        img_size: input size, an int or [height, width].
        in_channels: input image channels.
        min_layers, max_layers: number of blocks after the stem.
        max_downsample_factor: coarsest resolution, a power of two.
        skip_connections: allow a second (added) input per block.
        base_channels: channels at full resolution (x2 per halving, up to x4).
        ops: block ops, ``conv<k>x<k>`` or ``sep_conv<k>x<k>`` (odd k).
        skip_prob: chance a sampled block gets a skip input.
        seed: seeds the space's own generator.

    Encoding: per block slot ``[present, one-hot op, log2 factor, input, has_skip, skip]`` (fixed
    length ``max_layers * (len(ops) + 5)``). Mutations record ``metadata["parent"]``.
    """

    space_name = "segmentation_dag"

    def __init__(self, nb_classes: int = 2, img_size: Union[int, List[int]] = 32, in_channels: int = 3,
                 min_layers: int = 1, max_layers: int = 6, max_downsample_factor: int = 8,
                 skip_connections: bool = True, base_channels: int = 8, ops: Optional[List[str]] = None,
                 skip_prob: float = 0.3, seed: int = 1) -> None:
        super().__init__(seed)
        self.nb_classes = check_int("nb_classes", nb_classes, 1)
        self.img_size = check_size("img_size", img_size)
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.min_layers = check_int("min_layers", min_layers, 1)
        self.max_layers = check_int("max_layers", max_layers, self.min_layers)
        factor = self.max_downsample_factor = check_int("max_downsample_factor", max_downsample_factor, 1)
        if factor & (factor - 1):
            raise ValueError(f"max_downsample_factor must be a power of two, got {factor}")
        self.factors = [2 ** k for k in range(int(math.log2(factor)) + 1)]
        self.skip_connections = bool(skip_connections)
        self.base_channels = check_int("base_channels", base_channels, 1)
        self.ops = list(DEFAULT_OPS if ops is None else ops)
        if not self.ops or len(set(self.ops)) != len(self.ops):
            raise ValueError(f"ops must be a non-empty list of distinct names, got {ops!r}")
        for op in self.ops:
            parse_op(op)
        self.skip_prob = check_number("skip_prob", skip_prob, 0.0, 1.0)

    # ---- archid <-> graph --------------------------------------------------------------------
    def make(self, nodes: Sequence[Node], metadata: Optional[dict] = None) -> ArchaiModel:
        nodes = self.check_nodes(nodes)
        archid = ",".join(n.text() for n in nodes)
        args = (nodes, self.nb_classes, self.img_size, self.in_channels, self.base_channels)
        return ArchaiModel(archid=archid, metadata=metadata, builder=lambda: build_segmentation_net(*args))

    def check_nodes(self, nodes: Sequence[Node]) -> List[Node]:
        nodes = [Node(*n) for n in nodes]
        if not self.min_layers <= len(nodes) <= self.max_layers:
            raise ValueError(f"{len(nodes)} blocks outside [{self.min_layers}, {self.max_layers}]")
        for i, n in enumerate(nodes, start=1):
            if n.op not in self.ops or n.factor not in self.factors or not 0 <= n.input < i:
                raise ValueError(f"block {i} {n.text()!r} is not valid in this space")
            if n.skip is not None and (not self.skip_connections or not 0 <= n.skip < i or n.skip == n.input):
                raise ValueError(f"block {i} {n.text()!r}: invalid skip input")
        return nodes

    def nodes(self, model: ArchaiModel) -> List[Node]:
        found = []
        for part in model.archid.split(","):
            match = _NODE.match(part)
            if not match:
                raise ValueError(f"{model.archid!r} is not a segmentation_dag archid (bad block {part!r})")
            op, factor, source, skip = match.groups()
            found.append(Node(op, int(factor), int(source), None if skip is None else int(skip)))
        return self.check_nodes(found)

    # ---- sampling and moves ------------------------------------------------------------------
    def _random_node(self, i: int) -> Node:
        source = i - 1 if self.rng.random() < 0.5 else self.rng.randrange(i)
        skip = None
        if self.skip_connections and i >= 2 and self.rng.random() < self.skip_prob:
            skip = self.rng.choice([j for j in range(i) if j != source])
        return Node(self.rng.choice(self.ops), self.rng.choice(self.factors), source, skip)

    @overrides
    def random_sample(self):
        count = self.rng.randint(self.min_layers, self.max_layers)
        return self.make([self._random_node(i) for i in range(1, count + 1)])

    def _move(self, nodes: List[Node]) -> List[Node]:
        nodes = list(nodes)
        moves = ["op", "factor", "input"] + (["skip"] if self.skip_connections else [])
        moves += ["add"] if len(nodes) < self.max_layers else []
        moves += ["remove"] if len(nodes) > self.min_layers else []
        move = self.rng.choice(moves)
        if move == "add":
            return nodes + [self._random_node(len(nodes) + 1)]
        if move == "remove":
            return nodes[:-1]
        k = self.rng.randrange(len(nodes))
        node, i = nodes[k], k + 1
        if move == "op":
            node = node._replace(op=self.rng.choice(self.ops))
        elif move == "factor":
            node = node._replace(factor=self.rng.choice(self.factors))
        elif move == "input":
            node = node._replace(input=self.rng.randrange(i))
            if node.skip == node.input:
                node = node._replace(skip=None)
        else:
            options = [None] + [j for j in range(i) if j != node.input]
            node = node._replace(skip=self.rng.choice(options))
        nodes[k] = node
        return nodes

    @overrides
    def mutate(self, arch):
        """One move: change a block's op, resolution, input or skip, add or remove the last block."""
        parent = self.nodes(arch)
        child = parent
        for _ in range(MAX_TRIES):
            child = self._move(parent)
            if child != parent:
                break
        return self.make(child, {"parent": arch.archid})

    @overrides
    def crossover(self, arch_list):
        """Length from a random parent; each block from a random parent that has it."""
        parents = [self.nodes(m) for m in arch_list]
        length = len(self.rng.choice(parents))
        child = [self.rng.choice([p for p in parents if len(p) > i])[i] for i in range(length)]
        return self.make(child, {"parents": [m.archid for m in arch_list]})

    @overrides
    def encode(self, arch):
        width = len(self.ops) + 5
        vector = np.zeros((self.max_layers, width), dtype=np.float64)
        for k, n in enumerate(self.nodes(arch)):
            vector[k, 0] = 1.0
            vector[k, 1 + self.ops.index(n.op)] = 1.0
            vector[k, len(self.ops) + 1] = math.log2(n.factor)
            vector[k, len(self.ops) + 2] = n.input
            vector[k, len(self.ops) + 3] = float(n.skip is not None)
            vector[k, len(self.ops) + 4] = -1.0 if n.skip is None else n.skip
        return vector.reshape(-1)

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def describe(self, model):
        return {"nodes": [list(n) for n in self.nodes(model)]}

    @overrides
    def from_description(self, description):
        d = require_keys(description, {"nodes"}, "segmentation_dag architecture")
        if not isinstance(d["nodes"], list) or not all(isinstance(n, list) and len(n) == 4 for n in d["nodes"]):
            raise ValueError("segmentation_dag architecture: nodes must be [op, factor, input, skip] lists")
        for n in d["nodes"]:
            if not isinstance(n[0], str) or any(v is not None and (isinstance(v, bool) or not isinstance(v, int))
                                                for v in n[1:]):
                raise ValueError(f"segmentation_dag architecture: bad node {n!r}")
        return self.make([Node(*n) for n in d["nodes"]])
