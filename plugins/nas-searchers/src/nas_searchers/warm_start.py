"""Zero-cost warm start and move proposal (Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost
Proxies for Lightweight NAS", ICLR 2021): a cheap score - a zero-cost proxy such as ``synflow``,
or a cheap objective such as the parameter count - ranks a large random pool, and the search
starts from the best of it instead of from random models; optionally each mutation is the one
the score ranks highest among a few drawn.

The score is any ``ModelEvaluator`` whose higher values are better (every proxy of nas-evaluators
is). It is not a query: it is never stored as a result, and what it cost is counted here
(``evaluations``, ``seconds``) so a benchmark can print it beside the queries. Values are cached
by archid; a deterministic proxy (the zero-cost ones are seeded) gives a resumed search the same
starting population as the original run.
"""
from __future__ import annotations

import math
import time
from typing import Any, Dict, List, Sequence

import numpy as np

from nas_kernel import ArchaiModel, ModelEvaluator


class ProxyScores:
    """Cached scores of one proxy, with what computing them cost."""

    def __init__(self, proxy: Any) -> None:
        if not isinstance(proxy, ModelEvaluator):
            raise ValueError(f"warm_start must be a ModelEvaluator (a zero-cost proxy or a cheap objective), "
                             f"got {type(proxy).__name__}")
        self.proxy = proxy
        self.cache: Dict[str, float] = {}
        self.evaluations = 0
        self.seconds = 0.0

    def __call__(self, models: Sequence[ArchaiModel]) -> np.ndarray:
        out = np.empty(len(models))
        for i, model in enumerate(models):
            if model.archid not in self.cache:
                started = time.perf_counter()
                value = float(self.proxy.evaluate(model))
                self.seconds += time.perf_counter() - started
                self.evaluations += 1
                self.cache[model.archid] = value if math.isfinite(value) else -math.inf
            out[i] = self.cache[model.archid]
        return out

    def best(self, models: Sequence[ArchaiModel], n: int) -> List[ArchaiModel]:
        """The ``n`` best-scored models, best first (ties in the given order)."""
        scores = self(models)
        order = sorted(range(len(models)), key=lambda i: -scores[i])
        return [models[i] for i in order[:n]]
