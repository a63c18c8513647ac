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
"""
from __future__ import annotations

from functools import lru_cache
from itertools import product
from typing import Dict, List, Sequence, Tuple

import numpy as np

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
