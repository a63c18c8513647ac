"""Seeded random data of any shape and class count, for tests and smoke runs.

Each class has its own random mean image and samples are that mean plus unit noise, so a model
can learn something (``separation`` sets how much) and a test can tell training from guessing.
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from nas_datasets.provider import ArrayDataset


class Synthetic(ArrayDataset):
    """Gaussian class clusters.

    Args:
        input_shape: shape of one sample, e.g. ``[1, 8, 8]`` or ``[16]``.
        num_classes: at least 2.
        num_train, num_val, num_test: samples per split (``num_test`` 0 for none).
        separation: distance scale between class means (0 makes labels pure noise).
        seed: everything random derives from it.
    """

    def __init__(self, input_shape: Optional[List[int]] = None, num_classes: int = 10, num_train: int = 256,
                 num_val: int = 64, num_test: int = 64, separation: float = 1.0, seed: int = 1) -> None:
        shape = tuple(int(d) for d in (input_shape if input_shape is not None else (1, 8, 8)))
        if not shape or any(d < 1 for d in shape):
            raise ValueError(f"input_shape must be a non-empty list of positive sizes, got {input_shape!r}")
        if int(num_classes) < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        for pname, value, low in (("num_train", num_train, 1), ("num_val", num_val, 1), ("num_test", num_test, 0)):
            if int(value) < low:
                raise ValueError(f"{pname} must be >= {low}, got {value}")
        if float(separation) < 0:
            raise ValueError(f"separation must be >= 0, got {separation}")
        rng = np.random.default_rng(seed)
        means = rng.normal(0.0, float(separation), size=(int(num_classes),) + shape).astype(np.float32)

        def draw(n: int):
            labels = rng.integers(0, int(num_classes), size=n)
            return means[labels] + rng.normal(size=(n,) + shape).astype(np.float32), labels

        train, val = draw(int(num_train)), draw(int(num_val))
        test = draw(int(num_test)) if int(num_test) else None
        super().__init__(train, val, test, num_classes=int(num_classes), name="synthetic")
