"""Turn a trained supergraph into a discrete ``ModelDesc``: every searchable edge becomes its
strongest candidate other than ``none`` (the op's own ``finalize``), and each node keeps its
``max_final_edges`` strongest edges (DARTS keeps 2). Edges that were never searchable (unranked)
are kept as they are. Override ``finalize_model``, ``finalize_cell``, ``finalize_node`` or
``finalize_edge`` in a subclass to change one level; put op-level logic in the op's ``finalize``.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from nas_kernel.toolbox.params import check_int
from nas_kernel.api.overridable import OpenOverrides
from nas_supergraph.model_desc import CellDesc, EdgeDesc, ModelDesc, NodeDesc


class Finalizers(OpenOverrides):
    """``edges_per_node`` overrides the model description's ``max_final_edges``."""

    def __init__(self, edges_per_node: Optional[int] = None) -> None:
        self.edges_per_node = None if edges_per_node is None else check_int("edges_per_node", edges_per_node, 1)

    def finalize_model(self, model: Any, *args, **kwargs) -> ModelDesc:
        """The discrete description of ``model`` (a ``Model``); ``params['kind']`` becomes ``final``."""
        desc = model.desc.clone()
        cells = [self.finalize_cell(cell, i, desc) for i, cell in enumerate(model.cells)]
        desc.reset_cells(cells, desc.aux_tower_descs)
        desc.params = {k: v for k, v in desc.params.items() if k != "ops"}
        desc.params.update({"kind": "final", "genotype": desc.genotype()})
        return desc

    def finalize_cell(self, cell: Any, cell_index: int, model_desc: ModelDesc, *args, **kwargs) -> CellDesc:
        max_edges = self.edges_per_node or model_desc.max_final_edges
        src = model_desc.cell_descs[cell_index]
        nodes = [self.finalize_node(node, i, src.nodes[i], max_edges) for i, node in enumerate(cell.nodes)]
        return CellDesc(src.id, src.cell_type, src.conf_cell, [s.clone() for s in src.stems], src.stem_shapes,
                        nodes, src.node_shapes, src.post_op.clone(), src.out_shape, src.trainables_from)

    def finalize_node(self, node: Any, node_index: int, node_desc: NodeDesc, max_final_edges: int,
                      *args, **kwargs) -> NodeDesc:
        """Unranked edges, then the ``max_final_edges`` highest-ranked ones (ties: earlier input)."""
        ranked: List[Tuple[float, int, EdgeDesc]] = []
        fixed: List[EdgeDesc] = []
        for pos, edge in enumerate(node):
            edge_desc, rank = self.finalize_edge(edge)
            if rank is None:
                fixed.append(edge_desc)
            else:
                ranked.append((float(rank), pos, edge_desc))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        kept = sorted(ranked[:max_final_edges], key=lambda r: r[1])
        return NodeDesc(fixed + [edge for _, _, edge in kept], node_desc.conv_params.clone())

    def finalize_edge(self, edge: Any) -> Tuple[EdgeDesc, Optional[float]]:
        finalize = getattr(edge.op, "finalize", None)  # third-party ops may not have it
        op_desc, rank = finalize() if finalize is not None else (edge.desc.op_desc, None)
        return EdgeDesc(op_desc, list(edge.input_ids)), rank
