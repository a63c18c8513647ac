"""The quick-start space: a stack of conv-BN-ReLU layers whose depth, kernel size and width are
searched (the space of Archai's tutorial), with a classifier head sized for the image.

The archid is the readable ``L=3,K=5,H=32`` and holds the whole architecture, so every move
works on cleared models. Modules are built lazily (only when a candidate is really evaluated).
"""
from __future__ import annotations

import re
from typing import List, Optional, Union

import numpy as np
from overrides import overrides

from nas_kernel.api import ArchaiModel
from nas_kernel.toolbox.params import check_int
from nas_search_spaces.base import SeededSpace, require_keys
from nas_search_spaces.params import check_int_list, check_size

_ARCHID = re.compile(r"^L=(\d+),K=(\d+),H=(\d+)$")


def build_cnn(nb_layers: int, kernel_size: int, hidden_dim: int, in_channels: int = 1, num_classes: int = 10,
              img_size=(8, 8)):
    """conv(k)-BN-ReLU x ``nb_layers`` at full resolution, then a 2x2 average pool and a linear
    classifier. Keeping a little spatial layout (instead of one global average) is what lets a
    3-layer stack reach ~98-99 % on 8x8 digits in a few epochs."""
    from torch import nn

    layers: List[nn.Module] = []
    for i in range(nb_layers):
        layers += [nn.Conv2d(in_channels if i == 0 else hidden_dim, hidden_dim, kernel_size,
                             padding=kernel_size // 2, bias=False),
                   nn.BatchNorm2d(hidden_dim), nn.ReLU()]
    pooled = (min(2, img_size[0]), min(2, img_size[1]))
    layers += [nn.AdaptiveAvgPool2d(pooled), nn.Flatten(), nn.Linear(hidden_dim * pooled[0] * pooled[1], num_classes)]
    return nn.Sequential(*layers)


class CNNSearchSpace(SeededSpace):
    """Conv stacks: ``min_layers..max_layers`` layers, one kernel size and one width for all.

    Args:
        min_layers, max_layers: depth range.
        kernel_list: odd kernel sizes to choose from.
        hidden_list: channel widths to choose from.
        in_channels, img_size, num_classes: the data (defaults: 1x8x8 digits, 10 classes).
        seed: seeds the space's own generator.

    Encoding: ``[layers, kernel, width]`` (3 numbers).
    """

    space_name = "cnn"

    def __init__(self, min_layers: int = 1, max_layers: int = 5, kernel_list: Optional[List[int]] = None,
                 hidden_list: Optional[List[int]] = None, in_channels: int = 1, img_size: Union[int, List[int]] = 8,
                 num_classes: int = 10, seed: int = 1) -> None:
        super().__init__(seed)
        self.min_layers = check_int("min_layers", min_layers, 1)
        self.max_layers = check_int("max_layers", max_layers, self.min_layers)
        self.kernel_list = check_int_list("kernel_list", [1, 3, 5, 7] if kernel_list is None else kernel_list)
        if any(k % 2 == 0 for k in self.kernel_list):
            raise ValueError(f"kernel_list must hold odd sizes (same padding), got {self.kernel_list}")
        self.hidden_list = check_int_list("hidden_list", [16, 32, 64, 128] if hidden_list is None else hidden_list)
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.img_size = check_size("img_size", img_size)
        self.num_classes = check_int("num_classes", num_classes, 2)

    # ---- archid <-> choices ------------------------------------------------------------------
    def make(self, nb_layers: int, kernel_size: int, hidden_dim: int, metadata: Optional[dict] = None) -> ArchaiModel:
        """The model with these choices (validated against this space)."""
        if not self.min_layers <= nb_layers <= self.max_layers:
            raise ValueError(f"nb_layers {nb_layers} outside [{self.min_layers}, {self.max_layers}]")
        if kernel_size not in self.kernel_list or hidden_dim not in self.hidden_list:
            raise ValueError(f"kernel {kernel_size} / width {hidden_dim} not in this space "
                             f"(kernel_list {self.kernel_list}, hidden_list {self.hidden_list})")
        archid = f"L={nb_layers},K={kernel_size},H={hidden_dim}"
        args = (nb_layers, kernel_size, hidden_dim, self.in_channels, self.num_classes, self.img_size)
        return ArchaiModel(archid=archid, metadata=metadata, builder=lambda: build_cnn(*args))

    def choices(self, model: ArchaiModel):
        """``(nb_layers, kernel_size, hidden_dim)`` read from the archid."""
        match = _ARCHID.match(model.archid)
        if not match:
            raise ValueError(f"{model.archid!r} is not a cnn archid (expected like 'L=3,K=5,H=32')")
        return tuple(int(g) for g in match.groups())

    # ---- sampling and moves ------------------------------------------------------------------
    @overrides
    def random_sample(self):
        return self.make(self.rng.randint(self.min_layers, self.max_layers), self.rng.choice(self.kernel_list),
                         self.rng.choice(self.hidden_list))

    @overrides
    def mutate(self, arch):
        """Change exactly one of depth (by one step), kernel size or width."""
        layers, kernel, hidden = self.choices(arch)
        movable = [i for i, ok in enumerate([self.max_layers > self.min_layers, len(self.kernel_list) > 1,
                                             len(self.hidden_list) > 1]) if ok]
        if not movable:
            return self.make(layers, kernel, hidden, {"parent": arch.archid})
        which = self.rng.choice(movable)
        if which == 0:
            steps = [d for d in (-1, 1) if self.min_layers <= layers + d <= self.max_layers]
            layers += self.rng.choice(steps)
        elif which == 1:
            kernel = self.rng.choice([k for k in self.kernel_list if k != kernel])
        else:
            hidden = self.rng.choice([h for h in self.hidden_list if h != hidden])
        return self.make(layers, kernel, hidden, {"parent": arch.archid})

    @overrides
    def crossover(self, arch_list):
        """Each of the three choices comes from a parent drawn at random."""
        parents = [self.choices(m) for m in arch_list]
        picked = [self.rng.choice(parents)[i] for i in range(3)]
        return self.make(*picked, {"parents": [m.archid for m in arch_list]})

    @overrides
    def encode(self, arch):
        return np.array(self.choices(arch), dtype=np.float64)

    # ---- files -------------------------------------------------------------------------------
    @overrides
    def describe(self, model):
        layers, kernel, hidden = self.choices(model)
        return {"nb_layers": layers, "kernel_size": kernel, "hidden_dim": hidden}

    @overrides
    def from_description(self, description):
        d = require_keys(description, {"nb_layers", "kernel_size", "hidden_dim"}, "cnn architecture")
        return self.make(*(check_int(k, d[k], 1) for k in ("nb_layers", "kernel_size", "hidden_dim")))
