"""Encodings of NAS-Bench-201 cells for predictors, by name.

* ``one_hot`` (the space's ``encode``): the op of each of the 6 edges, one-hot (30 numbers).
* ``adjacency``: the cell as the DAG that computes: an edge whose op is ``none``, or that lies
  on no input-to-output path of non-``none`` edges, contributes nothing, so it is encoded as
  absent - 6 live-edge bits, then the one-hot op of each live edge (36 numbers). Cells that
  compute the same function through dead edges encode alike.
* ``path``: how many input-to-output paths carry each sequence of ops (the path encoding of
  White, Neiswanger & Savani, "BANANAS", AAAI 2021): paths through ``none`` carry nothing and
  are left out, leaving 4 + 16 + 64 = 84 op sequences of length 1 to 3.
* ``graph``: the live cell with its ops on nodes (input, one node per edge, output: 8 nodes, as
  the graph predictors of Wen et al., "Neural Predictor for NAS", ECCV 2020 read NAS-Bench-201),
  in the layout of ``nas_kernel.toolbox.graph_encoding``: node features are one-hot over input,
  output and the four live ops; a dead edge's node has no features and no links (114 numbers).

A name may add features after ``+``:

* ``cell_stats``: 13 summary numbers of the live cell, computed from its ops: the number of live
  input-to-output paths; the most and fewest convolutions on a live path, and their sum over the
  live paths; the most and fewest 3x3 convolutions on a live path; the largest and smallest
  kernel area along a live path (9 per 3x3 convolution, 1 per 1x1); how many live edges carry
  each of the four ops; and whether the input reaches the output through one skip edge. Boosted
  trees fitted on few hundred architectures cannot assemble such path-level facts from the
  per-edge bits alone; given them, they rank far better (tests/benchmarks/predictors.py).
* table features: ``synflow`` (log(1 + synflow), the project's zero-cost value of the shipped
  table), ``params`` and ``flops`` (of the space's base dataset), as NAS-Bench-Suite-Zero's
  augmented predictors do. They are a table lookup here, standing for a proxy evaluation or a
  cost count that a search on a trainable space would pay for.

E.g. ``adjacency+cell_stats+params+flops``, ``path+synflow+params`` or ``graph+cell_stats``.
"""
from __future__ import annotations

from itertools import product
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from nas_kernel.toolbox.graph_encoding import flatten_graph
from nas_search_spaces.nb201.cells import EDGES, OP_NAMES

LIVE_OPS = tuple(op for op in OP_NAMES if op != "none")
#: input-to-output paths as edge positions (0->3; 0->1->3; 0->2->3; 0->1->2->3)
PATHS: Tuple[Tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (0, 2, 5))
_PATH_SLOT: Dict[Tuple[str, ...], int] = {
    seq: i for i, seq in enumerate(seq for n in (1, 2, 3) for seq in product(LIVE_OPS, repeat=n))}


def one_hot(ops: Sequence[str]) -> np.ndarray:
    vector = np.zeros((len(EDGES), len(OP_NAMES)), dtype=np.float64)
    for edge, op in enumerate(ops):
        vector[edge, OP_NAMES.index(op)] = 1.0
    return vector.reshape(-1)


def live_edges(ops: Sequence[str]) -> List[bool]:
    """Whether each edge lies on an input-to-output path of non-``none`` edges."""
    live = [False] * len(EDGES)
    for path in PATHS:
        if all(ops[e] != "none" for e in path):
            for e in path:
                live[e] = True
    return live


def adjacency(ops: Sequence[str]) -> np.ndarray:
    live = live_edges(ops)
    ops_part = np.zeros((len(EDGES), len(OP_NAMES)), dtype=np.float64)
    for edge, op in enumerate(ops):
        if live[edge]:
            ops_part[edge, OP_NAMES.index(op)] = 1.0
    return np.concatenate([np.array(live, dtype=np.float64), ops_part.reshape(-1)])


def path(ops: Sequence[str]) -> np.ndarray:
    vector = np.zeros(len(_PATH_SLOT), dtype=np.float64)
    for edges in PATHS:
        sequence = tuple(ops[e] for e in edges)
        if "none" not in sequence:
            vector[_PATH_SLOT[sequence]] += 1.0
    return vector


OUTPUT_STATE = 3


def graph(ops: Sequence[str]) -> np.ndarray:
    live = live_edges(ops)
    n, output = len(EDGES) + 2, len(EDGES) + 1
    adj = np.zeros((n, n))
    nodes = np.zeros((n, 2 + len(LIVE_OPS)))
    nodes[0, 0] = nodes[output, 1] = 1.0
    for e, (src, dst) in enumerate(EDGES):
        if not live[e]:
            continue
        nodes[e + 1, 2 + LIVE_OPS.index(ops[e])] = 1.0
        if src == 0:
            adj[0, e + 1] = 1.0
        if dst == OUTPUT_STATE:
            adj[e + 1, output] = 1.0
        for f, (after, _) in enumerate(EDGES):
            if live[f] and after == dst:
                adj[e + 1, f + 1] = 1.0
    return flatten_graph(adj, nodes)


_KERNEL_AREA = {"nor_conv_3x3": 9, "nor_conv_1x1": 1}


def cell_stats(ops: Sequence[str]) -> np.ndarray:
    """The path-level summary of the live cell described in the module docstring."""
    live = live_edges(ops)
    paths = [p for p in PATHS if all(ops[e] != "none" for e in p)]

    def along(weight: Callable[[str], float]) -> List[float]:
        return [sum(weight(ops[e]) for e in p) for p in paths] or [0.0]

    convs = along(lambda op: float(op in _KERNEL_AREA))
    convs3 = along(lambda op: float(op == "nor_conv_3x3"))
    area = along(lambda op: float(_KERNEL_AREA.get(op, 0)))
    per_op = [sum(1.0 for e in range(len(EDGES)) if live[e] and ops[e] == op) for op in LIVE_OPS]
    return np.array([len(paths), max(convs), min(convs), sum(convs), max(convs3), min(convs3),
                     max(area), min(area), *per_op, float(ops[PATHS[0][0]] == "skip_connect")],
                    dtype=np.float64)


BASES: Dict[str, Callable[[Sequence[str]], np.ndarray]] = {"one_hot": one_hot, "adjacency": adjacency,
                                                           "path": path, "graph": graph}
#: features computed from the cell's ops, available in every table
COMPUTED: Dict[str, Callable[[Sequence[str]], np.ndarray]] = {"cell_stats": cell_stats}
#: features read from the table, when it has their column
FEATURES = ("synflow", "params", "flops")


def feature_column(feature: str, dataset: str) -> str:
    return {"synflow": "synflow", "params": f"params_mb_{dataset}", "flops": f"flops_m_{dataset}"}[feature]


def feature_value(feature: str, raw: float) -> float:
    return float(np.log1p(max(raw, 0.0))) if feature == "synflow" else float(raw)


def parse(encoding: str, available: Sequence[str]) -> Tuple[str, List[str]]:
    """``(base, features)`` of ``"base+feature+..."``; ValueError naming ``encoding`` otherwise.
    ``available`` are the computed features and those the loaded table has columns for."""
    parts = str(encoding).split("+")
    base, features = parts[0], parts[1:]
    bases = ["default"] + list(BASES)
    if base not in bases or any(f not in available for f in features) or len(set(features)) != len(features):
        raise ValueError(f"encoding must be one of {bases}, optionally followed by '+feature' for features "
                         f"{list(available)}, got {encoding!r}")
    return ("one_hot" if base == "default" else base), features
