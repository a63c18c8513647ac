"""Lays out a DARTS-style network as a ``ModelDesc``: stem, cells with reductions at one and two
thirds of the depth (channels doubling at each), node channels, pooling, logits and an optional
auxiliary tower. The same layout serves the search supergraph (every node reads every earlier
state through a ``mixed_op``) and discrete models (a genotype, or another desc as template).

A genotype is ``{cell_type: [[[op, input_id], ...] per node]}``; input ids 0 and 1 are the cell
inputs, 2 + i is node i.
"""
from __future__ import annotations

import random
from typing import Any, Callable, Dict, List, Optional, Sequence

from nas_supergraph.descs import (AuxTowerDesc, CellDesc, ConvMacroParams, EdgeDesc, ModelDesc,
                                  NodeDesc, OpDesc)
from nas_supergraph.ops import PRIMITIVES

Genotype = Dict[str, List[List[List[Any]]]]


class ModelDescBuilder:
    """Macro parameters of a network; ``build_search`` / ``build`` give its descriptions.

    Args:
        in_channels, num_classes: the data (1 and 10 for digits, 3 and 10 for CIFAR-10).
        init_channels: node channels of the first cells (doubled at each reduction).
        n_cells: number of cells; ``reductions`` overrides where reduction cells go (default: at
            ``n_cells // 3`` and ``2 * n_cells // 3``, or the last cell of a 2-cell net, none for 1).
        n_nodes: intermediate nodes per cell; ``out_nodes`` of them (default all) are concatenated.
        stem_multiplier: stem channels = ``stem_multiplier * init_channels``.
        aux_tower: add an auxiliary classifier after the cell at two thirds of the depth.
        model_stem, pool, post_op: registry names of the stem, pooling head and cell merge op.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, init_channels: int = 16, n_cells: int = 8,
                 n_nodes: int = 4, out_nodes: Optional[int] = None, stem_multiplier: int = 3,
                 reductions: Optional[Sequence[int]] = None, aux_tower: bool = False,
                 model_stem: str = "stem_conv3x3", pool: str = "pool_adaptive_avg2d",
                 post_op: str = "concate_channels") -> None:
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes),
                            ("init_channels", init_channels), ("n_cells", n_cells), ("n_nodes", n_nodes),
                            ("stem_multiplier", stem_multiplier)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        out_nodes = n_nodes if out_nodes is None else out_nodes
        if not 1 <= out_nodes <= n_nodes:
            raise ValueError(f"out_nodes must be 1..n_nodes ({n_nodes}), got {out_nodes}")
        if reductions is None:
            reductions = default_reductions(n_cells)
        reductions = sorted({int(r) for r in reductions})
        if any(not 0 <= r < n_cells for r in reductions):
            raise ValueError(f"reductions must be cell indices in 0..{n_cells - 1}, got {reductions}")
        self.in_channels, self.num_classes, self.init_channels = in_channels, num_classes, init_channels
        self.n_cells, self.n_nodes, self.out_nodes = n_cells, n_nodes, out_nodes
        self.stem_multiplier, self.reductions, self.aux_tower = stem_multiplier, reductions, bool(aux_tower)
        self.model_stem, self.pool, self.post_op = model_stem, pool, post_op

    def macro_params(self) -> Dict[str, Any]:
        return {"in_channels": self.in_channels, "num_classes": self.num_classes,
                "init_channels": self.init_channels, "n_cells": self.n_cells, "n_nodes": self.n_nodes,
                "out_nodes": self.out_nodes, "stem_multiplier": self.stem_multiplier,
                "reductions": list(self.reductions), "aux_tower": self.aux_tower, "model_stem": self.model_stem,
                "pool": self.pool, "post_op": self.post_op}

    @classmethod
    def from_macro_params(cls, params: Dict[str, Any], **overrides) -> "ModelDescBuilder":
        """Rebuild the builder a desc was made with (``desc.params['macro']``), changing some values."""
        merged = dict(params)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        if "n_cells" in overrides and overrides["n_cells"] is not None and "reductions" not in overrides:
            merged.pop("reductions", None)  # recompute positions for the new depth
        return cls(**merged)

    def cell_types(self) -> List[str]:
        return ["reduction" if i in self.reductions else "regular" for i in range(self.n_cells)]

    # ---- descriptions ------------------------------------------------------------------------
    def build_search(self, ops: Sequence[str] = PRIMITIVES) -> ModelDesc:
        """The supergraph: every node reads every earlier state through a ``mixed_op``."""
        ops = list(ops)

        def nodes(cell_type: str, ch: int) -> List[NodeDesc]:
            out = []
            for i in range(self.n_nodes):
                edges = [EdgeDesc(self._edge_op("mixed_op", ch, cell_type, j, ops=ops), [j]) for j in range(2 + i)]
                out.append(NodeDesc(edges, ConvMacroParams(ch, ch)))
            return out

        return self._layout(nodes, {"kind": "search", "ops": ops})

    def build(self, template: Any) -> ModelDesc:
        """A discrete model from a genotype or from another ``ModelDesc`` (its first cell of each
        type), laid out with this builder's macro parameters."""
        genotype = template.genotype() if isinstance(template, ModelDesc) else template
        genotype = self.check_genotype(genotype)

        def nodes(cell_type: str, ch: int) -> List[NodeDesc]:
            spec = genotype[cell_type]
            return [NodeDesc([EdgeDesc(self._edge_op(op, ch, cell_type, j), [j]) for op, j in node],
                             ConvMacroParams(ch, ch)) for node in spec]

        return self._layout(nodes, {"kind": "final", "genotype": genotype})

    def check_genotype(self, genotype: Any) -> Genotype:
        if not isinstance(genotype, dict):
            raise ValueError(f"a genotype is a mapping of cell type to nodes, got {type(genotype).__name__}")
        clean: Genotype = {}
        for cell_type in sorted(set(self.cell_types())):
            nodes = genotype.get(cell_type)
            if not isinstance(nodes, list) or len(nodes) != self.n_nodes:
                raise ValueError(f"genotype[{cell_type!r}] must list {self.n_nodes} nodes, got {nodes!r}")
            clean[cell_type] = []
            for i, node in enumerate(nodes):
                if not isinstance(node, list) or not node:
                    raise ValueError(f"genotype[{cell_type!r}][{i}] must be a non-empty list of [op, input]")
                edges = []
                for pair in node:
                    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                        raise ValueError(f"genotype[{cell_type!r}][{i}]: edge {pair!r} is not [op, input]")
                    op, j = str(pair[0]), int(pair[1])
                    if not 0 <= j < 2 + i:
                        raise ValueError(f"genotype[{cell_type!r}][{i}]: input {j} is not an earlier state")
                    edges.append([op, j])
                clean[cell_type].append(edges)
        return clean

    def random_genotype(self, rng: random.Random, ops: Sequence[str] = PRIMITIVES,
                        edges_per_node: int = 2) -> Genotype:
        """Per node, ``edges_per_node`` distinct earlier states, each through a random op (never ``none``)."""
        choices = [o for o in ops if o != "none"]
        if not choices:
            raise ValueError("ops must contain at least one op other than 'none'")
        genotype: Genotype = {}
        for cell_type in sorted(set(self.cell_types())):
            nodes = []
            for i in range(self.n_nodes):
                inputs = sorted(rng.sample(range(2 + i), min(edges_per_node, 2 + i)))
                nodes.append([[rng.choice(choices), j] for j in inputs])
            genotype[cell_type] = nodes
        return genotype

    # ---- layout ------------------------------------------------------------------------------
    def _edge_op(self, name: str, ch: int, cell_type: str, input_id: int, **params) -> OpDesc:
        stride = 2 if cell_type == "reduction" and input_id < 2 else 1
        return OpDesc(name, {"conv": ConvMacroParams(ch, ch), "stride": stride, **params})

    def _layout(self, make_nodes: Callable[[str, int], List[NodeDesc]], info: Dict[str, Any]) -> ModelDesc:
        c_stem = self.stem_multiplier * self.init_channels
        stem = OpDesc(self.model_stem, {"conv": ConvMacroParams(self.in_channels, c_stem), "stride": 1})
        ch_pp, ch_p, ch = c_stem, c_stem, self.init_channels
        reduction_prev = False
        aux_at = (2 * self.n_cells) // 3 if self.aux_tower and self.n_cells > 1 else None
        cells: List[CellDesc] = []
        auxes: List[Optional[AuxTowerDesc]] = []
        for i, cell_type in enumerate(self.cell_types()):
            if cell_type == "reduction":
                ch *= 2
            s0 = OpDesc("prepr_reduce" if reduction_prev else "prepr_normal",
                        {"conv": ConvMacroParams(ch_pp, ch), "stride": 1})
            s1 = OpDesc("prepr_normal", {"conv": ConvMacroParams(ch_p, ch), "stride": 1})
            ch_out = self.out_nodes * ch
            post = OpDesc(self.post_op, {"conv": ConvMacroParams(ch_out, ch_out), "stride": 1}, in_len=self.out_nodes)
            cells.append(CellDesc(i, cell_type, ConvMacroParams(ch_p, ch_out), s0, s1, make_nodes(cell_type, ch),
                                  post, self.out_nodes))
            auxes.append(AuxTowerDesc(ch_out, self.num_classes) if i == aux_at else None)
            ch_pp, ch_p, reduction_prev = ch_p, ch_out, cell_type == "reduction"
        pool = OpDesc(self.pool, {"conv": ConvMacroParams(ch_p, ch_p), "stride": 1})
        logits = OpDesc("linear", {"conv": ConvMacroParams(ch_p, self.num_classes), "stride": 1})
        params = {"macro": self.macro_params(), **info}
        return ModelDesc([stem], cells, auxes, pool, logits, params)


def default_reductions(n_cells: int) -> List[int]:
    if n_cells >= 3:
        return sorted({n_cells // 3, (2 * n_cells) // 3})
    if n_cells == 2:
        return [1]
    return []
