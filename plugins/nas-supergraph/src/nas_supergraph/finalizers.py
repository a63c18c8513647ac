"""Turn a trained supergraph into a discrete ``ModelDesc``: every searchable edge becomes its
strongest candidate other than ``none``, and each node keeps its ``edges_per_node`` strongest
edges (DARTS keeps 2). Edges that were never searchable are kept as they are."""
from __future__ import annotations

from typing import Any, List, Tuple

from nas_supergraph.descs import EdgeDesc, ModelDesc


class Finalizers:
    def __init__(self, edges_per_node: int = 2) -> None:
        if isinstance(edges_per_node, bool) or not isinstance(edges_per_node, int) or edges_per_node < 1:
            raise ValueError(f"edges_per_node must be a positive whole number, got {edges_per_node!r}")
        self.edges_per_node = edges_per_node

    def finalize_model(self, model: Any) -> ModelDesc:
        """The discrete description of ``model`` (a ``Model``); ``params['kind']`` becomes ``final``."""
        desc = model.desc.clone()
        for cell, cell_desc in zip(model.cells, desc.cell_descs):
            for node_module, node_desc in zip(cell.nodes, cell_desc.nodes):
                node_desc.edges = self.finalize_node(node_module, node_desc.edges)
        desc.params = {k: v for k, v in desc.params.items() if k != "ops"}
        desc.params.update({"kind": "final", "genotype": desc.genotype()})
        return desc

    def finalize_node(self, edge_modules: Any, edge_descs: List[EdgeDesc]) -> List[EdgeDesc]:
        ranked: List[Tuple[float, int, EdgeDesc]] = []
        fixed: List[EdgeDesc] = []
        for pos, (module, edge_desc) in enumerate(zip(edge_modules, edge_descs)):
            finalize = getattr(module.op, "finalize", None)  # third-party ops may not have it
            op_desc, rank = finalize() if finalize is not None else (edge_desc.op_desc, None)
            if rank is None:
                fixed.append(edge_desc)
            else:
                ranked.append((float(rank), pos, EdgeDesc(op_desc, list(edge_desc.input_ids))))
        ranked.sort(key=lambda r: (-r[0], r[1]))  # strongest first; ties keep the earlier input
        kept = sorted(ranked[:self.edges_per_node], key=lambda r: r[1])
        return fixed + [edge for _, _, edge in kept]
