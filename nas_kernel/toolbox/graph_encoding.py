"""How a graph travels in a predictor's flat (N, F) input: the contract between a search space
that offers a graph encoding (through the same ``encode_as`` as every other encoding) and a
graph predictor, which meet here without knowing each other.

Each row is ``[n, k, adjacency (n*n, row-major: entry i*n+j is 1 for an edge i -> j),
node features (n*k, node by node), extra features...]``. The two leading numbers describe the
rest, so a predictor needs no per-space setting; nodes whose features are all zero are absent
(an operation that contributes nothing) and are left out of the graph's summary. Extra features
after the graph (cell statistics, zero-cost values, cost counts) reach the predictor's head.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Graphs", "flatten_graph", "split_graphs"]


class Graphs(NamedTuple):
    adjacency: np.ndarray  # (N, n, n)
    nodes: np.ndarray  # (N, n, k)
    extra: np.ndarray  # (N, E)


def split_graphs(x: np.ndarray) -> Graphs:
    """The graphs of validated rows ``x``; ValueError when they do not follow the layout."""
    if x.shape[1] < 2:
        raise ValueError(f"a graph encoding starts with its node count and node-feature count; got rows of "
                         f"{x.shape[1]} number(s)")
    n, k = x[0, 0], x[0, 1]
    if n != int(n) or k != int(k) or n < 1 or k < 1 or not (x[:, :2] == x[0, :2]).all():
        raise ValueError("a graph encoding starts with the same node count n >= 1 and node-feature count k >= 1 "
                         f"in every row (the layout of nas_kernel.toolbox.graph_encoding); got {x[:3, :2].tolist()}")
    n, k = int(n), int(k)
    end = 2 + n * n + n * k
    if x.shape[1] < end:
        raise ValueError(f"a graph encoding of {n} nodes with {k} features each needs at least {end} numbers "
                         f"per row, got {x.shape[1]}")
    return Graphs(x[:, 2:2 + n * n].reshape(-1, n, n), x[:, 2 + n * n:end].reshape(-1, n, k), x[:, end:])


def flatten_graph(adjacency: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """One row of the layout (without extras) for an (n, n) adjacency and (n, k) node features."""
    n, k = nodes.shape
    return np.concatenate([[n, k], np.asarray(adjacency, dtype=np.float64).reshape(-1),
                           np.asarray(nodes, dtype=np.float64).reshape(-1)])
