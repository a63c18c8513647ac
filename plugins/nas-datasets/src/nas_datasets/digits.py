"""The embedded default dataset: scikit-learn's 1,797 handwritten 8x8 digits, shipped as a small
``.npz`` so no process pays for importing scikit-learn (about 2 s) to get them.

The data is the UCI "Optical Recognition of Handwritten Digits" test set as scikit-learn ships
it (pixel values 0..16); ``tests/test_datasets.py`` checks it equals scikit-learn's copy.
"""
from __future__ import annotations

from importlib import resources

import numpy as np

from nas_datasets.provider import ArrayDataset
from nas_datasets.splits import make_splits


def load_digits_arrays():
    """``(images uint8 (1797, 1, 8, 8), labels uint8 (1797,))`` from the packaged file."""
    with resources.files("nas_datasets").joinpath("data/digits.npz").open("rb") as f:
        with np.load(f) as data:
            return data["images"][:, None, :, :].copy(), data["labels"].copy()


class Digits(ArrayDataset):
    """Digits as 1x8x8 float images standardised with the training split's mean and std.

    Args:
        seed: shuffles the deterministic train / validation / test split.
        val_fraction: share of the 1,797 samples used for validation (fitness, early stopping).
        test_fraction: share held out as a test set (0 for none).
    """

    raw_inputs = "1x8x8 grey images with pixel values 0..16 (scikit-learn's digits)"

    def __init__(self, seed: int = 1, val_fraction: float = 0.2, test_fraction: float = 0.1) -> None:
        X, y = load_digits_arrays()
        super().__init__(num_classes=10, name="digits",
                         **make_splits(X, y, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed))
