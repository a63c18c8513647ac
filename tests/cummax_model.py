"""A ``config``-space model factory whose network no ONNX exporter can write: its forward takes a
running maximum (``torch.cummax``, with no ONNX translation in either of torch's exporters), which
trains and predicts fine in PyTorch. ``nas train-best`` must keep such a model's weights and
report the failed export in one line."""
import torch
from torch import nn


class RunningMaxNet(nn.Module):
    def __init__(self, width: int, in_features: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        self.head = nn.Sequential(nn.Linear(2 * in_features, width), nn.ReLU(), nn.Linear(width, num_classes))

    def forward(self, x):
        flat = x.flatten(1)
        return self.head(torch.cat([flat, torch.cummax(flat, dim=1).values], dim=1))


def running_max_net(config, num_classes: int = 10):
    return RunningMaxNet(config.pick("width"), num_classes=num_classes)
