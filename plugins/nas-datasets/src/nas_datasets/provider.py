"""The dataset-provider interface every evaluator relies on, as one small picklable class.

Evaluators use providers through duck typing only: ``get_train()``, ``get_val()`` and
``get_test()`` return ``(X, y)`` torch tensors (``X`` float32 of shape ``(N, *input_shape)``,
``y`` int64 class indices), and ``num_classes`` / ``input_shape`` describe them. Any object with
those members works; this class is the reference implementation.

The raw arrays are kept as compact numpy (uint8 for images) and standardised on first access,
so a provider pickles small when it is sent to a spawn worker or a Ray task; the converted
tensors are a per-process cache that is never pickled. Callers get the cached tensors
themselves, so they must treat them as read-only (copy before augmenting in place).
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

Split = Tuple[np.ndarray, np.ndarray]


class ArrayDataset:
    """Train / validation / test splits held as arrays, standardised per channel.

    Args:
        train, val, test: ``(X, y)`` pairs; ``X`` is ``(N, C, H, W)`` (or ``(N, *shape)``), ``y``
            integer labels. ``test`` may be None.
        num_classes: number of classes (labels are ``0..num_classes-1``).
        mean, std: per-channel statistics subtracted / divided on access (computed from the
            training split by the loaders); scalars or one value per channel.
        name: shown in ``repr`` and error messages.
    """

    def __init__(self, train: Split, val: Split, test: Optional[Split] = None, *, num_classes: int,
                 mean=0.0, std=1.0, name: str = "dataset") -> None:
        self.name = name
        self.num_classes = int(num_classes)
        self._splits = {"train": _checked(train, "train"), "val": _checked(val, "val"),
                        "test": None if test is None else _checked(test, "test")}
        shapes = {s[0].shape[1:] for s in self._splits.values() if s is not None}
        if len(shapes) != 1:
            raise ValueError(f"{name}: splits have different sample shapes {sorted(shapes)}")
        self.input_shape: Tuple[int, ...] = tuple(int(d) for d in shapes.pop())
        channels = self.input_shape[0] if self.input_shape else 1
        self._mean = _per_channel(mean, channels, "mean")
        self._std = _per_channel(std, channels, "std")
        if np.any(self._std <= 0):
            raise ValueError(f"{name}: std must be positive, got {self._std}")
        self._cache: dict = {}

    # ---- the interface -----------------------------------------------------------------------
    def get_train(self):
        """The training split as ``(X float32, y int64)`` tensors."""
        return self._tensors("train")

    def get_val(self):
        """The validation split (used for fitness and early stopping)."""
        return self._tensors("val")

    def get_test(self):
        """The held-out test split; raises ValueError when this dataset has none."""
        return self._tensors("test")

    def sizes(self) -> dict:
        """Number of samples per split (0 for a missing test split)."""
        return {k: (0 if v is None else len(v[1])) for k, v in self._splits.items()}

    # ---- internals ---------------------------------------------------------------------------
    def _tensors(self, split: str):
        if split not in self._cache:
            pair = self._splits[split]
            if pair is None:
                raise ValueError(f"{self.name} has no {split} split")
            import torch

            X, y = pair
            shape = (1, -1) + (1,) * (X.ndim - 2)
            Xf = (X.astype(np.float32) - self._mean.reshape(shape)) / self._std.reshape(shape)
            self._cache[split] = (torch.from_numpy(np.ascontiguousarray(Xf, dtype=np.float32)),
                                  torch.from_numpy(y.astype(np.int64)))
        return self._cache[split]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes().items())
        return f"{type(self).__name__}(name={self.name!r}, input_shape={self.input_shape}, " \
               f"num_classes={self.num_classes}, {sizes})"


def _checked(pair: Sequence, split: str) -> Split:
    X, y = np.asarray(pair[0]), np.asarray(pair[1])
    if X.ndim < 2 or len(X) != len(y) or y.ndim != 1:
        raise ValueError(f"{split} split: expected X (N, ...) and y (N,), got {X.shape} and {y.shape}")
    if len(y) == 0:
        raise ValueError(f"{split} split is empty")
    return X, y


def _per_channel(value, channels: int, what: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float32).reshape(-1)
    if arr.size == 1:
        arr = np.repeat(arr, channels)
    if arr.size != channels:
        raise ValueError(f"{what} needs 1 or {channels} values, got {arr.size}")
    return arr
