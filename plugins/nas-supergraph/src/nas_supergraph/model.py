"""Modules built from descriptions: ``Model`` (stems, cells, pooling, logits, auxiliary towers),
``Cell``, ``DagEdge`` and ``AuxTower``.

``Model.forward`` returns the logits only, so any evaluator that expects ``model(x) -> logits``
works on it; ``forward_aux`` returns ``(logits, aux_logits)`` for training with an auxiliary
loss. Models run in channels_last memory format by default (about twice as fast on this kind of
CPU for depthwise convs and pooling).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from nas_supergraph.arch_params import ArchModule, ArchParams
from nas_supergraph.descs import AuxTowerDesc, CellDesc, EdgeDesc, ModelDesc
from nas_supergraph.op_lookup import create_op
from nas_supergraph.ops import drop_path


class DagEdge(nn.Module):
    """One op on one (or several) cell states, with drop-path in training."""

    def __init__(self, desc: EdgeDesc, affine: bool) -> None:
        super().__init__()
        self.input_ids = list(desc.input_ids)
        self.op = create_op(desc.op_desc, affine)
        self.droppable = bool(getattr(self.op, "can_drop_path", lambda: True)())
        self.drop_path_prob = 0.0

    def forward(self, states: Sequence[torch.Tensor]) -> torch.Tensor:
        x = states[self.input_ids[0]] if len(self.input_ids) == 1 else [states[i] for i in self.input_ids]
        out = self.op(x)
        if self.droppable and self.training and self.drop_path_prob > 0.0:
            out = drop_path(out, self.drop_path_prob, True)
        return out


class Cell(nn.Module):
    def __init__(self, desc: CellDesc, affine: bool) -> None:
        super().__init__()
        self.desc = desc
        self.s0_op = create_op(desc.s0_op, affine)
        self.s1_op = create_op(desc.s1_op, affine)
        self.nodes = nn.ModuleList(nn.ModuleList(DagEdge(e, affine) for e in node.edges) for node in desc.nodes)
        self.post_op = create_op(desc.post_op, affine)
        for i, node in enumerate(desc.nodes):
            if not node.edges:
                raise ValueError(f"cell {desc.id}: node {i} has no edges")

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
        return self.post_op(states[-self.desc.out_nodes:])


class AuxTower(nn.Module):
    """Auxiliary classifier: ReLU, pool to 2x2, 1x1 conv to 128, 2x2 conv to 768, linear. The
    adaptive pool (instead of a fixed 5x5 window) lets it work on small inputs such as 8x8."""

    def __init__(self, desc: AuxTowerDesc) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(), nn.AdaptiveAvgPool2d(2),
            nn.Conv2d(desc.ch_in, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU())
        self.logits = nn.Linear(768, desc.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(torch.flatten(self.features(x), 1))


class Model(ArchModule):
    """A network from a ``ModelDesc``.

    Args:
        desc: the description (kept as ``self.desc``).
        affine: whether the cells' batch norms learn scale and shift (DARTS searches without).
        drop_path_prob: initial drop-path probability (``model.drop_path_prob = p`` changes it).
        channels_last: run in channels_last memory format.
        share_arch_params: cells of the same type share one ``ArchParams`` (DARTS); else one per cell.
    """

    def __init__(self, desc: ModelDesc, affine: bool = True, drop_path_prob: float = 0.0,
                 channels_last: bool = True, share_arch_params: bool = True) -> None:
        super().__init__()
        self.desc = desc
        self.channels_last = channels_last
        self.stems = nn.ModuleList(create_op(s, True) for s in desc.model_stems)
        self.cells = nn.ModuleList(Cell(c, affine) for c in desc.cell_descs)
        self.aux_towers = nn.ModuleList(nn.Identity() if a is None else AuxTower(a) for a in desc.aux_tower_descs)
        self._has_aux = [a is not None for a in desc.aux_tower_descs]
        self.pool_op = create_op(desc.pool_op, True)
        self.logits_op = create_op(desc.logits_op, True)
        self.arch_params = nn.ModuleDict()
        self._share_arch_params(share_arch_params)
        self._drop_path_prob = 0.0
        self.drop_path_prob = drop_path_prob
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def _share_arch_params(self, share: bool) -> None:
        from nas_supergraph.mixed_op import MixedOp

        for i, cell in enumerate(self.cells):
            mixed = [e.op for e in cell.edges() if isinstance(e.op, MixedOp)]
            if not mixed:
                continue
            key = cell.desc.cell_type if share else f"cell{i}"
            num_ops = len(mixed[0].names)
            if key not in self.arch_params:
                self.arch_params[key] = ArchParams(len(mixed), num_ops)
            shared = self.arch_params[key]
            if shared.num_edges != len(mixed) or any(len(m.names) != num_ops for m in mixed):
                raise ValueError(f"cells of type {key!r} differ in their mixed ops; build with share_arch_params=False")
            for row, op in enumerate(mixed):
                op.share_arch_params(shared, row)

    @property
    def drop_path_prob(self) -> float:
        return self._drop_path_prob

    @drop_path_prob.setter
    def drop_path_prob(self, p: float) -> None:
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"drop_path_prob must be in [0, 1), got {p}")
        self._drop_path_prob = float(p)
        for cell in self.cells:
            for edge in cell.edges():
                edge.drop_path_prob = float(p)

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
        """Architecture logits per cell type (or per cell), detached."""
        return {k: ap.alphas.detach().clone() for k, ap in self.arch_params.items()}

    def forward_aux(self, x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_aux(x)[0]
