"""A toy plugin for the tracking tests: integer architectures (with their value as an
architecture parameter), an instant score, a slow score (so a test can kill a search between
iterations), a score that fails on every fifth archid, and the reference random sampling. No torch, no data: the
tests measure the trackers."""
from __future__ import annotations

import time
import zlib

from overrides import overrides

from nas_kernel import ArchaiModel, ModelEvaluator, hookimpl
from nas_kernel.testing.reference import IntegerSpace, RandomSampling


class Integers(IntegerSpace):
    @overrides
    def model(self, x: int):
        return ArchaiModel(None, f"int-{x}", metadata={"value": x, "odd": bool(x % 2)},
                           builder=lambda: {"value": x, "weights": [0.0, 0.0]})


class Score(ModelEvaluator):
    """crc32 of the archid in [0, 1); ``delay`` seconds per call; ``fail_every`` fails archids
    whose value is a multiple of it."""

    def __init__(self, delay: float = 0.0, fail_every: int = 0) -> None:
        self.delay, self.fail_every = delay, fail_every

    @overrides
    def evaluate(self, arch, budget=None):
        if self.delay:
            time.sleep(self.delay)
        if self.fail_every and int(arch.archid.split("-")[1]) % self.fail_every == 0:
            raise RuntimeError(f"toy failure for {arch.archid}")
        return zlib.crc32(arch.archid.encode()) / 2**32


@hookimpl
def register_search_spaces(register):
    register("toy_integers", Integers)


@hookimpl
def register_evaluators(register):
    register("toy_score", Score)


@hookimpl
def register_searchers(register):
    register("toy_random", RandomSampling)
