"""Tabular data: a CSV or Parquet file read with pandas, one ``target`` column, feature rows.

Feature columns are named or are all the others. Text, category and true/false columns are
one-hot encoded with the categories of the training split (a value first seen in validation
encodes as all zeros); numeric columns are standardised with the training split's mean and
standard deviation, so nothing of the validation or test rows leaks into training. A
classification target's distinct values, sorted, become the labels ``0..K-1`` (``classes`` keeps
them); a regression target is a float, standardised on the training split as well (R^2 does not
change; MSE and MAE are then in units of the target's training standard deviation).

Everything is read and checked when the experiment is built. The provider pickles as its path
and parameters: a worker reads the file again.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from nas_kernel.api.dataset import DatasetProvider
from nas_datasets.files import resolve_path
from nas_datasets.splits import check_fraction, split_indices

TASKS = ("classification", "regression")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class Table(DatasetProvider):
    """Rows of a CSV or Parquet file as feature vectors.

    Args:
        path: the ``.csv`` or ``.parquet`` file.
        target: the column to predict.
        features: the feature columns; None takes every column but ``target``.
        categorical: columns to one-hot encode besides the text, category and true/false
            columns, which always are (e.g. integer codes).
        task: ``classification`` (the target's distinct values are the classes) or
            ``regression`` (a float target; pair it with ``partial_training``'s ``task:
            regression``).
        val_fraction, test_fraction: shares of the rows held out (seeded by ``seed``).
        standardize: standardise numeric features (and a regression target) with the training
            split's statistics.
        seed: the split.
        base_dir: the folder a relative ``path`` is read from; the kernel passes the experiment
            file's folder.
    """

    def __init__(self, path: str, target: str, features: Optional[List[str]] = None,
                 categorical: Optional[List[str]] = None, task: str = "classification", val_fraction: float = 0.2,
                 test_fraction: float = 0.0, standardize: bool = True, seed: int = 1,
                 base_dir: Optional[str] = None) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
        self.path = resolve_path(path, base_dir, "path")
        if os.path.splitext(self.path)[1].lower() not in FORMATS:
            raise ValueError(f"path: {self.path} is not a .csv or .parquet file")
        if not isinstance(target, str) or not target:
            raise ValueError(f"target must be a column name, got {target!r}")
        for name, value in (("features", features), ("categorical", categorical)):
            if value is not None and (not isinstance(value, list) or not all(isinstance(c, str) for c in value)):
                raise ValueError(f"{name} must be a list of column names, got {value!r}")
        self.target, self.features, self.categorical = target, features, list(categorical or [])
        self.task = task
        self.val_fraction = check_fraction(val_fraction, "val_fraction", allow_zero=False)
        self.test_fraction = check_fraction(test_fraction, "test_fraction", allow_zero=True)
        self.standardize, self.seed = bool(standardize), int(seed)
        self._splits: Optional[Dict[str, Tuple[Any, Any]]] = None
        self._load()  # everything is checked now, before the search writes anything

    # ---- reading -----------------------------------------------------------------------------
    def _frame(self):
        import pandas as pd

        kind = FORMATS[os.path.splitext(self.path)[1].lower()]
        try:
            return pd.read_csv(self.path) if kind == "csv" else pd.read_parquet(self.path)
        except ImportError as exc:
            raise ValueError(f"path: reading {kind} needs a package pandas lacks here ({exc})") from None
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            raise ValueError(f"path: cannot read {self.path} as {kind}: {str(exc).splitlines()[0]}") from None

    def _load(self) -> None:
        import pandas as pd

        frame = self._frame()
        columns = [str(c) for c in frame.columns]
        frame.columns = columns
        if self.target not in columns:
            raise ValueError(f"target: no column {self.target!r} in {self.path}; its columns are: {', '.join(columns)}")
        features = [c for c in columns if c != self.target] if self.features is None else list(self.features)
        missing = [c for c in features + self.categorical if c not in columns or c == self.target]
        if missing:
            raise ValueError(f"features: no feature column {missing[0]!r} in {self.path}; its columns are: "
                             f"{', '.join(columns)}")
        if not features:
            raise ValueError(f"features: {self.path} has no column besides the target {self.target!r}")
        empty = [c for c in features + [self.target] if frame[c].isna().any()]
        if empty:
            raise ValueError(f"path: column {empty[0]!r} of {self.path} has {int(frame[empty[0]].isna().sum())} missing "
                             "values; fill or drop them first")
        n = len(frame)
        fractions = (self.val_fraction,) + ((self.test_fraction,) if self.test_fraction else ())
        parts = split_indices(n, fractions, self.seed)
        train_rows = parts[0]
        if len(train_rows) < 2:
            raise ValueError(f"path: {self.path} has {n} rows; too few to split")
        encoded = []
        names: List[str] = []
        for column in features:
            values = frame[column]
            categorical = column in self.categorical or not (pd.api.types.is_numeric_dtype(values)
                                                                  and not pd.api.types.is_bool_dtype(values))
            if categorical:
                text = values.astype(str).to_numpy()
                for category in sorted(set(text[train_rows])):
                    encoded.append((text == category).astype(np.float32))
                    names.append(f"{column}={category}")
            else:
                col = values.to_numpy(dtype=np.float64)
                if self.standardize:
                    mean, std = col[train_rows].mean(), col[train_rows].std()
                    col = (col - mean) / (std if std > 0 else 1.0)
                encoded.append(col.astype(np.float32))
                names.append(column)
        X = np.stack(encoded, axis=1)
        y = self._targets(frame[self.target], train_rows)
        self.feature_names = names
        self.input_shape = (X.shape[1],)
        self._splits = {split: (X[rows], y[rows]) for split, rows in zip(("train", "val", "test"), parts)}
        self._splits.setdefault("test", (X[:0], y[:0]))

    def _targets(self, values, train_rows) -> np.ndarray:
        import pandas as pd

        if self.task == "regression":
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                raise ValueError(f"target: column {self.target!r} is not numeric (it holds {values.iloc[0]!r}); task: "
                                 "regression needs numbers (or use task: classification)")
            y = values.to_numpy(dtype=np.float64)
            if self.standardize:
                mean, std = y[train_rows].mean(), y[train_rows].std()
                y = (y - mean) / (std if std > 0 else 1.0)
            self.num_classes = 1
            return y.astype(np.float32)
        classes = sorted(set(values.tolist()), key=lambda v: (str(type(v)), v))
        if len(classes) < 2:
            raise ValueError(f"target: column {self.target!r} has one value only; a classifier needs two classes")
        if pd.api.types.is_float_dtype(values) and len(classes) > max(20, len(values) // 10):
            raise ValueError(f"target: column {self.target!r} holds {len(classes)} distinct floats; for a continuous "
                             "target set task: regression")
        index = {c: i for i, c in enumerate(classes)}
        self.classes = [c.item() if hasattr(c, "item") else c for c in classes]
        self.num_classes = len(classes)
        return np.array([index[v] for v in values.tolist()], dtype=np.int64)

    # ---- the provider contract ---------------------------------------------------------------
    def _tensors(self, split: str):
        import torch

        if self._splits is None:
            self._load()
        X, y = self._splits[split]
        if len(y) == 0:
            raise ValueError(f"table {os.path.basename(self.path)} has no {split} split")
        return torch.from_numpy(X), torch.from_numpy(y)

    def get_train(self):
        """The training split: ``(X float32 (N, features), y)``, y int64 labels or float32 targets."""
        return self._tensors("train")

    def get_val(self):
        """The validation split."""
        return self._tensors("val")

    def get_test(self):
        """The test split (``test_fraction`` > 0); ValueError otherwise."""
        return self._tensors("test")

    def sizes(self) -> Dict[str, int]:
        if self._splits is None:
            self._load()
        return {split: int(len(pair[1])) for split, pair in self._splits.items()}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_splits"] = None  # a worker reads the file itself
        return state

    def __repr__(self) -> str:
        return f"Table(path={self.path!r}, target={self.target!r}, task={self.task!r}, input_shape={self.input_shape})"
