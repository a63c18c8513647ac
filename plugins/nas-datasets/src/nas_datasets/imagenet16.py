"""ImageNet16-120 (NAS-Bench-201's third data set) from the pickled batches the user provides.

ImageNet16 is ImageNet downsampled to 16x16 (Chrabaszcz et al., 2017), published in batches of
the CIFAR layout: ``train_data_batch_1`` .. ``train_data_batch_10`` and ``val_data``, each a
pickled dict with ``data`` (N, 768) uint8 rows and ``labels`` from 1 to 1000. ImageNet16-120 keeps
the classes 1..120 (as NAS-Bench-201 does). There is no download: the files are distributed after
registration. Batches are read with the restricted unpickler.
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from nas_datasets.cifar10 import read_batch
from nas_datasets.provider import ArrayDataset
from nas_datasets.splits import make_splits

TRAIN_FILES = tuple(f"train_data_batch_{i}" for i in range(1, 11))
VAL_FILE = "val_data"


def _read(path: str, classes: int):
    images, labels = read_batch(path, num_classes=1000, side=16, first_label=1)
    keep = labels < classes
    return images[keep], labels[keep]


class ImageNet16(ArrayDataset):
    """ImageNet16-120: 3x16x16 images of the first ``classes`` ImageNet classes, per-channel
    standardised; the official ``val_data`` is the test split.

    Args:
        root: folder with ``train_data_batch_1`` .. ``train_data_batch_10`` and ``val_data``.
        classes: keep labels 1..classes (120 for NAS-Bench-201's ImageNet16-120).
        seed: shuffles the train / validation split of the training images.
        val_fraction: share of the training images used for validation.
        max_train: keep only this many training images (None for all).
    """

    raw_inputs = "3x16x16 uint8 images (values 0..255), channels first"
    channel_order = "RGB"

    def __init__(self, root: str = "data/ImageNet16", classes: int = 120, seed: int = 1, val_fraction: float = 0.2,
                 max_train: Optional[int] = None) -> None:
        if isinstance(classes, bool) or not isinstance(classes, int) or not 2 <= classes <= 1000:
            raise ValueError(f"classes must be a whole number from 2 to 1000, got {classes!r}")
        root = os.path.expanduser(root)
        missing = [n for n in TRAIN_FILES + (VAL_FILE,) if not os.path.isfile(os.path.join(root, n))]
        if missing:
            raise FileNotFoundError(f"ImageNet16 batches not found in {root!r}: missing {', '.join(missing)} "
                                    "(the downsampled-ImageNet 16x16 batches; they are not downloaded)")
        parts = [_read(os.path.join(root, n), classes) for n in TRAIN_FILES]
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        test = _read(os.path.join(root, VAL_FILE), classes)
        super().__init__(num_classes=classes, name=f"imagenet16_{classes}",
                         **make_splits(X, y, val_fraction=val_fraction, seed=seed, test=test, max_train=max_train))
