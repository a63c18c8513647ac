"""CIFAR-100 from its python-pickle files, downloaded on request (``download: true``).

Expected layout: ``root`` (or ``root/cifar-100-python``) holding ``train`` and ``test``, as
distributed at https://www.cs.toronto.edu/~kriz/cifar.html; the 100 fine labels are the classes.
With ``download`` the official ``cifar-100-python.tar.gz`` is fetched into ``root`` when the files
are missing, checked against its published MD5 and unpacked. Read with the restricted unpickler.
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from nas_datasets.cifar10 import read_batch
from nas_datasets.download import CIFAR100, fetch
from nas_datasets.provider import ArrayDataset
from nas_datasets.splits import make_splits

FILES = ("train", "test")


def find_folder(root: str) -> Optional[str]:
    """The folder holding ``train`` and ``test``: ``root`` or its ``cifar-100-python`` child."""
    for folder in (root, os.path.join(root, "cifar-100-python")):
        if all(os.path.isfile(os.path.join(folder, n)) for n in FILES):
            return folder
    return None


class Cifar100(ArrayDataset):
    """CIFAR-100: 3x32x32 images in 100 classes, per-channel standardised; the official test file
    is the test split.

    Args:
        root: folder with ``train`` and ``test`` (see module docstring).
        seed: shuffles the train / validation split of the 50,000 training images.
        val_fraction: share of the training images used for validation.
        max_train: keep only this many training images (None for all).
        download: fetch the official archive into ``root`` when the files are missing.
        mirror: another base URL to fetch it from (an internal mirror); the checksum still applies.
    """

    raw_inputs = "3x32x32 uint8 images (values 0..255), channels first"
    channel_order = "RGB"

    def __init__(self, root: str = "data/cifar100", seed: int = 1, val_fraction: float = 0.2,
                 max_train: Optional[int] = None, download: bool = False, mirror: Optional[str] = None) -> None:
        root = os.path.expanduser(root)
        if download and find_folder(root) is None:
            fetch(CIFAR100, root, mirror=mirror)
        folder = find_folder(root)
        if folder is None:
            raise FileNotFoundError(
                f"CIFAR-100 files not found in {root!r} (nor in its 'cifar-100-python' folder): expected "
                f"{', '.join(FILES)}. Set `download: true` to fetch cifar-100-python.tar.gz, or unpack it there yourself.")
        X, y = read_batch(os.path.join(folder, "train"), label_key="fine_labels", num_classes=100)
        test = read_batch(os.path.join(folder, "test"), label_key="fine_labels", num_classes=100)
        super().__init__(num_classes=100, name="cifar100",
                         **make_splits(X, np.asarray(y), val_fraction=val_fraction, seed=seed, test=test,
                                       max_train=max_train))
