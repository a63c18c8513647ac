"""Acquisition functions on predicted (mean, variance), all in "smaller is better" form so that
non-dominated sorting over several objectives can rank candidates directly."""
from __future__ import annotations

import math
import random

import numpy as np

ACQUISITIONS = ("ei", "ucb", "thompson")


def expected_improvement(mean: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """EI below ``best`` for minimisation (returned negated: smaller is better)."""
    std = np.sqrt(np.maximum(var, 1e-12))
    z = (best - mean) / std
    cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * z ** 2) / math.sqrt(2.0 * math.pi)
    return -((best - mean) * cdf + std * pdf)


_erf = np.vectorize(math.erf, otypes=[float])


def lower_confidence_bound(mean: np.ndarray, var: np.ndarray, kappa: float) -> np.ndarray:
    return mean - kappa * np.sqrt(np.maximum(var, 0.0))


def thompson(mean: np.ndarray, var: np.ndarray, rng: random.Random) -> np.ndarray:
    """One independent normal draw per candidate, seeded from the searcher's rng."""
    draws = np.random.default_rng(rng.getrandbits(63)).standard_normal(mean.shape)
    return mean + draws * np.sqrt(np.maximum(var, 0.0))


def score(kind: str, mean: np.ndarray, var: np.ndarray, best: float, kappa: float, rng: random.Random) -> np.ndarray:
    """Score of minimisation-oriented predictions (one objective column); smaller is better."""
    if kind == "ei":
        return expected_improvement(mean, var, best if math.isfinite(best) else float(np.min(mean)))
    if kind == "ucb":
        return lower_confidence_bound(mean, var, kappa)
    if kind == "thompson":
        return thompson(mean, var, rng)
    raise ValueError(f"acquisition must be one of {ACQUISITIONS}, got {kind!r}")
