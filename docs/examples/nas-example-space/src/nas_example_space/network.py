"""Builds the torch module for an ``MLPArch``: flatten, then Linear + activation per hidden
layer, then a Linear classifier returning logits."""
from __future__ import annotations

from torch import nn

from nas_example_space.architecture import MLPArch

_ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def build_mlp(arch: MLPArch, in_features: int, num_classes: int) -> nn.Module:
    layers = [nn.Flatten()]
    width_in = in_features
    for width in arch.widths:
        layers += [nn.Linear(width_in, width), _ACTIVATION_LAYERS[arch.activation]()]
        width_in = width
    layers.append(nn.Linear(width_in, num_classes))
    return nn.Sequential(*layers)
