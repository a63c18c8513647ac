"""Fashion-MNIST (Zalando's clothing images): MNIST's file names, sizes and IDX format, so the
MNIST reader reads it; only the published files and their checksums differ."""
from __future__ import annotations

from typing import Optional

from nas_datasets.download import FASHION_MNIST
from nas_datasets.mnist import Mnist


class FashionMnist(Mnist):
    """Fashion-MNIST as 1x28x28 standardised images; the official t10k set is the test split.

    Args:
        root: folder with the four IDX files (``train-images-idx3-ubyte.gz`` ...).
        seed: shuffles the train / validation split of the 60,000 training images.
        val_fraction: share of the training images used for validation.
        max_train: keep only this many training images (None for all).
        download: fetch the official files into ``root`` when they are missing.
        mirror: another base URL to fetch them from (an internal mirror); the checksums still apply.
    """

    source, label = FASHION_MNIST, "Fashion-MNIST"

    def __init__(self, root: str = "data/fashion_mnist", seed: int = 1, val_fraction: float = 0.2,
                 max_train: Optional[int] = None, download: bool = False, mirror: Optional[str] = None) -> None:
        super().__init__(root=root, seed=seed, val_fraction=val_fraction, max_train=max_train, download=download,
                         mirror=mirror)
