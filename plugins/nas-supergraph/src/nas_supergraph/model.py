"""Modules built from descriptions: ``Model`` (stems, cells, pooling, logits, auxiliary towers),
``Cell``, ``DagEdge`` and ``AuxTower``.

``Model.forward`` returns ``(logits, aux_logits)`` (``aux_logits`` is None in eval mode or
without an auxiliary tower); ``LogitsModel`` wraps a ``Model`` for code that expects
``model(x) -> logits`` (the kernel's evaluators). A cell whose ``trainables_from`` names an
earlier cell builds each edge with that cell's edge as template, so both use one set of
architecture weights (DARTS shares alphas across the cells of a type). Models run in
channels_last memory format by default (about twice as fast on this kind of CPU for depthwise
convs and pooling).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from nas_kernel.toolbox.params import check_number
from nas_kernel.api.overridable import OpenModuleOverrides
from nas_supergraph.arch_params import ArchModule
from nas_supergraph.model_desc import AuxTowerDesc, CellDesc, EdgeDesc, ModelDesc
from nas_supergraph.operations import DropPath_, Op


class DagEdge(ArchModule):
    """One op on one (or several) cell states, with drop-path in training when ``droppath`` and
    the op allows it. ``template_edge``: share that edge's architecture weights."""

    def __init__(self, desc: EdgeDesc, affine: bool, droppath: bool, template_edge: Optional["DagEdge"]) -> None:
        super().__init__()
        self.desc = desc
        self.input_ids = list(desc.input_ids)
        shared = None
        if template_edge is not None and isinstance(template_edge.op, ArchModule):
            shared = template_edge.op.arch_params()
            shared = shared if len(shared) else None
        self.op = Op.create(desc.op_desc, affine, shared)
        can_drop = bool(getattr(self.op, "can_drop_path", lambda: True)())
        self.drop_path = DropPath_() if droppath and can_drop else None

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        x = inputs[self.input_ids[0]] if len(self.input_ids) == 1 else [inputs[i] for i in self.input_ids]
        out = self.op(x)
        if self.drop_path is not None and self.training and self.drop_path.p > 0.0:
            out = self.drop_path(out)
        return out


class Cell(ArchModule):
    """Two stems, the node DAG and the post op of a ``CellDesc``; ``trainables_from``: the cell
    whose architecture weights this one shares (edge by edge)."""

    def __init__(self, desc: CellDesc, affine: bool, droppath: bool, trainables_from: Optional["Cell"]) -> None:
        super().__init__()
        self.desc = desc
        self.s0_op = Op.create(desc.stems[0], affine)
        self.s1_op = Op.create(desc.stems[1], affine)
        if trainables_from is not None and [len(n) for n in trainables_from.nodes] != [len(n.edges) for n in desc.nodes]:
            raise ValueError(f"cell {desc.id} cannot share trainables with cell {trainables_from.desc.id}: "
                             "their nodes have different edges")
        self.nodes = nn.ModuleList()
        for i, node in enumerate(desc.nodes):
            if not node.edges:
                raise ValueError(f"cell {desc.id}: node {i} has no edges")
            templates = list(trainables_from.nodes[i]) if trainables_from is not None else [None] * len(node.edges)
            self.nodes.append(nn.ModuleList(DagEdge(e, affine, droppath, t) for e, t in zip(node.edges, templates)))
        self.post_op = Op.create(desc.post_op, affine)

    def edges(self) -> List[DagEdge]:
        return [edge for node in self.nodes for edge in node]

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.s0_op(s0), self.s1_op(s1)]
        for node in self.nodes:
            total = None
            for edge in node:
                out = edge(states)
                total = out if total is None else total + out
            states.append(total)
        return self.post_op(states)


