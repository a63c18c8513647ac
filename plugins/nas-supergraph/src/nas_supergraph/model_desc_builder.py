"""Lays out a DARTS-style network as a ``ModelDesc`` from a model config (``conf_model_desc``,
schema in ``nas_supergraph.conf.MODEL_DESC``): stems, cells with reductions at even fractions of
the depth (channels doubling at each), node channels, pooling, logits and an optional auxiliary
tower.

``build(conf_model_desc, template=None)`` calls its hooks in a fixed order, so a subclass that
overrides one changes the built model::

    get_reduction_indices, get_node_channels        (while preparing)
    pre_build
    build_model_stems
    build_cells -> per cell: build_cell -> build_cell_stems,
                   build_nodes (or build_nodes_from_template when a template is given),
                   build_cell_post_op; then build_aux_tower
    build_model_pool
    build_logits_op

Without a template, ``build_nodes`` makes the search supergraph (every node reads every earlier
state through a ``mixed_op`` over ``cell.ops``), or, when the config has a ``genotype``, the
discrete cell it spells. With a template (another ``ModelDesc``), each cell copies the nodes of
the template's first cell of its type at this layout's channels.

The constructor's macro parameters are the short way to a config (``macro_conf``):
``build_search()`` and ``build_discrete(genotype_or_desc)`` build from them. A genotype is
``{cell_type: [[[op, input_id], ...] per node]}``; input ids 0 and 1 are the cell inputs, 2 + i
is node i.
"""
from __future__ import annotations

import copy
import random
from typing import Any, Dict, List, Optional, Sequence, Tuple

from nas_kernel.toolbox.params import check_int
from nas_kernel.api.overridable import OpenOverrides
from nas_supergraph.conf import PRIMITIVES, model_desc_conf
from nas_supergraph.model_desc import (AuxTowerDesc, CellDesc, CellType, ConvMacroParams, EdgeDesc, ModelDesc,
                                  NodeDesc, OpDesc, TensorShape)

Genotype = Dict[str, List[List[List[Any]]]]
TensorShapes = List[TensorShape]
TensorShapesList = List[TensorShapes]


