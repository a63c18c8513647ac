"""Test support shipped with the plugin, so its tests import it by name: random graphs in the
kernel's graph-encoding layout, the rows a graph predictor fits. Not part of the predictors' API."""
import numpy as np

from nas_kernel.toolbox.graph_encoding import flatten_graph


def random_dags(count, seed, nodes=6, ops=3):
    """Rows of random DAGs (edges only forward) with one op per node, and the number of edges
    that run from an op-0 node into an op-1 node: a fact of the wiring, not of any one slot."""
    rng = np.random.default_rng(seed)
    rows, wired = [], []
    for _ in range(count):
        adjacency = np.triu(rng.random((nodes, nodes)) < 0.4, k=1).astype(float)
        op = rng.integers(0, ops, size=nodes)
        rows.append(flatten_graph(adjacency, np.eye(ops)[op]))
        wired.append(sum(adjacency[i, j] for i in range(nodes) for j in range(nodes) if op[i] == 0 and op[j] == 1))
    return np.stack(rows), np.array(wired, dtype=float)
