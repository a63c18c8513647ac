"""A tiny discrete space and table-like evaluators for the searcher tests: no torch, no training,
so every searcher can run many iterations in milliseconds. Unlike the kernel's reference
``IntegerSpace`` it has a landscape the algorithms' promises are tested on: four digits of six
levels, a neighbour changes one digit, a smooth peak at ``TARGET`` and a trap at ``TRAP``."""
from __future__ import annotations

import json
import random

import numpy as np
from overrides import overrides

from nas_kernel import (ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace, ModelEvaluator,
                        SearchObjectives)

DIGITS, LEVELS = 4, 6  # 6**4 = 1296 architectures; a neighbour changes one digit
TARGET = (4, 1, 5, 2)
TRAP, PEAK = (0,) * DIGITS, (LEVELS - 1,) * DIGITS  # the two peaks of TwoPeaks


def model_of(digits, parent=None) -> ArchaiModel:
    digits = tuple(int(d) for d in digits)
    meta = {} if parent is None else {"parent": parent}
    return ArchaiModel(None, "d" + "".join(map(str, digits)), meta, builder=lambda: {"digits": digits})


def digits_of(model: ArchaiModel):
    return tuple(int(c) for c in model.archid[1:])  # from the archid alone: works on cleared models


class DigitSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)

    @overrides
    def random_sample(self):
        return model_of(self.rng.randrange(LEVELS) for _ in range(DIGITS))

    @overrides
    def mutate(self, arch):
        digits = list(digits_of(arch))
        pos = self.rng.randrange(DIGITS)
        digits[pos] = self.rng.choice([v for v in range(LEVELS) if v != digits[pos]])
        return model_of(digits, parent=arch.archid)

    @overrides
    def crossover(self, arch_list):
        parents = [digits_of(a) for a in arch_list]
        return model_of(self.rng.choice(parents)[i] for i in range(DIGITS))

    @overrides
    def encode(self, arch):
        onehot = np.zeros((DIGITS, LEVELS))
        onehot[np.arange(DIGITS), digits_of(arch)] = 1
        return onehot.ravel()

    @overrides
    def save_arch(self, model, file_path):
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump({"archid": model.archid}, f)

    @overrides
    def load_arch(self, file_path):
        with open(file_path, encoding="utf-8") as f:
            return model_of(json.load(f)["archid"][1:])

    @overrides
    def save_model_weights(self, model, file_path):
        pass

    @overrides
    def load_model_weights(self, model, file_path):
        pass


class Accuracy(ModelEvaluator):
    """Higher is better, best at TARGET; smooth in each digit (local search can climb it).
    Records every call so tests can prove nothing is evaluated twice; ``fail`` archids fail."""

    def __init__(self, fail=(), budget_bonus: float = 0.0) -> None:
        self.calls = []
        self.fail = set(fail)
        self.budget_bonus = budget_bonus

    @overrides
    def evaluate(self, arch, budget=None):
        self.calls.append((arch.archid, budget))
        if arch.archid in self.fail:
            return float("nan")
        distance = sum(abs(a - b) for a, b in zip(digits_of(arch), TARGET))
        return 100.0 - distance + self.budget_bonus * (budget or 0.0)


class Size(ModelEvaluator):
    """Sum of the digits: a cheap objective to minimise or constrain."""

    @overrides
    def evaluate(self, arch, budget=None):
        return float(sum(digits_of(arch)))


class TwoPeaks(ModelEvaluator):
    """A trap at ``TRAP`` (every neighbour is worse) far from the global peak at ``PEAK``: a search
    started on the trap must leave it by more than one move."""

    @overrides
    def evaluate(self, arch, budget=None):
        digits = digits_of(arch)
        near_trap = sum(abs(a - b) for a, b in zip(digits, TRAP))
        near_peak = sum(abs(a - b) for a, b in zip(digits, PEAK))
        return float(max(90 - near_trap, 100 - 3 * near_peak))


def objectives(multi: bool = False, constraint=None, fail=(), budget_bonus: float = 0.0) -> SearchObjectives:
    objs = SearchObjectives()
    objs.add_objective("acc", Accuracy(fail, budget_bonus), higher_is_better=True)
    if multi or constraint is not None:
        objs.add_objective("size", Size(), higher_is_better=False, compute_intensive=False, constraint=constraint)
    return objs


def best_archid() -> str:
    return "d" + "".join(map(str, TARGET))

