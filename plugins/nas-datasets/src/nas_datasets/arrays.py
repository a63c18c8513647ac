"""The user's own arrays: ``.npz`` archives or ``X``/``y`` pairs of ``.npy`` files.

Everything is checked when the experiment is built (shapes, integer labels in range, at least two
classes), so bad data is one message naming the parameter before anything is written. The
provider pickles as its paths: each worker opens the files itself (``.npy`` memory-mapped).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from nas_kernel.toolbox.params import check_int
from nas_datasets.files import check_inputs, check_labels, read_npy, read_npz, resolve_path
from nas_datasets.provider import ArrayDataset
from nas_datasets.splits import check_fraction, split_indices

PAIR_KEYS = ("X", "y")


def check_targets(y: np.ndarray, n: int, what: str) -> np.ndarray:
    """``y`` as float32 regression targets: one finite number per sample."""
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{what}: y has shape {y.shape}; expected ({n},), one target per sample of X")
    if not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)):
        raise ValueError(f"{what}: y holds {y.dtype} values; task: regression needs numbers")
    y = np.asarray(y, dtype=np.float32)
    if not np.isfinite(y).all():
        raise ValueError(f"{what}: y holds NaN or infinite targets")
    return y


class Arrays(ArrayDataset):
    """Your arrays as a dataset: ``X`` of shape ``(N, C, H, W)`` or ``(N, features)``, ``y`` integer
    labels ``0..K-1`` (or float targets with ``task: regression``).

    Args:
        path: one ``.npz`` holding ``X`` and ``y``, and optionally ``X_val``/``y_val`` and
            ``X_test``/``y_test``.
        train, val, test: instead of ``path``: each an ``.npz`` holding ``X`` and ``y``, or a
            mapping ``{X: inputs.npy, y: labels.npy}`` (``.npy`` files are memory-mapped, so they
            may be larger than memory). ``val`` and ``test`` are optional.
        val_fraction: share of the training samples held out (seeded by ``seed``) for validation
            when no validation data is given.
        num_classes: the number of classes; None takes the largest label + 1.
        task: ``classification`` (integer labels) or ``regression`` (``y`` holds float targets,
            used as they are; pair it with ``partial_training``'s ``task: regression``).
        standardize: subtract the per-channel (per-feature for rows) mean of the training split and
            divide by its std; false feeds the values as they are.
        seed: the validation split.
        base_dir: the folder relative paths are read from; the kernel passes the experiment
            file's folder.
    """

    def __init__(self, path: Optional[str] = None, train: Any = None, val: Any = None, test: Any = None,
                 val_fraction: float = 0.2, num_classes: Optional[int] = None, standardize: bool = True,
                 task: str = "classification", seed: int = 1, base_dir: Optional[str] = None) -> None:
        if path is not None and train is not None:
            raise ValueError("give either path (one .npz) or train (with optional val and test), not both")
        if path is None and train is None:
            raise ValueError("path (one .npz with X and y) or train is required")
        if path is not None and (val is not None or test is not None):
            raise ValueError("val and test go with train; with path, put X_val/y_val and X_test/y_test in the .npz")
        self.val_fraction = check_fraction(val_fraction, "val_fraction", allow_zero=False)
        self.seed = int(seed)
        self.standardize = bool(standardize)
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be classification or regression, got {task!r}")
        self.task = task
        if num_classes is not None:
            check_int("num_classes", num_classes, 2)
        self.sources = self._sources(path, train, val, test, base_dir)
        splits = self._load()  # reads headers and labels, maps the inputs: the checks need them
        if task == "regression":  # one output per sample; no class checks
            super().__init__(num_classes=1, mean=None if self.standardize else 0.0, name="arrays")
            self._set_splits(splits)
            return
        labels = {k: (s[1] if len(s) == 2 else s[1][s[2]]) for k, s in splits.items() if s is not None}
        largest = max(int(y.max()) for y in labels.values())
        if num_classes is None:
            num_classes = largest + 1
        elif largest >= num_classes:
            split = next(k for k, y in labels.items() if int(y.max()) == largest)
            where = (self.sources[split] or self.sources["train"])[0]
            raise ValueError(f"{where}: labels out of range: found {largest}, but num_classes={num_classes} "
                             f"allows 0..{num_classes - 1}")
        present = np.unique(labels["train"])
        if len(present) < 2:
            raise ValueError(f"{self.sources['train'][0]}: every training label is {int(present[0])}; a classifier needs at least "
                             "two classes")
        super().__init__(num_classes=num_classes, mean=None if self.standardize else 0.0, name="arrays")
        self._set_splits(splits)

    @staticmethod
    def _sources(path, train, val, test, base_dir) -> Dict[str, Any]:
        """Per split: ``(label, "npz", file, suffix, required)`` or ``(label, "npy", X file, y file)``;
        ``label`` names the parameter in messages."""
        if path is not None:
            file = resolve_path(path, base_dir, "path")
            return {"train": ("path", "npz", file, "", True), "val": ("path (X_val, y_val)", "npz", file, "_val", False),
                    "test": ("path (X_test, y_test)", "npz", file, "_test", False)}
        sources = {}
        for split, value in (("train", train), ("val", val), ("test", test)):
            if value is None:
                sources[split] = None
            elif isinstance(value, str):
                sources[split] = (split, "npz", resolve_path(value, base_dir, split), "", True)
            elif isinstance(value, dict) and set(value) == set(PAIR_KEYS):
                sources[split] = (split, "npy") + tuple(resolve_path(value[k], base_dir, f"{split}.{k}")
                                                        for k in PAIR_KEYS)
            else:
                raise ValueError(f"{split} must be an .npz path or a mapping {{X: inputs.npy, y: labels.npy}}, "
                                 f"got {value!r}")
        return sources

    def _read(self, split: str):
        source = self.sources[split]
        if source is None:
            return None
        label, kind = source[:2]
        if kind == "npy":
            X, y = read_npy(source[2], f"{label}.X"), read_npy(source[3], f"{label}.y")
        else:
            file, suffix, required = source[2:]
            keys = ["X" + suffix, "y" + suffix]
            found = read_npz(file, label, keys if required else [], [] if required else keys)
            if not found:
                return None
            if len(found) == 1:  # optional members of the one archive: both or neither
                raise ValueError(f"{label}: {file} has {next(iter(found))} but not its partner")
            X, y = found[keys[0]], found[keys[1]]
        check_inputs(X, label)
        if self.task == "regression":
            return X, check_targets(y, len(X), label)
        if not np.issubdtype(y.dtype, np.integer) and np.issubdtype(y.dtype, np.floating):
            raise ValueError(f"{label}: y holds {y.dtype} values; labels must be integers (class indices 0..K-1), "
                             "or set task: regression for float targets")
        return X, check_labels(y, len(X), label)

    def _load(self):
        train, val, test = self._read("train"), self._read("val"), self._read("test")
        for split, pair in (("val", val), ("test", test)):
            if pair is not None and pair[0].shape[1:] != train[0].shape[1:]:
                raise ValueError(f"{self.sources[split][0]}: samples of shape {pair[0].shape[1:]}, but the training samples are "
                                 f"{train[0].shape[1:]}")
        if val is None:  # a seeded split of the training file, as row indices: nothing is copied
            rest, held_out = split_indices(len(train[1]), (self.val_fraction,), self.seed)
            train, val = (train[0], train[1], rest), (train[0], train[1], held_out)
        return {"train": train, "val": val, "test": test}
