"""Small, known-good components for testing your own against, so a plugin's tests need no other
plugin installed and measure that plugin's component, not theirs: a search space for evaluator
and searcher tests, an evaluator and a predictor for searcher tests, a small image dataset for
evaluator tests, and a searcher for tests that run a whole search (datasets, trackers, objectives).

``IntegerSpace`` architectures are integers; ``model.arch`` is a plain dict standing in for a
network (``{"value": x, "weights": [...]}``), and every method works from the archid alone.
``NeighbourMean`` predicts from the nearest encodings seen (numpy only). ``Glyphs`` is real
training data for real torch models: it imports torch when it is built, nothing else here does.
"""
from __future__ import annotations

import json
import random
import zlib

import numpy as np
from overrides import overrides

from nas_kernel.api import (ArchaiModel, BayesOptSearchSpace, DatasetProvider, EvolutionarySearchSpace, MeanVar,
                            ModelEvaluator, Predictor)
from nas_kernel.loop import IterativeSearcher

__all__ = ["ArchidScore", "Glyphs", "IntegerSpace", "NeighbourMean", "RandomSampling"]


class IntegerSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """The integers ``0 .. size-1``; a mutation moves at most ``step`` away and records its parent's
    archid as ``metadata["parent"]``. Archids are ``prefix`` + the integer (a subclass may choose
    its own prefix, and its own arch through ``model``).

    Args:
        size: number of architectures (at least 2).
        step: largest move of ``mutate``.
        seed: seeds ``random_sample`` and ``mutate``.
    """

    def __init__(self, size: int = 1000, step: int = 3, seed: int = 1) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise ValueError(f"size must be at least 2 (a whole number), got {size!r}")
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise ValueError(f"step must be a positive whole number, got {step!r}")
        self.size, self.step, self.seed = size, step, seed
        self.rng = random.Random(seed)

    prefix = "int-"

    def model(self, x: int):
        """The architecture ``x``, built lazily."""
        return ArchaiModel(None, f"{self.prefix}{x}", builder=lambda: {"value": x, "weights": [0.0, 0.0]})

    def value_of(self, model: ArchaiModel) -> int:
        """The integer an archid of this space names; ``ValueError`` for any other archid."""
        digits = model.archid[len(self.prefix):]
        if not model.archid.startswith(self.prefix) or not digits.isdigit():
            raise ValueError(f"archid {model.archid!r} is not an {type(self).__name__} archid "
                             f"('{self.prefix}<n>')")
        return int(digits)

    @overrides
    def random_sample(self):
        return self.model(self.rng.randrange(self.size))

    @overrides
    def mutate(self, arch):
        x = self.value_of(arch) + self.rng.randint(-self.step, self.step)
        child = self.model(min(self.size - 1, max(0, x)))
        child.metadata["parent"] = arch.archid
        return child

    @overrides
    def crossover(self, arch_list):
        return self.model(sum(self.value_of(a) for a in arch_list) // len(arch_list))

    @overrides
    def encode(self, arch):
        return np.array([self.value_of(arch) / self.size], dtype=float)

    @overrides
    def save_arch(self, model, file_path):
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump({"archid": model.archid}, f)

    @overrides
    def load_arch(self, file_path):
        with open(file_path, encoding="utf-8") as f:
            return self.model(self.value_of(ArchaiModel(None, json.load(f)["archid"])))

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


class RandomSampling(IterativeSearcher):
    """``samples_per_iter`` random architectures of the space in each of ``num_iters`` iterations,
    through the kernel's loop (store, hooks, exports, resume): the plainest searcher, for tests of
    the other components of a search.

    Args:
        samples_per_iter: candidates proposed per iteration (new archids only).
        (the rest as ``IterativeSearcher``)
    """

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 1, samples_per_iter: int = 4,
                 seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed)
        self.samples_per_iter = samples_per_iter

    @overrides
    def propose(self, iteration):
        return self.sample_candidates(self.search_space.random_sample, self.samples_per_iter)


class NeighbourMean(Predictor):
    """Predicts the mean of the ``k`` nearest fitted encodings' targets, and their variance (plus a
    small floor, so a surrogate is never certain): deterministic, instant, no library beyond numpy.

    Args:
        k: neighbours averaged (fewer when fewer were fitted).
        seed: accepted for the predictor contract; nothing here is random.
    """

    def __init__(self, k: int = 3, seed: int = 0) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive whole number, got {k!r}")
        self.k, self.seed = k, seed
        self.x = self.y = None

    @overrides
    def fit(self, encoded_archs, y):
        x, y = np.asarray(encoded_archs, dtype=float), np.asarray(y, dtype=float)
        self.x, self.y = x.reshape(len(x), -1), y.reshape(len(y), -1)

    @overrides
    def predict(self, encoded_archs):
        if self.x is None:
            raise RuntimeError("NeighbourMean.predict before fit")
        x = np.asarray(encoded_archs, dtype=float).reshape(len(encoded_archs), -1)
        distances = ((x[:, None, :] - self.x[None, :, :]) ** 2).sum(-1)
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :self.k]
        picked = self.y[nearest]  # (N, k, T)
        return MeanVar(picked.mean(axis=1), picked.var(axis=1) + 1e-6)


class Glyphs(DatasetProvider):
    """1x8x8 grey images of 10 classes: each class a fixed pattern of grey levels 0..16 (the range
    of scikit-learn's digits) with a fifth of its pixels redrawn per image, standardised with the
    training split's mean and std. A small CNN learns it to over 90 % in a few epochs, and no
    download or other plugin is needed.

    Args:
        seed: draws the images (the ten patterns stay the same).
        train, val, test: images per split (``test`` 0: no test split).
        num_classes: the first 2..10 of the ten classes.
    """

    num_classes = 10
    input_shape = (1, 8, 8)

    def __init__(self, seed: int = 1, train: int = 900, val: int = 300, test: int = 300, num_classes: int = 10) -> None:
        import torch

        if isinstance(num_classes, bool) or num_classes not in range(2, 11):
            raise ValueError(f"num_classes must be a whole number from 2 to 10, got {num_classes!r}")
        self.num_classes = num_classes

        for name, n in (("train", train), ("val", val), ("test", test)):
            if isinstance(n, bool) or not isinstance(n, int) or n < (0 if name == "test" else 1):
                raise ValueError(f"{name} must be a whole number of images (at least 1; test may be 0), got {n!r}")
        patterns = torch.randint(0, 17, (10, 1, 8, 8), generator=torch.Generator().manual_seed(0))
        total = train + val + test
        gen = torch.Generator().manual_seed(seed)
        y = torch.randint(0, num_classes, (total,), generator=gen)
        noisy = torch.rand(total, 1, 8, 8, generator=gen) < 0.2
        X = torch.where(noisy, torch.randint(0, 17, noisy.shape, generator=gen), patterns[y]).float()
        X = (X - X[:train].mean()) / X[:train].std()
        ends = {"train": (0, train), "val": (train, train + val), "test": (train + val, total)}
        self.splits = {name: (X[a:b], y[a:b]) for name, (a, b) in ends.items() if b > a}

    @overrides
    def get_train(self):
        return self.splits["train"]

    @overrides
    def get_val(self):
        return self.splits["val"]

    @overrides
    def get_test(self):
        if "test" not in self.splits:
            raise ValueError("Glyphs(test=0) has no test split")
        return self.splits["test"]
