"""Learning-rate schedules shared by the plugins that train (partial training, the supergraph
trainers), so one formula is not written twice with different horizons.

A schedule is a pure function of the step: training resumed from a checkpoint follows exactly
the schedule that training straight through would have. The caller states the horizon: the
step at which the value reaches ``end`` (``epochs - 1`` to end exactly on the last epoch, as
partial training does; ``epochs`` for PyTorch's ``CosineAnnealingLR(T_max=epochs)`` convention,
as the supergraph trainers do).
"""
from __future__ import annotations

import math

__all__ = ["cosine_anneal"]


def cosine_anneal(start: float, end: float, step: int, horizon: int) -> float:
    """``start`` at step 0, falling along a half cosine to ``end`` at ``horizon`` and held there
    (a horizon below 1 keeps ``start``)."""
    if horizon < 1:
        return start
    t = min(max(step, 0), horizon) / horizon
    return end + 0.5 * (start - end) * (1 + math.cos(math.pi * t))
