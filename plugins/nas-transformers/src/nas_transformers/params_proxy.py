"""The Lightweight-Transformer-Search proxy: a decoder's parameter count without its embeddings.

LTS found that, inside one decoder family, the non-embedding parameter count ranks validation
perplexity well, without any training. Embeddings are excluded because their size follows the
vocabulary and the context length, not the model's capacity.
"""
from __future__ import annotations

from typing import List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator


class NonEmbeddingParamsProxy(ModelEvaluator):
    """Parameters outside the embedding modules (Archai's ``NonEmbeddingParamsProxy``).

    Args:
        exclude_cls: module classes whose parameters are left out (default ``torch.nn.Embedding``);
            in YAML a list of ``"package.module:Class"`` strings.
        trainable_only: count only parameters with ``requires_grad``.

    A tied output head shares the token embedding's weight, so it is left out with it.
    """

    def __init__(self, exclude_cls: Optional[List] = None, trainable_only: bool = True) -> None:
        self.exclude_cls = exclude_cls
        self.trainable_only = bool(trainable_only)

    def _excluded(self):
        import torch

        from nas_kernel.toolbox.references import resolve_value

        if self.exclude_cls is None:
            return (torch.nn.Embedding,)
        return tuple(resolve_value(c, "exclude_cls") for c in self.exclude_cls)

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        config, arch_type = arch.metadata.get("config"), arch.metadata.get("arch_type")
        if not arch.is_built and self.exclude_cls is None and config is not None and arch_type is not None:
            # a transformer_flex model not built yet: its count from the formula, without building it
            from nas_transformers.arch_config import embedding_param_count, param_count

            return float(param_count(config, arch_type) - embedding_param_count(config, arch_type))
        net, excluded = arch.arch, self._excluded()
        embedded = {id(p) for m in net.modules() if isinstance(m, excluded) for p in m.parameters()}
        return float(sum(p.numel() for p in net.parameters()
                         if id(p) not in embedded and (p.requires_grad or not self.trainable_only)))
