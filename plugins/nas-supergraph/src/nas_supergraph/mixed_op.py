"""The DARTS mixed op: a weighted sum over candidate ops, weights from softmax (DARTS) or Gumbel
samples (GDAS) of its edge's alphas.

It does no work it can avoid: ``none`` is never run (it adds zero), a candidate whose weight is
exactly zero (pruned, or not drawn by a hard Gumbel sample) is skipped, and the leading ReLU that
most candidates share is applied once, and each candidate's weight is folded into the scale of
its final batch norm instead of costing a multiply pass (forward and backward).
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from nas_supergraph.arch_params import ArchParams
from nas_supergraph.model_desc import OpDesc
from nas_supergraph.operations import PRIMITIVES, BNLastOp, Op, Zero

WEIGHTINGS = ("softmax", "gumbel_soft", "gumbel_hard")


class MixedOp(Op):
    """Candidates from ``op_desc.params['ops']`` (default: the 8 DARTS primitives), all with the
    edge's channels and stride. Creates (owns) its ``alphas`` unless given the ``ArchParams`` of
    a template edge to share."""

    def __init__(self, op_desc: OpDesc, arch_params: Optional[ArchParams] = None, affine: bool = False) -> None:
        super().__init__()
        self.desc = op_desc
        names = list(op_desc.params.get("ops") or PRIMITIVES)
        if len(set(names)) != len(names):
            raise ValueError(f"mixed_op candidates must be distinct, got {names}")
        self.names: List[str] = names
        conv, stride = op_desc.conv, op_desc.stride
        self.candidates = nn.ModuleList(Op.create(OpDesc(n, {"conv": conv, "stride": stride}), affine)
                                        for n in names)
        self.zero = Zero(OpDesc("none", {"conv": conv, "stride": stride}))
        if arch_params is None:
            self.create_arch_params([("alphas", nn.Parameter(1e-3 * torch.randn(len(names))))])
        else:
            alphas = arch_params["alphas"] if "alphas" in arch_params else None
            if not isinstance(alphas, nn.Parameter) or tuple(alphas.shape) != (len(names),):
                raise ValueError(f"shared arch_params need 'alphas' of shape ({len(names)},) for this edge's "
                                 f"candidates {names}")
            self.set_arch_params(arch_params)
        self.weighting = "softmax"
        self.tau = 1.0
        #: False runs the textbook sum over every candidate (for benchmarks and cross-checks)
        self.fused = True
        self.register_buffer("active", torch.ones(len(names), dtype=torch.bool), persistent=True)
        self._none = {i for i, n in enumerate(names) if n == "none"}
        # ``active`` as the host knows it (kept by prune and state-dict loads): which candidates a
        # softmax forward runs is then known without reading the GPU
        self._active_host = [True] * len(names)

    # ---- architecture weights ----------------------------------------------------------------
    def alphas(self) -> torch.Tensor:
        return self.arch_params()["alphas"]

    def op_weights(self) -> torch.Tensor:
        """Weights used in the forward pass (pruned candidates get exactly 0)."""
        logits = self.alphas()
        if not all(self._active_host):
            logits = logits.masked_fill(~self.active, float("-inf"))
        if self.weighting == "softmax" or not self.training:
            return F.softmax(logits, dim=-1)
        return F.gumbel_softmax(logits, tau=self.tau, hard=self.weighting == "gumbel_hard")

    def prune(self, keep: Sequence[str]) -> None:
        """Keep only the named candidates; the others are never run again."""
        unknown = set(keep) - set(self.names)
        if unknown or not keep:
            raise ValueError(f"prune: keep must name candidates of {self.names}, got {list(keep)}")
        self.active.copy_(torch.tensor([n in keep for n in self.names]))
        self._active_host = [n in keep for n in self.names]

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._active_host = [bool(a) for a in self.active.tolist()]  # once per load, not per forward

    # ---- forward -----------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.op_weights()
        if not self.fused:
            return sum(w * op(x) for w, op in zip(weights, self.candidates))
        if self.weighting == "softmax" or not self.training:  # every active weight is > 0: no GPU read
            run = [i for i, on in enumerate(self._active_host) if on and i not in self._none]
        else:  # which candidates a Gumbel sample drew: one read per edge, the price of running only those
            values = weights.detach().tolist()
            run = [i for i, v in enumerate(values) if v != 0.0 and i not in self._none]
        if not run:
            return self.zero(x)
        fold = [isinstance(self.candidates[i], BNLastOp) for i in run]  # third-party ops: plain call
        x_relu = F.relu(x) if any(f and self.candidates[i].relu_first for i, f in zip(run, fold)) else None
        out = None
        for i, folded in zip(run, fold):
            op = self.candidates[i]
            if folded:  # [ReLU ->] body -> BN: weight folded into the BN's scale
                y = scaled_batch_norm(op.final_bn, op.forward_pre_bn(x_relu if op.relu_first else x), weights[i])
            else:
                y = op(x) * weights[i]
            # every y is a fresh tensor no backward needs, so accumulating in place is safe
            out = y if out is None else out.add_(y)
        return out

    # ---- finalizing --------------------------------------------------------------------------
    def finalize(self):
        """The strongest candidate other than ``none`` (and pruned ones), with its softmax weight."""
        with torch.no_grad():
            probs = F.softmax(self.alphas(), dim=-1)
        best, best_p = None, -1.0
        for i, name in enumerate(self.names):
            if name == "none" or not bool(self.active[i]):
                continue
            if float(probs[i]) > best_p:
                best, best_p = i, float(probs[i])
        if best is None:
            raise ValueError("mixed_op has no candidate other than 'none' to finalize to")
        desc = OpDesc(self.names[best], {"conv": self.desc.conv, "stride": self.desc.stride},
                      trainables={"weight": round(best_p, 6)})
        return desc, best_p

    def ops(self) -> Iterator[Tuple[Op, float]]:
        """``(candidate, softmax weight)`` pairs, pruned candidates left out."""
        with torch.no_grad():
            probs = F.softmax(self.alphas().masked_fill(~self.active, float("-inf")), dim=-1).tolist()
        for i, op in enumerate(self.candidates):
            if bool(self.active[i]):
                yield op, probs[i]

    def can_drop_path(self) -> bool:
        return False


def scaled_batch_norm(bn: nn.BatchNorm2d, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``scale * bn(x)`` in one batch-norm call (same output, same running-statistics update)."""
    # a materialised weight: an expanded (stride-0) one sends batch norm down a slow path
    weight = scale.expand(bn.num_features).contiguous() if bn.weight is None else bn.weight * scale
    bias = None if bn.bias is None else bn.bias * scale
    momentum = 0.0 if bn.momentum is None else bn.momentum
    if bn.training and bn.track_running_stats:
        bn.num_batches_tracked.add_(1)
        if bn.momentum is None:
            momentum = 1.0 / float(bn.num_batches_tracked)
    use_batch_stats = bn.training or not bn.track_running_stats
    return F.batch_norm(x, bn.running_mean, bn.running_var, weight, bias, use_batch_stats, momentum, bn.eps)


def make_mixed_op(op_desc: OpDesc, affine: bool = False, arch_params: Optional[ArchParams] = None) -> MixedOp:
    return MixedOp(op_desc, arch_params, affine)
