"""CIFAR-10 from the python-pickle batches a user already has (no download code).

Expected layout: ``root`` (or ``root/cifar-10-batches-py``) holding ``data_batch_1`` ..
``data_batch_5`` and ``test_batch``, as distributed at https://www.cs.toronto.edu/~kriz/cifar.html.
Batches are read with a restricted unpickler (see ``safe_pickle``).
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from nas_datasets.provider import ArrayDataset
from nas_datasets.safe_pickle import load_batch
from nas_datasets.splits import make_splits

TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"


def find_folder(root: str) -> str:
    """The folder holding the batches: ``root`` itself or its ``cifar-10-batches-py`` child."""
    for folder in (root, os.path.join(root, "cifar-10-batches-py")):
        if all(os.path.isfile(os.path.join(folder, n)) for n in TRAIN_FILES + (TEST_FILE,)):
            return folder
    missing = [n for n in TRAIN_FILES + (TEST_FILE,) if not os.path.isfile(os.path.join(root, n))]
    raise FileNotFoundError(
        f"CIFAR-10 batches not found in {root!r} (nor in its 'cifar-10-batches-py' folder): expected the files "
        f"{', '.join(TRAIN_FILES + (TEST_FILE,))}; missing {', '.join(missing)}. Download and unpack "
        "cifar-10-python.tar.gz yourself; this plugin never downloads.")


def read_batch(path: str):
    """``(images uint8 (N, 3, 32, 32), labels int64 (N,))`` from one batch file."""
    batch = load_batch(path)
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a dict, got {type(batch).__name__}")
    get = lambda key: batch.get(key.encode(), batch.get(key))  # noqa: E731 (py2 batches: bytes keys)
    data, labels = get("data"), get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: 'data' must be a uint8 array of shape (N, 3072)")
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (len(data),) or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise ValueError(f"{path}: 'labels' must be {len(data)} integers in 0..9")
    return data.reshape(-1, 3, 32, 32), labels


class Cifar10(ArrayDataset):
    """CIFAR-10: 3x32x32 images, per-channel standardised; the official test batch is the test split.

    Args:
        root: folder with the batch files (see module docstring).
        seed: shuffles the train / validation split of the 50,000 training images.
        val_fraction: share of the training images used for validation.
        max_train: keep only this many training images (None for all), for quick CPU searches.
    """

    raw_inputs = "3x32x32 uint8 images (values 0..255), channels first"
    channel_order = "RGB"

    def __init__(self, root: str = "data/cifar10", seed: int = 1, val_fraction: float = 0.2,
                 max_train: Optional[int] = None) -> None:
        folder = find_folder(os.path.expanduser(root))
        parts = [read_batch(os.path.join(folder, n)) for n in TRAIN_FILES]
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        test = read_batch(os.path.join(folder, TEST_FILE))
        super().__init__(num_classes=10, name="cifar10",
                         **make_splits(X, y, val_fraction=val_fraction, seed=seed, test=test, max_train=max_train))
