"""Descriptions of ops, cells and models: plain data that builds modules and round-trips
through YAML (read back with ``yaml.safe_load``), so a searched architecture is a file anyone
can inspect, diff and rebuild without pickles.

State numbering inside a cell: 0 and 1 are the two cell inputs (outputs of the previous two
cells after pre-processing), 2 + i is node i.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, List, Optional

from nas_kernel.toolbox.params import check_int
from nas_kernel.api.overridable import OpenOverrides

CELL_TYPES = ("regular", "reduction")


class CellType(str, Enum):
    """A cell keeps the resolution (``Regular``) or halves it and doubles the channels
    (``Reduction``). A ``str`` enum, so ``cell_type == "reduction"`` works and YAML holds the value."""

    Regular = "regular"
    Reduction = "reduction"


#: ``[channels, -1, -1, -1]``: the builder knows channels only (-1 = not known at build time)
TensorShape = List[Any]


@dataclass
class ConvMacroParams(OpenOverrides):
    """Input and output channels of an op (what the macro builder may change)."""

    ch_in: int
    ch_out: int

    def __post_init__(self) -> None:
        for name in ("ch_in", "ch_out"):
            check_int(name, getattr(self, name), minimum=1)

    def clone(self) -> "ConvMacroParams":
        return ConvMacroParams(self.ch_in, self.ch_out)

    def to_dict(self) -> Dict[str, int]:
        return {"ch_in": self.ch_in, "ch_out": self.ch_out}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ConvMacroParams":
        return cls(int(d["ch_in"]), int(d["ch_out"]))


@dataclass
class OpDesc(OpenOverrides):
    """Which op to build (its registry ``name``) and with what parameters.

    ``params`` usually holds ``conv`` (a ``ConvMacroParams``) and ``stride``; ops may read more
    (``ops`` for a mixed op's candidates, ``n_classes`` for ``linear``). ``in_len`` is how many
    input states the op takes (2+ for merge ops). ``trainables`` may carry learned values such as
    a mixed op's final architecture weights, as plain lists. ``children`` are the sub-ops of a
    ``multi_op``; ``children_ins`` says which input each child reads.
    """

    name: str
    params: Dict[str, Any] = field(default_factory=dict)
    in_len: int = 1
    trainables: Optional[Dict[str, Any]] = None
    children: Optional[List["OpDesc"]] = None
    children_ins: Optional[List[int]] = None

    @property
    def conv(self) -> ConvMacroParams:
        conv = self.params.get("conv")
        if not isinstance(conv, ConvMacroParams):
            raise ValueError(f"op {self.name!r} needs params['conv'] (ConvMacroParams), got {conv!r}")
        return conv

    @property
    def stride(self) -> int:
        stride = self.params.get("stride", 1)
        if stride not in (1, 2):
            raise ValueError(f"op {self.name!r}: stride must be 1 or 2, got {stride!r}")
        return stride

    def to_dict(self) -> Dict[str, Any]:
        params = {k: (v.to_dict() if isinstance(v, ConvMacroParams) else copy.deepcopy(v))
                  for k, v in self.params.items()}
        out: Dict[str, Any] = {"name": self.name, "params": params, "in_len": self.in_len}
        if self.trainables is not None:
            out["trainables"] = copy.deepcopy(self.trainables)
        if self.children is not None:
            out["children"] = [c.to_dict() for c in self.children]
            out["children_ins"] = list(self.children_ins or [])
        return out

    def clone(self, clone_trainables: bool = True) -> "OpDesc":
        """A deep copy; ``clone_trainables=False`` leaves the learned values out."""
        desc = OpDesc.from_dict(self.to_dict())
        if not clone_trainables:
            desc.trainables = None
        return desc

    def clear_trainables(self) -> None:
        self.trainables = None
        for child in self.children or []:
            child.clear_trainables()

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "OpDesc":
        params = dict(d.get("params") or {})
        if isinstance(params.get("conv"), dict):
            params["conv"] = ConvMacroParams.from_dict(params["conv"])
        children = d.get("children")
        return cls(str(d["name"]), params, int(d.get("in_len", 1)), d.get("trainables"),
                   None if children is None else [cls.from_dict(c) for c in children],
                   d.get("children_ins"))


@dataclass
class EdgeDesc(OpenOverrides):
    """One op applied to cell states ``input_ids`` (one id for ordinary ops)."""

    op_desc: OpDesc
    input_ids: List[int]

    def clone(self, conv_params: Optional[ConvMacroParams], clear_trainables: bool) -> "EdgeDesc":
        """A copy, its op given ``conv_params`` when not None (a template edge in a wider cell)."""
        op_desc = self.op_desc.clone(clone_trainables=not clear_trainables)
        if conv_params is not None:
            op_desc.params["conv"] = conv_params.clone()
        return EdgeDesc(op_desc, list(self.input_ids))

    def clear_trainables(self) -> None:
        self.op_desc.clear_trainables()

    def to_dict(self) -> Dict[str, Any]:
        return {"op": self.op_desc.to_dict(), "input_ids": list(self.input_ids)}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "EdgeDesc":
        return cls(OpDesc.from_dict(d["op"]), [int(i) for i in d["input_ids"]])


@dataclass
class NodeDesc(OpenOverrides):
    """A node: the sum of its edges' outputs, ``conv_params.ch_out`` channels."""

    edges: List[EdgeDesc]
    conv_params: ConvMacroParams

    def clone(self) -> "NodeDesc":
        return NodeDesc.from_dict(self.to_dict())

    def to_dict(self) -> Dict[str, Any]:
        return {"edges": [e.to_dict() for e in self.edges], "conv_params": self.conv_params.to_dict()}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "NodeDesc":
        return cls([EdgeDesc.from_dict(e) for e in d["edges"]], ConvMacroParams.from_dict(d["conv_params"]))


@dataclass
class CellDesc(OpenOverrides):
    """A cell: ``stems`` bring its two inputs (outputs of the cell two back and one back) to the
    node channels (``prepr_reduce`` halves s0's resolution after a reduction cell), ``nodes`` form
    the DAG, ``post_op`` merges the last ``post_op.params['out_states']`` states. In a reduction
    cell, edges reading states 0 and 1 have stride 2. ``trainables_from`` is the index of the cell
    whose trainables (architecture weights) this one shares; its own index when it owns them.
    ``conf_cell`` is the ``cell`` section of the model config it was built from."""

    id: int
    cell_type: CellType
    conf_cell: Dict[str, Any]
    stems: List[OpDesc]
    stem_shapes: List[TensorShape]
    nodes: List[NodeDesc]
    node_shapes: List[TensorShape]
    post_op: OpDesc
    out_shape: TensorShape
    trainables_from: int

    def __post_init__(self) -> None:
        try:
            self.cell_type = CellType(self.cell_type)
        except ValueError:
            raise ValueError(f"cell_type must be one of {CELL_TYPES}, got {self.cell_type!r}") from None
        if len(self.stems) != 2:
            raise ValueError(f"cell {self.id}: a cell has 2 stems (s0, s1), got {len(self.stems)}")
        out_states = self.out_nodes
        if not 1 <= out_states <= len(self.nodes) + 2:
            raise ValueError(f"cell {self.id}: post_op out_states must be 1..{len(self.nodes) + 2}, got {out_states}")

    @property
    def reduction(self) -> bool:
        return self.cell_type == CellType.Reduction

    @property
    def s0_op(self) -> OpDesc:
        return self.stems[0]

    @property
    def s1_op(self) -> OpDesc:
        return self.stems[1]

    @property
    def out_nodes(self) -> int:
        """How many of the last states the post op merges (``post_op.params['out_states']``)."""
        return int(self.post_op.params.get("out_states", len(self.nodes)))

    def reset_nodes(self, nodes: List[NodeDesc], node_shapes: List[TensorShape], post_op: OpDesc,
                    out_shape: TensorShape) -> None:
        self.nodes, self.node_shapes, self.post_op, self.out_shape = nodes, node_shapes, post_op, out_shape

    def all_empty(self) -> bool:
        return all(not n.edges for n in self.nodes)

    def all_full(self) -> bool:
        return all(n.edges for n in self.nodes)

    def clone(self, id: int) -> "CellDesc":
        desc = CellDesc.from_dict(self.to_dict())
        desc.id = id
        return desc

    def clear_trainables(self) -> None:
        for op in [*self.stems, self.post_op]:
            op.clear_trainables()
        for node in self.nodes:
            for edge in node.edges:
                edge.clear_trainables()

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "cell_type": self.cell_type.value, "conf_cell": copy.deepcopy(self.conf_cell),
                "stems": [s.to_dict() for s in self.stems], "stem_shapes": copy.deepcopy(self.stem_shapes),
                "nodes": [n.to_dict() for n in self.nodes], "node_shapes": copy.deepcopy(self.node_shapes),
                "post_op": self.post_op.to_dict(), "out_shape": list(self.out_shape),
                "trainables_from": self.trainables_from}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "CellDesc":
        return cls(int(d["id"]), d["cell_type"], dict(d.get("conf_cell") or {}),
                   [OpDesc.from_dict(s) for s in d["stems"]], [list(s) for s in d.get("stem_shapes") or []],
                   [NodeDesc.from_dict(n) for n in d["nodes"]], [list(s) for s in d.get("node_shapes") or []],
                   OpDesc.from_dict(d["post_op"]), list(d.get("out_shape") or []),
                   int(d.get("trainables_from", d["id"])))