class ModelDescBuilder(OpenOverrides):
    """Builds ``ModelDesc``s; see the module docstring for the hooks and their order.

    Args (all optional; only ``build_search`` / ``build_discrete`` / ``macro_conf`` read them):
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
        for name, value in (("in_channels", in_channels), ("init_channels", init_channels), ("n_cells", n_cells),
                            ("n_nodes", n_nodes), ("stem_multiplier", stem_multiplier)):
            check_int(name, value, minimum=1)
        check_int("num_classes", num_classes, minimum=2)
        out_nodes = n_nodes if out_nodes is None else check_int("out_nodes", out_nodes, 1, n_nodes)
        reductions = default_reductions(n_cells) if reductions is None else sorted({int(r) for r in reductions})
        if any(not 0 <= r < n_cells for r in reductions):
            raise ValueError(f"reductions must be cell indices in 0..{n_cells - 1}, got {reductions}")
        self.in_channels, self.num_classes, self.init_channels = in_channels, num_classes, init_channels
        self.n_cells, self.n_nodes, self.out_nodes = n_cells, n_nodes, out_nodes
        self.stem_multiplier, self.reductions, self.aux_tower = stem_multiplier, reductions, bool(aux_tower)
        self.model_stem, self.pool, self.post_op = model_stem, pool, post_op

    # ---- macro parameters: the short way to a config -----------------------------------------
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

    def macro_conf(self, ops: Sequence[str] = PRIMITIVES, genotype: Optional[Genotype] = None) -> Dict[str, Any]:
        """The model config these macro parameters stand for."""
        return {"n_cells": self.n_cells, "n_reductions": len(self.reductions), "reductions": list(self.reductions),
                "dataset": {"channels": self.in_channels, "n_classes": self.num_classes},
                "model_post_op": self.pool, "aux_weight": 0.4 if self.aux_tower else 0.0,
                "model_stems": {"ops": [self.model_stem], "init_node_ch": self.init_channels,
                                "stem_multiplier": self.stem_multiplier},
                "cell": {"n_nodes": self.n_nodes, "cell_post_op": self.post_op, "ops": list(ops),
                         "out_nodes": self.out_nodes},
                "genotype": genotype}

    def cell_types(self) -> List[str]:
        return ["reduction" if i in self.reductions else "regular" for i in range(self.n_cells)]

    def build_search(self, ops: Sequence[str] = PRIMITIVES) -> ModelDesc:
        """The supergraph: every node reads every earlier state through a ``mixed_op``."""
        desc = self.build(self.macro_conf(ops))
        desc.params.update({"macro": self.macro_params(), "kind": "search", "ops": list(ops)})
        return desc

    def build_discrete(self, template: Any) -> ModelDesc:
        """A discrete model from a genotype or from another ``ModelDesc`` (its first cell of each
        type), laid out with these macro parameters."""
        genotype = template.genotype() if isinstance(template, ModelDesc) else template
        genotype = self.check_genotype(genotype)
        desc = self.build(self.macro_conf(genotype=genotype))
        desc.params.update({"macro": self.macro_params(), "kind": "final", "genotype": genotype})
        return desc

    def check_genotype(self, genotype: Any) -> Genotype:
        return check_genotype(genotype, sorted(set(self.cell_types())), self.n_nodes)

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

    # ---- the seed API: build(conf_model_desc, template) and its hooks -------------------------
    def build(self, conf_model_desc: Dict[str, Any], template: Optional[ModelDesc] = None) -> ModelDesc:
        """The model ``conf_model_desc`` describes (cells copied from ``template`` when given)."""
        conf = model_desc_conf(conf_model_desc)
        if conf["dataset"]["channels"] is None or conf["dataset"]["n_classes"] is None:
            raise ValueError("model_desc.dataset needs channels and n_classes (the runner fills them from the data)")
        if template is not None and (not isinstance(template, ModelDesc) or not template.cell_descs):
            raise ValueError(f"template must be a ModelDesc with cells or None, got {type(template).__name__}")
        self.conf_model_desc, self.template = conf, template
        self._cell_templates = self.create_cell_templates(template)
        self._reduction_indices = self.get_reduction_indices(conf)
        if any(not 0 <= r < conf["n_cells"] for r in self._reduction_indices):
            raise ValueError(f"model_desc reductions must be cell indices in 0..{conf['n_cells'] - 1}, "
                             f"got {self._reduction_indices}")
        self._normal_indices = [i for i in range(conf["n_cells"]) if i not in self._reduction_indices]
        self.node_channels = self.get_node_channels(conf)
        self.pre_build(conf)
        in_shapes: TensorShapesList = [[[conf["dataset"]["channels"], -1, -1, -1]]]
        model_stems = self.build_model_stems(in_shapes, conf)
        cell_descs, aux_tower_descs = self.build_cells(in_shapes, conf)
        pool_op = self.build_model_pool(in_shapes, conf)
        logits_op = self.build_logits_op(in_shapes, conf)
        return ModelDesc(conf, model_stems, pool_op, cell_descs, aux_tower_descs, logits_op,
                         params=copy.deepcopy(conf["params"]))

    def pre_build(self, conf_model_desc: Dict[str, Any]) -> None:
        """Hook: any setup before the parts are built."""

    def get_reduction_indices(self, conf_model_desc: Dict[str, Any]) -> List[int]:
        """Cell indices that halve the resolution and double the channels: ``reductions`` when
        given, else ``n_reductions`` cuts at even fractions of the depth."""
        if conf_model_desc.get("reductions") is not None:
            return list(conf_model_desc["reductions"])
        n_cells, n_red = conf_model_desc["n_cells"], conf_model_desc["n_reductions"]
        return sorted({n_cells * (i + 1) // (n_red + 1) for i in range(n_red)} - {n_cells})

    def get_node_channels(self, conf_model_desc: Dict[str, Any]) -> List[List[int]]:
        """Channels of every node of every cell: ``init_node_ch``, doubled at each reduction."""
        ch = conf_model_desc["model_stems"]["init_node_ch"]
        n_nodes = conf_model_desc["cell"]["n_nodes"]
        out = []
        for ci in range(conf_model_desc["n_cells"]):
            if self.get_cell_type(ci) == CellType.Reduction:
                ch *= 2
            out.append([ch] * n_nodes)
        return out

    def get_cell_type(self, cell_index: int) -> CellType:
        return CellType.Reduction if cell_index in self._reduction_indices else CellType.Regular

    def get_trainables_from(self, cell_index: int) -> int:
        """The first cell of this cell's type: it owns the type's architecture weights."""
        indices = self._reduction_indices if self.get_cell_type(cell_index) == CellType.Reduction \
            else self._normal_indices
        return indices[0]

    def get_ch(self, shape: TensorShape) -> int:
        return int(shape[0])

    def create_cell_templates(self, template: Optional[ModelDesc]) -> List[Optional[CellDesc]]:
        regular = reduction = None
        for cell in template.cell_descs if template is not None else []:
            if regular is None and cell.cell_type == CellType.Regular:
                regular = cell
            if reduction is None and cell.cell_type == CellType.Reduction:
                reduction = cell
        return [regular, reduction]

    def get_cell_template(self, cell_index: int) -> Optional[CellDesc]:
        return self._cell_templates[1 if self.get_cell_type(cell_index) == CellType.Reduction else 0]

    def build_model_stems(self, in_shapes: TensorShapesList, conf_model_desc: Dict[str, Any]) -> List[OpDesc]:
        """One op per ``model_stems.ops`` name; a single stem feeds both inputs of the first cell."""
        stems_conf = conf_model_desc["model_stems"]
        ch_out = stems_conf["init_node_ch"] * stems_conf["stem_multiplier"]
        conv = ConvMacroParams(self.get_ch(in_shapes[-1][0]), ch_out)
        ops = stems_conf["ops"]
        if len(ops) not in (1, 2):
            raise ValueError(f"model_desc.model_stems.ops must name 1 or 2 stems, got {ops}")
        stems = [OpDesc(name, {"conv": conv.clone()}) for name in ops]
        for _ in range(2):
            in_shapes.append([[ch_out, -1, -1, -1]])
        return stems

    def build_cells(self, in_shapes: TensorShapesList, conf_model_desc: Dict[str, Any]
                    ) -> Tuple[List[CellDesc], List[Optional[AuxTowerDesc]]]:
        cells, auxes = [], []
        for ci in range(conf_model_desc["n_cells"]):
            cells.append(self.build_cell(in_shapes, conf_model_desc["cell"], ci))
            auxes.append(self.build_aux_tower(in_shapes[-1][0], conf_model_desc, ci))
        return cells, auxes

    def build_cell(self, in_shapes: TensorShapesList, conf_cell: Dict[str, Any], cell_index: int) -> CellDesc:
        stem_shapes, stems = self.build_cell_stems(in_shapes, conf_cell, cell_index)
        cell_type = self.get_cell_type(cell_index)
        if self.template is None:
            node_count = len(self.node_channels[cell_index])
            node_shapes, nodes = self.build_nodes(stem_shapes, conf_cell, cell_index, cell_type, node_count,
                                                  stem_shapes[0], stem_shapes[0])
        else:
            node_shapes, nodes = self.build_nodes_from_template(stem_shapes, conf_cell, cell_index)
        out_shape, post_op = self.build_cell_post_op(stem_shapes, node_shapes, conf_cell, cell_index)
        cell = CellDesc(cell_index, cell_type, copy.deepcopy(conf_cell), stems, stem_shapes, nodes, node_shapes,
                        post_op, out_shape, self.get_trainables_from(cell_index))
        in_shapes.append([out_shape])
        return cell

    def build_cell_stems(self, in_shapes: TensorShapesList, conf_cell: Dict[str, Any], cell_index: int
                         ) -> Tuple[TensorShapes, List[OpDesc]]:
        """s0 (two back) and s1 (one back) to the node channels; s0 is factor-reduced when the
        previous cell was a reduction cell (its input then has twice the resolution)."""
        p_ch, pp_ch = self.get_ch(in_shapes[-1][0]), self.get_ch(in_shapes[-2][0])
        node_ch = self.node_channels[cell_index][0]
        reduction_p = cell_index > 0 and self.get_cell_type(cell_index - 1) == CellType.Reduction
        s0 = OpDesc("prepr_reduce" if reduction_p else "prepr_normal", {"conv": ConvMacroParams(pp_ch, node_ch)})
        s1 = OpDesc("prepr_normal", {"conv": ConvMacroParams(p_ch, node_ch)})
        return [[node_ch, -1, -1, -1], [node_ch, -1, -1, -1]], [s0, s1]

    def build_nodes(self, stem_shapes: TensorShapes, conf_cell: Dict[str, Any], cell_index: int,
                    cell_type: CellType, node_count: int, in_shape: TensorShape, out_shape: TensorShape
                    ) -> Tuple[TensorShapes, List[NodeDesc]]:
        """The supergraph's nodes (a ``mixed_op`` from every earlier state), or the discrete nodes
        of the config's ``genotype``."""
        ch_in, ch_out = self.get_ch(in_shape), self.get_ch(out_shape)
        genotype = self.conf_model_desc.get("genotype")
        nodes = []
        for i in range(node_count):
            if genotype is None:
                specs = [("mixed_op", j) for j in range(2 + i)]
            else:
                cell_nodes = check_genotype(genotype, [cell_type.value], node_count)[cell_type.value]
                specs = [(op, j) for op, j in cell_nodes[i]]
            edges = [EdgeDesc(self._edge_op(op, ch_in, ch_out, cell_type, j, conf_cell), [j]) for op, j in specs]
            nodes.append(NodeDesc(edges, ConvMacroParams(ch_in, ch_out)))
        return [list(out_shape) for _ in range(node_count)], nodes

    def build_nodes_from_template(self, stem_shapes: TensorShapes, conf_cell: Dict[str, Any], cell_index: int
                                  ) -> Tuple[TensorShapes, List[NodeDesc]]:
        """The template cell's nodes (of this cell's type, else of the other type: a search
        without reduction cells can still be evaluated in a net with some) at this cell's
        channels; edges from the cell inputs get stride 2 in a reduction cell."""
        cell_template = self.get_cell_template(cell_index) or next(t for t in self._cell_templates if t is not None)
        ch = self.get_ch(stem_shapes[0])
        reduction = self.get_cell_type(cell_index) == CellType.Reduction
        nodes = []
        for n in cell_template.nodes:
            edges = [e.clone(ConvMacroParams(ch, ch), clear_trainables=True) for e in n.edges]
            for e in edges:
                e.op_desc.params["stride"] = 2 if reduction and e.input_ids[0] < 2 else 1
            nodes.append(NodeDesc(edges, ConvMacroParams(ch, ch)))
        return [list(stem_shapes[0]) for _ in nodes], nodes

    def build_cell_post_op(self, stem_shapes: TensorShapes, node_shapes: TensorShapes, conf_cell: Dict[str, Any],
                           cell_index: int) -> Tuple[TensorShape, OpDesc]:
        """Merge the last ``out_nodes`` (default all) node outputs: concatenated, or projected
        back to the node channels by ``proj_channels``."""
        name = conf_cell["cell_post_op"]
        node_ch = self.get_ch(node_shapes[-1]) if node_shapes else self.get_ch(stem_shapes[0])
        out_states = conf_cell.get("out_nodes") or (len(node_shapes) or 2)
        ch_in = out_states * node_ch
        ch_out = ch_in if name == "concate_channels" else node_ch
        out_shape = [ch_out, -1, -1, -1]
        return out_shape, OpDesc(name, {"conv": ConvMacroParams(ch_in, ch_out), "out_states": out_states},
                                 in_len=out_states)

    def build_aux_tower(self, out_shape: TensorShape, conf_model_desc: Dict[str, Any], cell_index: int
                        ) -> Optional[AuxTowerDesc]:
        """An auxiliary tower after the cell at two thirds of the depth when ``aux_weight`` > 0."""
        n_cells = conf_model_desc["n_cells"]
        if conf_model_desc["aux_weight"] > 0 and n_cells > 1 and cell_index == 2 * n_cells // 3:
            return AuxTowerDesc(self.get_ch(out_shape), conf_model_desc["dataset"]["n_classes"],
                                conf_model_desc["aux_tower_stride"])
        return None

    def build_model_pool(self, in_shapes: TensorShapesList, conf_model_desc: Dict[str, Any]) -> OpDesc:
        ch = self.get_ch(in_shapes[-1][0])
        in_shapes.append([[ch, -1, -1, -1]])
        return OpDesc(conf_model_desc["model_post_op"], {"conv": ConvMacroParams(ch, ch)})

    def build_logits_op(self, in_shapes: TensorShapesList, conf_model_desc: Dict[str, Any]) -> OpDesc:
        return OpDesc(conf_model_desc["logits_op"], {"n_ch": self.get_ch(in_shapes[-1][0]),
                                                     "n_classes": conf_model_desc["dataset"]["n_classes"]})

    @staticmethod
    def _edge_op(name: str, ch_in: int, ch_out: int, cell_type: CellType, input_id: int,
                 conf_cell: Dict[str, Any]) -> OpDesc:
        stride = 2 if cell_type == CellType.Reduction and input_id < 2 else 1
        params: Dict[str, Any] = {"conv": ConvMacroParams(ch_in, ch_out), "stride": stride}
        if name == "mixed_op":
            params["ops"] = list(conf_cell["ops"])
        return OpDesc(name, params)


def check_genotype(genotype: Any, cell_types: Sequence[str], n_nodes: int) -> Genotype:
    """The genotype, validated for these cell types and node count (ValueError naming the entry)."""
    if not isinstance(genotype, dict):
        raise ValueError(f"a genotype is a mapping of cell type to nodes, got {type(genotype).__name__}")
    clean: Genotype = {}
    for cell_type in cell_types:
        nodes = genotype.get(cell_type)
        if not isinstance(nodes, list) or len(nodes) != n_nodes:
            raise ValueError(f"genotype[{cell_type!r}] must list {n_nodes} nodes, got {nodes!r}")
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


def default_reductions(n_cells: int) -> List[int]:
    if n_cells >= 3:
        return sorted({n_cells // 3, (2 * n_cells) // 3})
    if n_cells == 2:
        return [1]
    return []
