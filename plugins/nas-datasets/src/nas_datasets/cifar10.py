"""CIFAR-10 from its python-pickle batches, downloaded on request (``download: true``).

Expected layout: ``root`` (or ``root/cifar-10-batches-py``) holding ``data_batch_1`` ..
``data_batch_5`` and ``test_batch``, as distributed at https://www.cs.toronto.edu/~kriz/cifar.html.
With ``download`` the official ``cifar-10-python.tar.gz`` is fetched into ``root`` when the
batches are not there, checked against its published MD5 and unpacked (``nas_datasets.download``).
Batches are read with a restricted unpickler (see ``safe_pickle``).
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np

from nas_datasets.download import CIFAR10, fetch
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
        f"{', '.join(TRAIN_FILES + (TEST_FILE,))}; missing {', '.join(missing)}. Set `download: true` to fetch "
        "cifar-10-python.tar.gz, or unpack it there yourself.")


def _has_batches(root: str) -> bool:
    try:
        find_folder(root)
    except FileNotFoundError:
        return False
    return True


def read_batch(path: str, *, label_key: str = "labels", num_classes: int = 10, side: int = 32,
               first_label: int = 0):
    """``(images uint8 (N, 3, side, side), labels int64 (N,) from 0)`` from one pickled batch (the
    CIFAR layout, also used by CIFAR-100 and ImageNet16: ``data`` rows of 3*side*side bytes, channel
    by channel, and ``label_key`` integers from ``first_label``)."""
    batch = load_batch(path)
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a dict, got {type(batch).__name__}")
    get = lambda key: batch.get(key.encode(), batch.get(key))  # noqa: E731 (py2 batches: bytes keys)
    data, labels = get("data"), get(label_key)
    width = 3 * side * side
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != width:
        raise ValueError(f"{path}: 'data' must be a uint8 array of shape (N, {width})")
    labels = np.asarray(labels, dtype=np.int64) - first_label
    if labels.shape != (len(data),) or (labels.size and (labels.min() < 0 or labels.max() >= num_classes)):
        raise ValueError(f"{path}: '{label_key}' must be {len(data)} integers in "
                         f"{first_label}..{first_label + num_classes - 1}")
    return data.reshape(-1, 3, side, side), labels


class Cifar10(ArrayDataset):
    """CIFAR-10: 3x32x32 images, per-channel standardised; the official test batch is the test split.

    Args:
        root: folder with the batch files (see module docstring).
        seed: shuffles the train / validation split of the 50,000 training images.
        val_fraction: share of the training images used for validation.
        max_train: keep only this many training images (None for all), for quick CPU searches.
        download: fetch the official archive into ``root`` when the batches are missing.
        mirror: another base URL to fetch it from (an internal mirror); the checksum still applies.
    """

    raw_inputs = "3x32x32 uint8 images (values 0..255), channels first"
    channel_order = "RGB"

    def __init__(self, root: str = "data/cifar10", seed: int = 1, val_fraction: float = 0.2,
                 max_train: Optional[int] = None, download: bool = False, mirror: Optional[str] = None) -> None:
        root = os.path.expanduser(root)
        if download and not _has_batches(root):
            fetch(CIFAR10, root, mirror=mirror)
        folder = find_folder(root)
        parts = [read_batch(os.path.join(folder, n)) for n in TRAIN_FILES]
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        test = read_batch(os.path.join(folder, TEST_FILE))
        super().__init__(num_classes=10, name="cifar10",
                         **make_splits(X, y, val_fraction=val_fraction, seed=seed, test=test, max_train=max_train))
