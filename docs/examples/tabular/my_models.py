"""A model factory of your own for the config space: a perceptron read from the config."""
from torch import nn


def mlp(config, num_features: int, num_classes: int):
    """Reads ``layers`` (each ``width``) and ``activation``; the config space passes the sizes
    of the data (``num_features``, ``num_classes``)."""
    act = {"relu": nn.ReLU, "gelu": nn.GELU}[config.pick("activation")]
    layers, width_in = [], num_features
    for layer in config.pick("layers"):
        width = layer.pick("width")
        layers += [nn.Linear(width_in, width), act()]
        width_in = width
    return nn.Sequential(*layers, nn.Linear(width_in, num_classes))
