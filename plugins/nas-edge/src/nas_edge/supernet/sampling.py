"""Which sub-networks a training step trains: the sandwich rule, within the phase of progressive
shrinking the epoch is in.

Each step trains the largest sub-network, the smallest and ``num_random`` drawn at random (the
sandwich rule: the extremes bound every sub-network's accuracy, the random ones cover the middle).
With ``resolution_per_step`` all of them, the largest (the teacher of in-place distillation)
included, run at one resolution drawn for the step, as once-for-all trains elastic resolution.
Drawing the resolution per sub-network instead puts the largest (and the teacher) always at the
highest resolution and the smallest always at the lowest; on digits at 8x8 and 16x16
(``tests/benchmarks/supernet.py``, four seeds) that rated shallow high-resolution sub-networks
below deeper low-resolution ones that beat them trained alone, and ranked the sub-networks at
Kendall tau -0.17 to 0.54 against their standalone accuracy, where one resolution per step gives
0.31 to 0.66.
Draws come from a generator seeded by ``(seed, epoch, step)``, so a resumed run draws what a
straight run draws.

Progressive shrinking (``progressive: true``) splits the epochs into four equal phases that open
the choices one after the other, largest first, as once-for-all does: the largest network only,
then elastic kernels, then elastic depth, then elastic expansion. The input resolution is elastic
in every phase.
"""
from __future__ import annotations

import random
from typing import List, Optional, Tuple

from nas_edge.mobilenet_arch import MobileNetArch
from nas_edge.supernet.config import SupernetConfig

PHASES = ("largest", "kernel", "depth", "expansion")


def phase_of(epoch: int, epochs: int, progressive: bool) -> int:
    """Index into :data:`PHASES` of ``epoch`` (the last phase when not progressive)."""
    if not progressive:
        return len(PHASES) - 1
    return min(len(PHASES) - 1, epoch * len(PHASES) // max(1, epochs))


def allowed(config: SupernetConfig, phase: int) -> Tuple[Tuple[int, ...], Tuple[int, ...], Tuple[int, ...]]:
    """``(kernels, depths, expansions)`` open in ``phase``."""
    kernels = config.kernels if phase >= 1 else (max(config.kernels),)
    depths = config.depths if phase >= 2 else (max(config.depths),)
    expansions = config.expansions if phase >= 3 else (max(config.expansions),)
    return kernels, depths, expansions


def random_arch(config: SupernetConfig, rng: random.Random, phase: int = len(PHASES) - 1,
                resolution: Optional[int] = None) -> MobileNetArch:
    kernels, depths, expansions = allowed(config, phase)
    blocks = tuple(tuple((rng.choice(kernels), rng.choice(expansions)) for _ in range(rng.choice(depths)))
                   for _ in config.table.stages)
    return MobileNetArch(rng.choice(config.resolutions) if resolution is None else resolution, config.width, blocks)


def sandwich(config: SupernetConfig, seed: int, epoch: int, step: int, num_random: int,
             phase: int = len(PHASES) - 1, *, resolution_per_step: bool) -> List[MobileNetArch]:
    """The largest, the smallest (within ``phase``) and ``num_random`` random sub-networks; with
    ``resolution_per_step`` all of them at one resolution drawn for the step."""
    rng = random.Random(f"supernet:{seed}:{epoch}:{step}")
    kernels, depths, expansions = allowed(config, phase)
    step_resolution = rng.choice(config.resolutions) if resolution_per_step else None
    largest = config.largest()
    if step_resolution is not None:
        largest = MobileNetArch(step_resolution, largest.width, largest.blocks)
    low = MobileNetArch(min(config.resolutions) if step_resolution is None else step_resolution, config.width,
                        tuple(((min(kernels), min(expansions)),) * min(depths) for _ in config.table.stages))
    return [largest, low] + [random_arch(config, rng, phase, step_resolution) for _ in range(num_random)]
