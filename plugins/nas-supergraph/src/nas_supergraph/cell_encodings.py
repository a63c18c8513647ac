"""Encodings of discrete DARTS cells for predictors, by name (``DartsCellSpace.encode_as``).

States of a cell: 0 and 1 are its two inputs, 2.. its intermediate nodes; the cell's output
merges the last ``out_nodes`` intermediate nodes. Per cell type (regular, reduction), in the
space's sorted order:

* ``adjacency``: for every possible edge (state j -> node i, j < i) the one-hot op it carries,
  zeros when the cell has no such edge. An edge is described by where it runs and what it does,
  not by the slot it was listed in, so genotypes that list the same edges differently encode
  alike (the space's ``encode``, the ``default``, is per slot).
* ``path``: how many input-to-output paths carry each op sequence, per cell input (the path
  encoding of White, Neiswanger & Savani, "BANANAS", AAAI 2021). A path ends at every output
  node it reaches. Sequences of up to ``PATH_MAX_LENGTH`` ops get one slot each; longer paths,
  which exist only in chain-like cells, are counted per input and length - the truncation
  BANANAS applies to the DARTS space, whose full encoding has thousands of mostly empty slots.
* ``graph``: every cell type as a graph with its ops on nodes (the two inputs, one node per edge
  slot, the output), side by side in one graph in the layout of ``nas_kernel.toolbox.graph_encoding``
  (for graph predictors such as ``gcn``). Node features: one-hot input / output, one-hot cell
  type, one-hot op; an edge node reads the edge's input state (an input node, or every edge node
  feeding that intermediate node) and feeds the nodes reading its own node, or the output when
  its node is one of the last ``out_nodes``. Unused slots are absent nodes.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import product
from typing import Dict, List, Sequence, Tuple

import numpy as np

from nas_kernel.toolbox.graph_encoding import flatten_graph

PATH_MAX_LENGTH = 3
INPUTS = 2

Edges = Sequence[Sequence[object]]  # one node's [op name, input state] pairs


def adjacency(nodes: Sequence[Edges], choices: Sequence[str], n_nodes: int) -> np.ndarray:
    parts = []
    for i in range(n_nodes):
        slots = np.zeros((INPUTS + i, len(choices)))
        for name, j in (nodes[i] if i < len(nodes) else []):
            if name in choices and 0 <= int(j) < INPUTS + i:
                slots[int(j), list(choices).index(name)] = 1.0
        parts.append(slots.reshape(-1))
    return np.concatenate(parts)


def path_slots(choices: Sequence[str], n_nodes: int) -> Tuple[Dict[Tuple[int, Tuple[str, ...]], int], int]:
    """Slot of each (input, op sequence) up to ``PATH_MAX_LENGTH``, then one slot per input and
    longer length; and the total length."""
    slots: Dict[Tuple[int, Tuple[str, ...]], int] = {}
    for k in range(INPUTS):
        for length in range(1, min(PATH_MAX_LENGTH, n_nodes) + 1):
            for seq in product(choices, repeat=length):
                slots[(k, seq)] = len(slots)
    overflow = max(0, n_nodes - PATH_MAX_LENGTH)
    return slots, len(slots) + INPUTS * overflow


def path(nodes: Sequence[Edges], choices: Sequence[str], n_nodes: int, out_nodes: int) -> np.ndarray:
    slots, size = path_slots(tuple(choices), n_nodes)
    base = len(slots)
    edges = [tuple((str(name), int(j)) for name, j in node) for node in nodes]

    @lru_cache(maxsize=None)
    def paths_to(state: int) -> List[Tuple[int, Tuple[str, ...]]]:
        if state < INPUTS:
            return [(state, ())]
        return [(k, seq + (name,)) for name, j in edges[state - INPUTS] if 0 <= j < state
                for k, seq in paths_to(j)]

    vector = np.zeros(size)
    for node in range(max(0, len(edges) - out_nodes), len(edges)):
        for k, seq in paths_to(INPUTS + node):
            if len(seq) <= PATH_MAX_LENGTH:
                if (k, seq) in slots:
                    vector[slots[(k, seq)]] += 1.0
            else:
                vector[base + k * (n_nodes - PATH_MAX_LENGTH) + len(seq) - PATH_MAX_LENGTH - 1] += 1.0
    return vector


def graph(cells: Sequence[Sequence[Edges]], choices: Sequence[str], n_nodes: int, edges_per_node: int,
          out_nodes: int) -> np.ndarray:
    """``cells``: each cell type's nodes, in the space's sorted order."""
    per_cell = INPUTS + n_nodes * edges_per_node + 1
    size, kinds = per_cell * len(cells), 2 + len(cells)
    adjacency = np.zeros((size, size))
    features = np.zeros((size, kinds + len(choices)))
    for c, nodes in enumerate(cells):
        base, output = c * per_cell, (c + 1) * per_cell - 1

        def slot(i: int, s: int) -> int:
            return base + INPUTS + i * edges_per_node + s

        def feeding(state: int) -> List[int]:
            """Graph nodes carrying ``state``: an input node, or the edge nodes into that node."""
            if state < INPUTS:
                return [base + state]
            i = state - INPUTS
            return [slot(i, s) for s in range(min(len(nodes[i]), edges_per_node))] if i < len(nodes) else []

        features[[base + k for k in range(INPUTS)], 0] = 1.0
        features[output, 1] = 1.0
        features[base:output + 1, 2 + c] = 1.0 * (features[base:output + 1, :2].sum(axis=1) > 0)
        for i, node in enumerate(nodes[:n_nodes]):
            for s, (name, j) in enumerate(node[:edges_per_node]):
                here = slot(i, s)
                features[here, 2 + c] = 1.0
                if name in choices:
                    features[here, kinds + list(choices).index(name)] = 1.0
                if 0 <= int(j) < INPUTS + i:
                    adjacency[feeding(int(j)), here] = 1.0
                if i >= len(nodes) - out_nodes:
                    adjacency[here, output] = 1.0
    return flatten_graph(adjacency, features)
