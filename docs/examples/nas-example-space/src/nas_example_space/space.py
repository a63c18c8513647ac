"""The MLP search space: how many hidden layers, how wide each is, which activation.

Models are handed out lazily (``ArchaiModel(builder=...)``): the kernel drops duplicates by
archid before a module is ever built. Architecture files are JSON; weights are a ``state_dict``
read back with ``weights_only=True``.
"""
from __future__ import annotations

import json
import random
from typing import Sequence

import numpy as np
from overrides import overrides

from nas_kernel import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace
from nas_example_space.architecture import ACTIVATIONS, MLPArch


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return value


def _positive_ints(name: str, values: Sequence[int]) -> tuple:
    values = tuple(values) if isinstance(values, (list, tuple)) else ()
    if not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ValueError(f"{name} must be a non-empty list of positive whole numbers, got {values!r}")
    return values


class MLPSearchSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """MLPs for small images, e.g. the 1x8x8 digits.

    Args:
        in_features: inputs after flattening (64 for 1x8x8 digits).
        num_classes: outputs (logits).
        depths: choices for the number of hidden layers.
        widths: choices for each hidden layer's width.
        activations: choices among relu, tanh, gelu (one per network).
        seed: seeds sampling, mutation and crossover.
    """

    def __init__(self, in_features: int = 64, num_classes: int = 10, depths: Sequence[int] = (1, 2, 3),
                 widths: Sequence[int] = (16, 32, 64), activations: Sequence[str] = ACTIVATIONS,
                 seed: int = 1) -> None:
        self.in_features = _positive_int("in_features", in_features)
        self.num_classes = _positive_int("num_classes", num_classes)
        self.depths = _positive_ints("depths", depths)
        self.widths = _positive_ints("widths", widths)
        self.activations = tuple(activations) if isinstance(activations, (list, tuple)) else ()
        if not self.activations or any(a not in ACTIVATIONS for a in self.activations):
            raise ValueError(f"activations must be a non-empty list among {list(ACTIVATIONS)}, got {activations!r}")
        self.seed = seed
        self.rng = random.Random(seed)

    # ---- architectures -----------------------------------------------------------------------
    def arch_of(self, archid: str) -> MLPArch:
        """The architecture an archid names; ValueError if it is not in this space."""
        arch = MLPArch.from_archid(archid)
        if (arch.activation not in self.activations or len(arch.widths) not in self.depths
                or any(w not in self.widths for w in arch.widths)):
            raise ValueError(f"{archid!r} is not in this space")
        return arch

    def model(self, arch: MLPArch):
        from nas_example_space.network import build_mlp

        return ArchaiModel(None, arch.archid,
                           builder=lambda: build_mlp(arch, self.in_features, self.num_classes))

    @overrides
    def random_sample(self):
        depth = self.rng.choice(self.depths)
        widths = tuple(self.rng.choice(self.widths) for _ in range(depth))
        return self.model(MLPArch(self.rng.choice(self.activations), widths))

    @overrides
    def mutate(self, arch):
        parent = self.arch_of(arch.archid)
        activation, widths = parent.activation, list(parent.widths)
        move = self.rng.choice(("activation", "width", "depth"))
        if move == "activation":
            activation = self.rng.choice(self.activations)
        elif move == "width":
            widths[self.rng.randrange(len(widths))] = self.rng.choice(self.widths)
        else:
            depth = self.rng.choice(self.depths)
            widths = (widths + [self.rng.choice(self.widths) for _ in range(depth)])[:depth]
        return self.model(MLPArch(activation, tuple(widths)))

    @overrides
    def crossover(self, arch_list):
        parents = [self.arch_of(a.archid) for a in arch_list]
        depth = len(self.rng.choice(parents).widths)
        widths = tuple(self.rng.choice([p.widths[i] for p in parents if len(p.widths) > i]) for i in range(depth))
        return self.model(MLPArch(self.rng.choice(parents).activation, widths))

    @overrides
    def encode(self, arch):
        """One-hot activation, then per possible layer: present (0/1) and width index."""
        parsed = self.arch_of(arch.archid)
        code = [float(parsed.activation == a) for a in self.activations]
        for i in range(max(self.depths)):
            present = i < len(parsed.widths)
            code += [float(present), float(self.widths.index(parsed.widths[i])) if present else -1.0]
        return np.array(code)

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def save_arch(self, model, file_path):
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump({"archid": model.archid}, f)

    @overrides
    def load_arch(self, file_path):
        with open(file_path, encoding="utf-8") as f:
            document = json.load(f)
        if not isinstance(document, dict) or not isinstance(document.get("archid"), str):
            raise ValueError(f"{file_path}: not an architecture file of this space")
        return self.model(self.arch_of(document["archid"]))

    @overrides
    def save_model_weights(self, model, file_path):
        import torch

        torch.save(model.arch.state_dict(), file_path)

    @overrides
    def load_model_weights(self, model, file_path):
        import torch

        model.arch.load_state_dict(torch.load(file_path, map_location="cpu", weights_only=True))
