"""Small, known-good components for testing your own against: a search space for evaluator and
searcher tests, an evaluator for searcher tests. They need neither torch nor data, so a test
that uses them measures your component, not theirs.

``IntegerSpace`` architectures are integers; ``model.arch`` is a plain dict standing in for a
network (``{"value": x, "weights": [...]}``), and every method works from the archid alone.
"""
from __future__ import annotations

import json
import random
import zlib

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace, ModelEvaluator


def _value(model: ArchaiModel) -> int:
    prefix, _, digits = model.archid.partition("-")
    if prefix != "int" or not digits.isdigit():
        raise ValueError(f"archid {model.archid!r} is not an IntegerSpace archid ('int-<n>')")
    return int(digits)


class IntegerSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """The integers ``0 .. size-1``; a mutation moves at most ``step`` away.

    Args:
        size: number of architectures (at least 2).
        step: largest move of ``mutate``.
        seed: seeds ``random_sample`` and ``mutate``.
    """

    def __init__(self, size: int = 1000, step: int = 3, seed: int = 1) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise ValueError(f"size must be a whole number of at least 2, got {size!r}")
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise ValueError(f"step must be a positive whole number, got {step!r}")
        self.size, self.step, self.seed = size, step, seed
        self.rng = random.Random(seed)

    def model(self, x: int):
        """The architecture ``x``, built lazily."""
        return ArchaiModel(None, f"int-{x}", builder=lambda: {"value": x, "weights": [0.0, 0.0]})

    @overrides
    def random_sample(self):
        return self.model(self.rng.randrange(self.size))

    @overrides
    def mutate(self, arch):
        x = _value(arch) + self.rng.randint(-self.step, self.step)
        return self.model(min(self.size - 1, max(0, x)))

    @overrides
    def crossover(self, arch_list):
        return self.model(sum(_value(a) for a in arch_list) // len(arch_list))

    @overrides
    def encode(self, arch):
        return np.array([_value(arch) / self.size], dtype=float)

    @overrides
    def save_arch(self, model, file_path):
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump({"archid": model.archid}, f)

    @overrides
    def load_arch(self, file_path):
        with open(file_path, encoding="utf-8") as f:
            return self.model(_value(ArchaiModel(None, json.load(f)["archid"])))

    @overrides
    def save_model_weights(self, model, file_path):
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump(model.arch["weights"], f)

    @overrides
    def load_model_weights(self, model, file_path):
        with open(file_path, encoding="utf-8") as f:
            model.arch["weights"] = [float(w) for w in json.load(f)]


class ArchidScore(ModelEvaluator):
    """A fixed pseudo-random score in [0, 1) per archid: deterministic, instant, needs no arch."""

    @overrides
    def evaluate(self, arch, budget=None):
        return zlib.crc32(arch.archid.encode()) / 2**32
