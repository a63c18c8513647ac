"""The random-architecture baseline of one-shot search: each node keeps ``max_final_edges``
edges drawn at random among (edge, candidate) pairs, ``none`` excluded (seeded, so a run is
repeatable)."""
from __future__ import annotations

import random
from typing import Any, Optional

from nas_supergraph.model_desc import EdgeDesc, NodeDesc
from nas_supergraph.finalizers import Finalizers
from nas_supergraph.operations import Zero


class RandomFinalizers(Finalizers):
    def __init__(self, edges_per_node: Optional[int] = None, seed: int = 1) -> None:
        super().__init__(edges_per_node)
        self.rng = random.Random(seed)

    def finalize_node(self, node: Any, node_index: int, node_desc: NodeDesc, max_final_edges: int,
                      *args, **kwargs) -> NodeDesc:
        pairs = [(edge, op) for edge in node for op, _ in edge.op.ops() if not isinstance(op, Zero)]
        if len(pairs) < max_final_edges:
            raise ValueError(f"node {node_index} has {len(pairs)} candidate ops, fewer than "
                             f"max_final_edges={max_final_edges}")
        chosen = self.rng.sample(pairs, max_final_edges)
        chosen.sort(key=lambda pair: pair[0].input_ids)
        return NodeDesc([EdgeDesc(op.finalize()[0], list(edge.input_ids)) for edge, op in chosen],
                        node_desc.conv_params.clone())
