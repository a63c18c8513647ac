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
from typing import Any, Dict, List, Optional

CELL_TYPES = ("regular", "reduction")


@dataclass(frozen=True)
class ConvMacroParams:
    """Input and output channels of an op."""

    ch_in: int
    ch_out: int

    def __post_init__(self) -> None:
        for name in ("ch_in", "ch_out"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")

    def to_dict(self) -> Dict[str, int]:
        return {"ch_in": self.ch_in, "ch_out": self.ch_out}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ConvMacroParams":
        return cls(int(d["ch_in"]), int(d["ch_out"]))


@dataclass
class OpDesc:
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
class EdgeDesc:
    """One op applied to cell states ``input_ids`` (one id for ordinary ops)."""

    op_desc: OpDesc
    input_ids: List[int]

    def to_dict(self) -> Dict[str, Any]:
        return {"op": self.op_desc.to_dict(), "input_ids": list(self.input_ids)}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "EdgeDesc":
        return cls(OpDesc.from_dict(d["op"]), [int(i) for i in d["input_ids"]])


@dataclass
class NodeDesc:
    """A node: the sum of its edges' outputs, ``conv_params.ch_out`` channels."""

    edges: List[EdgeDesc]
    conv_params: ConvMacroParams

    def to_dict(self) -> Dict[str, Any]:
        return {"edges": [e.to_dict() for e in self.edges], "conv_params": self.conv_params.to_dict()}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "NodeDesc":
        return cls([EdgeDesc.from_dict(e) for e in d["edges"]], ConvMacroParams.from_dict(d["conv_params"]))


@dataclass
class CellDesc:
    """A cell: pre-processing of its two inputs, the node DAG, and the op merging its output.

    ``s0_op``/``s1_op`` bring the outputs of the cell two back / one back to ``node_ch_out``
    channels (and halve s0's resolution when the previous cell reduced). ``post_op`` merges the
    last ``out_nodes`` states. In a reduction cell, edges reading states 0 and 1 have stride 2.
    """

    id: int
    cell_type: str
    conv_params: ConvMacroParams
    s0_op: OpDesc
    s1_op: OpDesc
    nodes: List[NodeDesc]
    post_op: OpDesc
    out_nodes: int

    def __post_init__(self) -> None:
        if self.cell_type not in CELL_TYPES:
            raise ValueError(f"cell_type must be one of {CELL_TYPES}, got {self.cell_type!r}")
        if not 1 <= self.out_nodes <= len(self.nodes):
            raise ValueError(f"out_nodes must be 1..{len(self.nodes)}, got {self.out_nodes}")

    @property
    def reduction(self) -> bool:
        return self.cell_type == "reduction"

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "cell_type": self.cell_type, "conv_params": self.conv_params.to_dict(),
                "s0_op": self.s0_op.to_dict(), "s1_op": self.s1_op.to_dict(),
                "nodes": [n.to_dict() for n in self.nodes], "post_op": self.post_op.to_dict(),
                "out_nodes": self.out_nodes}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "CellDesc":
        return cls(int(d["id"]), str(d["cell_type"]), ConvMacroParams.from_dict(d["conv_params"]),
                   OpDesc.from_dict(d["s0_op"]), OpDesc.from_dict(d["s1_op"]),
                   [NodeDesc.from_dict(n) for n in d["nodes"]], OpDesc.from_dict(d["post_op"]),
                   int(d["out_nodes"]))


@dataclass
class AuxTowerDesc:
    """An auxiliary classifier on a cell's output (used in training only)."""

    ch_in: int
    n_classes: int
    stride: int = 2

    def to_dict(self) -> Dict[str, Any]:
        return {"ch_in": self.ch_in, "n_classes": self.n_classes, "stride": self.stride}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "AuxTowerDesc":
        return cls(int(d["ch_in"]), int(d["n_classes"]), int(d.get("stride", 2)))


@dataclass
class ModelDesc:
    """A whole network: stems, cells (``aux_tower_descs[i]`` after cell i, or None), pooling and
    logits. ``params`` records how it was built (macro parameters, algorithm) for humans."""

    model_stems: List[OpDesc]
    cell_descs: List[CellDesc]
    aux_tower_descs: List[Optional[AuxTowerDesc]]
    pool_op: OpDesc
    logits_op: OpDesc
    params: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.model_stems) not in (1, 2):
            raise ValueError(f"a model has 1 or 2 stems, got {len(self.model_stems)}")
        if len(self.aux_tower_descs) != len(self.cell_descs):
            raise ValueError("aux_tower_descs needs one entry (or None) per cell")

    def to_dict(self) -> Dict[str, Any]:
        return {"model_stems": [s.to_dict() for s in self.model_stems],
                "cell_descs": [c.to_dict() for c in self.cell_descs],
                "aux_tower_descs": [None if a is None else a.to_dict() for a in self.aux_tower_descs],
                "pool_op": self.pool_op.to_dict(), "logits_op": self.logits_op.to_dict(),
                "params": copy.deepcopy(self.params)}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ModelDesc":
        if not isinstance(d, dict) or "cell_descs" not in d:
            raise ValueError("not a model description: expected a mapping with cell_descs")
        return cls([OpDesc.from_dict(s) for s in d["model_stems"]],
                   [CellDesc.from_dict(c) for c in d["cell_descs"]],
                   [None if a is None else AuxTowerDesc.from_dict(a) for a in d["aux_tower_descs"]],
                   OpDesc.from_dict(d["pool_op"]), OpDesc.from_dict(d["logits_op"]), dict(d.get("params") or {}))

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
        """The description without learned values or provenance: what identifies the architecture."""
        d = self.to_dict()
        d.pop("params", None)
        for cell in d["cell_descs"]:
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
            if cell.cell_type in out:
                continue
            out[cell.cell_type] = [[[e.op_desc.name, e.input_ids[0]] for e in node.edges] for node in cell.nodes]
        return out
