"""HiveNAS's Adaptive Continuation Threshold (ACT): stop training a candidate whose validation
accuracy falls behind a bar that starts just above chance and rises with every epoch.

After epoch ``e`` (1-based) a candidate continues only if its validation accuracy is at least

    T(e) = 1 - 1 / ( 1 / ((1 - beta) * (1 - 1/n)) + zeta * (e - 1) )

with ``n`` classes. ``T(1) = 1/n + beta * (1 - 1/n)`` (chance level plus a share ``beta`` of the
headroom) and ``T`` approaches 1 in shrinking steps set by ``zeta``. ``beta = 0`` disables ACT.
"""
from __future__ import annotations


def act_threshold(epoch: int, num_classes: int, beta: float, zeta: float) -> float:
    """The accuracy a candidate needs after ``epoch`` (1-based) to keep training."""
    if epoch < 1:
        raise ValueError(f"epoch is 1-based, got {epoch}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    if not 0 <= beta < 1 or zeta < 0:
        raise ValueError(f"need 0 <= beta < 1 and zeta >= 0, got beta={beta}, zeta={zeta}")
    start = 1.0 / ((1.0 - beta) * (1.0 - 1.0 / num_classes))
    return 1.0 - 1.0 / (start + zeta * (epoch - 1))