class AuxTower(OpenModuleOverrides, nn.Module):
    """Auxiliary classifier: ReLU, 5x5 average pooling at the description's ``stride``, 1x1 conv
    to 128, 2x2 conv to 768, linear. On maps smaller than 5x5 (digits' 8x8 images after a
    reduction) the pooling becomes an adaptive pool to 2x2, and a map left larger than 1x1 after
    the 2x2 conv is averaged, so the tower works at any input size."""

    def __init__(self, aux_tower_desc: AuxTowerDesc) -> None:
        super().__init__()
        self.stride = aux_tower_desc.stride
        self.pool = nn.AvgPool2d(5, stride=self.stride, padding=0, count_include_pad=False)
        self.features = nn.Sequential(
            nn.Conv2d(aux_tower_desc.ch_in, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU())
        self.linear = nn.Linear(768, aux_tower_desc.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(x)
        x = self.pool(x) if min(x.shape[2:]) >= 5 else F.adaptive_avg_pool2d(x, 2)
        x = self.features(x)
        if x.shape[2] * x.shape[3] > 1:
            x = F.adaptive_avg_pool2d(x, 1)
        return self.linear(torch.flatten(x, 1))


class Model(ArchModule):
    """A network from a ``ModelDesc``.

    Args:
        model_desc: the description (kept as ``self.desc``).
        droppath: edges that allow it get a ``DropPath_`` (probability set by ``drop_path_prob``).
        affine: whether the cells' batch norms learn scale and shift (DARTS searches without).
        channels_last: run in channels_last memory format.
    """

    def __init__(self, model_desc: ModelDesc, droppath: bool = True, affine: bool = True, *,
                 channels_last: bool = True) -> None:
        super().__init__()
        self.desc = model_desc
        self.channels_last = channels_last
        self.stems = nn.ModuleList(Op.create(s, True) for s in model_desc.model_stems)
        self.cells = nn.ModuleList()
        for i, cell_desc in enumerate(model_desc.cell_descs):
            source = cell_desc.trainables_from
            if not 0 <= source <= i:
                raise ValueError(f"cell {i}: trainables_from must name this or an earlier cell, got {source}")
            self.cells.append(Cell(cell_desc, affine, droppath, self.cells[source] if source != i else None))
        self.aux_towers = nn.ModuleList(nn.Identity() if a is None else AuxTower(a)
                                        for a in model_desc.aux_tower_descs)
        self._has_aux = [a is not None for a in model_desc.aux_tower_descs]
        self.pool_op = Op.create(model_desc.pool_op, True)
        self.logits_op = Op.create(model_desc.logits_op, True)
        self._drop_path_p = 0.0
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def drop_path_prob(self, p: float) -> None:
        """Set the drop-path probability of every edge (the evaluater raises it every epoch)."""
        p = check_number("drop_path_prob", p, 0.0, 1.0)
        if p == 1.0:
            raise ValueError("drop_path_prob must be in [0, 1), got 1.0")
        self._drop_path_p = p
        for module in self.modules():
            if isinstance(module, DropPath_):
                module.p = p

    @property
    def drop_path_p(self) -> float:
        return self._drop_path_p

    def mixed_ops(self):
        from nas_supergraph.mixed_op import MixedOp

        return [m for m in self.modules() if isinstance(m, MixedOp)]

    def set_op_weighting(self, weighting: str, tau: float = 1.0) -> None:
        """How mixed ops weigh candidates: ``softmax`` (DARTS), ``gumbel_soft`` or ``gumbel_hard`` (GDAS)."""
        from nas_supergraph.mixed_op import WEIGHTINGS

        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
        for op in self.mixed_ops():
            op.weighting, op.tau = weighting, float(tau)

    def alphas(self) -> Dict[str, torch.Tensor]:
        """Architecture logits of each cell that owns them, one row per searchable edge, detached:
        keyed by cell type (the first owner of a type) or ``cell<i>``."""
        from nas_supergraph.mixed_op import MixedOp

        out: Dict[str, torch.Tensor] = {}
        for i, cell in enumerate(self.cells):
            if cell.desc.trainables_from != i:
                continue
            rows = [e.op.alphas().detach().clone() for e in cell.edges() if isinstance(e.op, MixedOp)]
            if rows and len({r.numel() for r in rows}) == 1:
                key = cell.desc.cell_type.value
                out[key if key not in out else f"cell{i}"] = torch.stack(rows)
        return out

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        s0 = self.stems[0](x)
        s1 = self.stems[1](x) if len(self.stems) > 1 else s0
        aux = None
        for cell, tower, has_aux in zip(self.cells, self.aux_towers, self._has_aux):
            s0, s1 = s1, cell(s0, s1)
            if has_aux and self.training:
                aux = tower(s1)
        return self.logits_op(self.pool_op(s1)), aux


class LogitsModel(OpenModuleOverrides, nn.Module):
    """``model(x) -> logits`` over a ``Model`` (for evaluators that expect plain logits)."""

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.model = model

    @property
    def desc(self) -> ModelDesc:
        return self.model.desc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)[0]