@dataclass
class AuxTowerDesc(OpenOverrides):
    """An auxiliary classifier on a cell's output (used in training only); ``stride`` is its
    pooling stride (3 in DARTS for 8x8 inputs)."""

    ch_in: int
    n_classes: int
    stride: int

    def to_dict(self) -> Dict[str, Any]:
        return {"ch_in": self.ch_in, "n_classes": self.n_classes, "stride": self.stride}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "AuxTowerDesc":
        return cls(int(d["ch_in"]), int(d["n_classes"]), int(d["stride"]))


class ModelDesc(OpenOverrides):
    """A whole network: stems, cells (``aux_tower_descs[i]`` after cell i, or None), pooling and
    logits. ``conf_model_desc`` is the model config it was built from (``dataset.channels``,
    ``dataset.n_classes``, ``max_final_edges`` are read from it); ``params`` records how it was
    built (macro parameters, algorithm, searched alphas) for humans and for rebuilding."""

    def __init__(self, conf_model_desc: Dict[str, Any], model_stems: List[OpDesc], pool_op: OpDesc,
                 cell_descs: List[CellDesc], aux_tower_descs: List[Optional[AuxTowerDesc]], logits_op: OpDesc,
                 params: Optional[Dict[str, Any]] = None) -> None:
        self.conf_model_desc = dict(conf_model_desc or {})
        dataset = self.conf_model_desc.get("dataset") or {}
        self.ds_ch: Optional[int] = dataset.get("channels")
        self.n_classes: Optional[int] = dataset.get("n_classes")
        self.max_final_edges: int = int(self.conf_model_desc.get("max_final_edges", 2))
        self.model_stems, self.pool_op, self.logits_op = list(model_stems), pool_op, logits_op
        self.params: Dict[str, Any] = dict(params or {})
        if len(self.model_stems) not in (1, 2):
            raise ValueError(f"a model has 1 or 2 stems, got {len(self.model_stems)}")
        self.reset_cells(cell_descs, aux_tower_descs)

    def reset_cells(self, cell_descs: List[CellDesc], aux_tower_descs: List[Optional[AuxTowerDesc]]) -> None:
        """Replace the cells (a finalizer or a macro builder does this)."""
        if len(aux_tower_descs) != len(cell_descs):
            raise ValueError("aux_tower_descs needs one entry (or None) per cell")
        self.cell_descs, self.aux_tower_descs = list(cell_descs), list(aux_tower_descs)

    def cell_type_count(self, cell_type: CellType) -> int:
        return sum(1 for c in self.cell_descs if c.cell_type == cell_type)

    def has_aux_tower(self) -> bool:
        return any(a is not None for a in self.aux_tower_descs)

    def all_empty(self) -> bool:
        return all(c.all_empty() for c in self.cell_descs)

    def all_full(self) -> bool:
        return all(c.all_full() for c in self.cell_descs)

    def clear_trainables(self) -> None:
        for cell in self.cell_descs:
            cell.clear_trainables()

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ModelDesc) and self.to_dict() == other.to_dict()

    def to_dict(self) -> Dict[str, Any]:
        return {"conf_model_desc": copy.deepcopy(self.conf_model_desc),
                "model_stems": [s.to_dict() for s in self.model_stems],
                "cell_descs": [c.to_dict() for c in self.cell_descs],
                "aux_tower_descs": [None if a is None else a.to_dict() for a in self.aux_tower_descs],
                "pool_op": self.pool_op.to_dict(), "logits_op": self.logits_op.to_dict(),
                "params": copy.deepcopy(self.params)}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ModelDesc":
        if not isinstance(d, dict) or "cell_descs" not in d:
            raise ValueError("not a model description: expected a mapping with cell_descs")
        return cls(dict(d.get("conf_model_desc") or {}), [OpDesc.from_dict(s) for s in d["model_stems"]],
                   OpDesc.from_dict(d["pool_op"]), [CellDesc.from_dict(c) for c in d["cell_descs"]],
                   [None if a is None else AuxTowerDesc.from_dict(a) for a in d["aux_tower_descs"]],
                   OpDesc.from_dict(d["logits_op"]), dict(d.get("params") or {}))

    # ---- YAML --------------------------------------------------------------------------------
    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> "ModelDesc":
        import yaml

        return cls.from_dict(yaml.safe_load(text))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_yaml())

    @classmethod
    def load(cls, path: str) -> "ModelDesc":
        with open(path, "r", encoding="utf-8") as f:
            return cls.from_yaml(f.read())

    # ---- identity ----------------------------------------------------------------------------
    def structure(self) -> Dict[str, Any]:
        """The description without learned values, configs or provenance: what identifies the
        architecture."""
        d = self.to_dict()
        for key in ("params", "conf_model_desc"):
            d.pop(key, None)
        for cell in d["cell_descs"]:
            cell.pop("conf_cell", None)
            for node in cell["nodes"]:
                for edge in node["edges"]:
                    edge["op"].pop("trainables", None)
        return d

    def archid(self) -> str:
        """A stable id: a hash of the structure, equal across processes and YAML round-trips."""
        text = json.dumps(self.structure(), sort_keys=True, separators=(",", ":"))
        return "darts-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def clone(self) -> "ModelDesc":
        return ModelDesc.from_dict(self.to_dict())

    def genotype(self) -> Dict[str, List[List[List[Any]]]]:
        """Per cell type, per node, the ``[op name, input id]`` pairs of its edges (first cell
        of each type): a compact, human-readable view of a discrete architecture."""
        out: Dict[str, List[List[List[Any]]]] = {}
        for cell in self.cell_descs:
            if cell.cell_type.value in out:
                continue
            out[cell.cell_type.value] = [[[e.op_desc.name, e.input_ids[0]] for e in node.edges]
                                         for node in cell.nodes]
        return out
