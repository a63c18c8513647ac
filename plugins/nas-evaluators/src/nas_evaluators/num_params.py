"""Parameter count (Archai's ``TorchNumParameters``)."""
from __future__ import annotations

from typing import List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.references import resolve_value


class TorchNumParameters(ModelEvaluator):
    """Number of parameters of ``model.arch``.

    Args:
        exclude_cls: module classes (or ``"module:Class"`` strings) whose parameters are not
            counted. Each parameter is counted at most once, so nested excluded modules and shared
            weights are not subtracted twice (unlike Archai 1.0).
        trainable_only: count only parameters with ``requires_grad``.
    """

    def __init__(self, exclude_cls: Optional[List] = None, trainable_only: bool = True) -> None:
        if exclude_cls is not None and not isinstance(exclude_cls, (list, tuple)):
            exclude_cls = [exclude_cls]
        self.exclude_cls = list(exclude_cls or [])
        for ref in self.exclude_cls:
            if not isinstance(ref, (str, type)):
                raise ValueError(f"exclude_cls entries must be classes or 'module:Class' strings, got {ref!r}")
        self.trainable_only = bool(trainable_only)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        net = arch.arch
        classes = tuple(resolve_value(c, "exclude_cls") for c in self.exclude_cls)
        excluded = set()
        if classes:
            for module in net.modules():
                if isinstance(module, classes):
                    excluded.update(id(p) for p in module.parameters())
        seen, total = set(), 0
        for p in net.parameters():  # parameters() already yields shared weights once
            if id(p) in excluded or id(p) in seen or (self.trainable_only and not p.requires_grad):
                continue
            seen.add(id(p))
            total += p.numel()
        return float(total)
