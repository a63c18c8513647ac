"""A ready-made model factory for the config space (the default, and the one the example
experiment uses): conv blocks read from the config, then a small pooled linear head."""
from __future__ import annotations

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}


def conv_classifier(config, in_channels: int = 1, num_classes: int = 10):
    """Reads ``blocks`` (each ``channels``, ``kernel_size``), ``activation`` and ``pool_size``."""
    act_name = config.pick("activation", default="relu")
    if act_name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {act_name!r}")
    layers, channels = [], in_channels
    for block in config.pick("blocks"):
        out, k = block.pick("channels"), block.pick("kernel_size")
        layers += [nn.Conv2d(channels, out, k, padding=k // 2, bias=False), nn.BatchNorm2d(out),
                   ACTIVATIONS[act_name]()]
        channels = out
    pool = config.pick("pool_size", default=2)
    layers += [nn.AdaptiveAvgPool2d(pool), nn.Flatten(), nn.Linear(channels * pool * pool, num_classes)]
    return nn.Sequential(*layers)
