"""Tiny torch models for the evaluator tests (no dependency on any search-space plugin)."""
import torch
from torch import nn

from nas_kernel.api import ArchaiModel


class TinyCNN(nn.Module):
    """conv3x3(1->w)-BN-ReLU, conv3x3(w->2w)-BN-ReLU, maxpool, global average pool, linear."""

    def __init__(self, width: int = 16, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.MaxPool2d(2))
        self.classifier = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


class Blind(nn.Module):
    """Ignores its input: it can never beat chance, so ACT must stop it."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(num_classes))

    def forward(self, x):
        return self.bias.expand(x.shape[0], -1) + 0 * x.flatten(1)[:, :1]


def cnn_model(width: int = 16, seed: int = 0, archid=None) -> ArchaiModel:
    torch.manual_seed(seed)
    return ArchaiModel(TinyCNN(width), archid or f"cnn-w{width}-s{seed}")


class TwoLayer(nn.Module):
    """conv3x3(1->4, padding 1) then linear(4*8*8 -> 10): FLOPs are easy to count by hand."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))
