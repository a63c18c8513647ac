"""The reference dataset provider (``nas_kernel.api.DatasetProvider``) over numpy arrays.

The raw arrays are kept as they come (uint8 for images, possibly memory-mapped files) and
standardised only when read, so a provider pickles small when it is sent to a spawn worker or a
Ray task; the converted tensors are a per-process cache that is never pickled. Callers get the
cached tensors themselves, so they must treat them as read-only (copy before augmenting in place).

A split is ``(X, y)`` or ``(X, y, rows)``: ``rows`` picks samples of ``X`` without copying it, so
a seeded validation split of a memory-mapped file stays a view until a batch is read. Providers
over files override ``_load`` and are pickled without their arrays: the receiving process loads
them again from the paths.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from nas_kernel.api.dataset import SPLITS, DatasetProvider, default_transform
from nas_datasets.splits import channel_stats

Split = Tuple[np.ndarray, ...]


class ArrayDataset(DatasetProvider):
    """Train / validation / test splits held as arrays, standardised per channel.

    Args:
        train, val, test: ``(X, y)`` or ``(X, y, rows)`` tuples; ``X`` is ``(N, C, H, W)`` (or
            ``(N, *shape)``), ``y`` integer labels, ``rows`` optional indices into both. ``test``
            may be None. All three None: a subclass loads them in ``_load``.
        num_classes: number of classes (labels are ``0..num_classes-1``).
        mean, std: per-channel statistics subtracted / divided on access; scalars or one value per
            channel. ``mean=None`` computes both from the training split on first read.
        name: shown in ``repr`` and error messages.
    """

    #: what a raw sample is, for the preprocessing record (``input_transform``); subclasses say more
    raw_inputs = "the arrays as given, before standardisation"
    #: the channel order of raw images (e.g. ``"RGB"``); None when the channels are not colours
    channel_order: Optional[str] = None

    def __init__(self, train: Optional[Split] = None, val: Optional[Split] = None, test: Optional[Split] = None, *,
                 num_classes: int, mean=0.0, std=1.0, name: str = "dataset") -> None:
        self.name = name
        self.num_classes = int(num_classes)
        self._splits: Optional[Dict[str, Optional[Split]]] = None
        self._cache: dict = {}
        self._mean = self._std = None
        self._given_stats = None if mean is None else (mean, std)
        if train is not None:
            self._set_splits({"train": train, "val": val, "test": test})

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
        splits = self._arrays()
        return {k: (0 if splits[k] is None else _length(splits[k])) for k in SPLITS}

    def torch_dataset(self, split: str):
        """Samples of one split read one batch of rows at a time (see ``nas_datasets.samples``)."""
        from nas_datasets.samples import ArraySamples

        if self._arrays()[split] is None:
            raise ValueError(f"{self.name} has no {split} split")
        return ArraySamples(self, split)

    @property
    def target_dtype(self):
        """int64 class labels, or float32 targets for ``task = "regression"``."""
        return np.float32 if getattr(self, "task", "classification") == "regression" else np.int64

    def rows(self, split: str, indices=None) -> Tuple[np.ndarray, np.ndarray]:
        """Standardised float32 inputs and int64 labels of some rows of a split (all when None)."""
        pair = self._arrays()[split]
        if pair is None:
            raise ValueError(f"{self.name} has no {split} split")
        X, y = pair[0], pair[1]
        picked = pair[2] if len(pair) > 2 else None
        if indices is not None:
            indices = np.asarray(indices, dtype=np.int64)
            picked = indices if picked is None else picked[indices]
        if picked is not None:
            order = np.argsort(picked, kind="stable")  # sorted reads are sequential on a memory map
            Xs = np.empty((len(picked),) + X.shape[1:], dtype=X.dtype)
            Xs[order] = X[picked[order]]
            X, y = Xs, y[picked]
        mean, std = self._stats()
        shape = (1, -1) + (1,) * (X.ndim - 2)
        Xf = (X.astype(np.float32) - mean.reshape(shape)) / std.reshape(shape)
        return np.ascontiguousarray(Xf, dtype=np.float32), np.asarray(y, dtype=self.target_dtype)

    def raw_split(self, split: str) -> Tuple[np.ndarray, np.ndarray]:
        """The inputs of a split as stored, before standardisation (what a deployed model is
        given, to be preprocessed with ``input_transform()``), and its labels."""
        pair = self._arrays()[split]
        if pair is None:
            raise ValueError(f"{self.name} has no {split} split")
        X, y = pair[0], pair[1]
        if len(pair) > 2:
            X, y = X[pair[2]], y[pair[2]]
        return np.asarray(X), np.asarray(y, dtype=self.target_dtype)

    def input_transform(self) -> dict:
        """The per-channel mean and std subtracted and divided on read (computed from the training
        split when not given), the channel order and what a raw sample is."""
        mean, std = self._stats()
        return default_transform(self, mean=mean, std=std, channel_order=self.channel_order,
                                 size=getattr(self, "size", None), raw=self.raw_inputs)

    # ---- for subclasses ----------------------------------------------------------------------
    def _load(self) -> Dict[str, Optional[Split]]:
        """The splits of a provider built without arrays; file-backed subclasses read them here."""
        raise ValueError(f"{self.name} holds no data")

    def _loads_from_files(self) -> bool:
        return type(self)._load is not ArrayDataset._load

    # ---- internals ---------------------------------------------------------------------------
    def _set_splits(self, splits: Dict[str, Optional[Split]]) -> None:
        checked = {k: (None if splits.get(k) is None else _checked(splits[k], k)) for k in SPLITS}
        if checked["train"] is None or checked["val"] is None:
            raise ValueError(f"{self.name}: a train and a val split are required")
        shapes = {s[0].shape[1:] for s in checked.values() if s is not None}
        if len(shapes) != 1:
            raise ValueError(f"{self.name}: splits have different sample shapes {sorted(shapes)}")
        self.input_shape: Tuple[int, ...] = tuple(int(d) for d in shapes.pop())
        self._splits = checked
        if self._given_stats is not None and self._mean is None:
            channels = self.input_shape[0] if self.input_shape else 1
            self._mean = _per_channel(self._given_stats[0], channels, "mean")
            self._std = _per_channel(self._given_stats[1], channels, "std")
            if np.any(self._std <= 0):
                raise ValueError(f"{self.name}: std must be positive, got {self._std}")

    def _arrays(self) -> Dict[str, Optional[Split]]:
        if self._splits is None:
            self._set_splits(self._load())
        return self._splits

    def _stats(self):
        if self._mean is None:
            X, _, *rows = self._arrays()["train"]
            self._mean, self._std = channel_stats(X, rows[0] if rows else None)
        return self._mean, self._std

    def _tensors(self, split: str):
        if split not in self._cache:
            import torch

            X, y = self.rows(split)
            self._cache[split] = (torch.from_numpy(X), torch.from_numpy(y))
        return self._cache[split]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = {}
        if self._loads_from_files():  # the receiving process reads the files itself
            state["_splits"] = None
        return state

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes().items())
        return f"{type(self).__name__}(name={self.name!r}, input_shape={self.input_shape}, " \
               f"num_classes={self.num_classes}, {sizes})"


def _length(split: Split) -> int:
    return len(split[2]) if len(split) > 2 else len(split[1])


def _checked(pair: Sequence, split: str) -> Split:
    X = pair[0] if isinstance(pair[0], np.ndarray) else np.asarray(pair[0])  # keeps a memory map a memory map
    y = np.asarray(pair[1])
    if X.ndim < 2 or len(X) != len(y) or y.ndim != 1:
        raise ValueError(f"{split} split: expected X (N, ...) and y (N,), got {X.shape} and {y.shape}")
    if len(pair) > 2 and pair[2] is not None:
        rows = np.asarray(pair[2], dtype=np.int64)
        if rows.ndim != 1 or (rows.size and (rows.min() < 0 or rows.max() >= len(y))):
            raise ValueError(f"{split} split: rows must be indices into its {len(y)} samples")
        if rows.size == 0:
            raise ValueError(f"{split} split is empty")
        return X, y, rows
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
