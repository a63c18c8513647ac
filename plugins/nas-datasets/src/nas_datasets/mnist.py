"""MNIST from its IDX files (``.gz`` copies work too), downloaded on request (``download: true``).

Expected files in ``root``: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each optionally ending in ``.gz``).
With ``download`` the four official ``.gz`` files are fetched into ``root`` when missing and
checked against their published MD5s (``nas_datasets.download``). IDX is a plain binary format
(big-endian header, then raw bytes), so nothing here can run code.
"""
from __future__ import annotations

import gzip
import os
from typing import Optional

import numpy as np

from nas_datasets.download import MNIST, fetch
from nas_datasets.provider import ArrayDataset
from nas_datasets.splits import make_splits

FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


def locate(root: str, name: str, what: str = "MNIST") -> str:
    for candidate in (name, name + ".gz"):
        path = os.path.join(root, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"{what} file {name!r} (or {name}.gz) not found in {root!r}: expected {', '.join(FILES.values())}. "
        "Set `download: true` to fetch them, or put them there yourself.")


def read_idx(path: str, ndim: int) -> np.ndarray:
    """A uint8 IDX array with ``ndim`` dimensions (3 for images, 1 for labels)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 + 4 * ndim or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != ndim:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes with {ndim} dimension(s)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} but holds {body.size} bytes")
    return body.reshape(dims)


class Mnist(ArrayDataset):
    """MNIST as 1x28x28 standardised images; the official t10k set is the test split.

    Args:
        root: folder with the four IDX files.
        seed: shuffles the train / validation split of the 60,000 training images.
        val_fraction: share of the training images used for validation.
        max_train: keep only this many training images (None for all).
        download: fetch the official files into ``root`` when they are missing.
        mirror: another base URL to fetch them from (an internal mirror); the checksums still apply.
    """

    source, label = MNIST, "MNIST"

    raw_inputs = "1x28x28 uint8 grey images (values 0..255)"

    def __init__(self, root: str = "data/mnist", seed: int = 1, val_fraction: float = 0.2,
                 max_train: Optional[int] = None, download: bool = False, mirror: Optional[str] = None) -> None:
        root = os.path.expanduser(root)
        if download and not all(os.path.isfile(os.path.join(root, n)) or os.path.isfile(os.path.join(root, n + ".gz"))
                                for n in FILES.values()):
            fetch(self.source, root, mirror=mirror)
        paths = {k: locate(root, v, self.label) for k, v in FILES.items()}
        X, y = read_idx(paths["train_images"], 3), read_idx(paths["train_labels"], 1)
        Xt, yt = read_idx(paths["test_images"], 3), read_idx(paths["test_labels"], 1)
        for images, labels, which in ((X, y, "train"), (Xt, yt, "t10k")):
            if len(images) != len(labels):
                raise ValueError(f"{self.label} {which}: {len(images)} images but {len(labels)} labels")
        super().__init__(num_classes=10, name=self.source.name,
                         **make_splits(X[:, None], y, val_fraction=val_fraction, seed=seed,
                                       test=(Xt[:, None], yt), max_train=max_train))
