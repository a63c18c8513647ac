"""A small image dataset made here, so the tests of this plugin need no other plugin's data."""
import torch

from nas_kernel.api.dataset import DatasetProvider


class Blobs(DatasetProvider):
    """1x8x8 grey images of 10 classes: each class a fixed pattern of 17 grey levels (0..16) with a
    fifth of its pixels redrawn per image, standardised with the training split's mean and std.
    ``seed`` draws the images (the patterns stay the same)."""

    num_classes = 10
    input_shape = (1, 8, 8)

    def __init__(self, seed: int = 1, train: int = 900, val: int = 300) -> None:
        patterns = torch.randint(0, 17, (10, 1, 8, 8), generator=torch.Generator().manual_seed(0))
        gen = torch.Generator().manual_seed(seed)
        y = torch.randint(0, 10, (train + val,), generator=gen)
        noisy = torch.rand(train + val, 1, 8, 8, generator=gen) < 0.2
        X = torch.where(noisy, torch.randint(0, 17, noisy.shape, generator=gen), patterns[y]).float()
        mean, std = X[:train].mean(), X[:train].std()
        X = (X - mean) / std
        self.splits = {"train": (X[:train], y[:train]), "val": (X[train:], y[train:])}

    def get_train(self):
        return self.splits["train"]

    def get_val(self):
        return self.splits["val"]
