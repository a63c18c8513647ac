"""The escape hatch: a function of the user's builds the data, named ``"package.module:function"``.

For anything ``arrays`` and ``image_folder`` do not cover (a database, a custom format, on-the-fly
generation). The function is called when the experiment is built, so its output is checked before
anything is written, and again in every worker process that reads the data: the provider pickles
as the function's name and parameters, never as the data. The function should therefore be
deterministic (seed it from its parameters). Modules next to the experiment file import without
installing anything: ``base_dir`` is put on ``sys.path``.
"""
from __future__ import annotations

import inspect
from typing import Any, Dict, Optional

import numpy as np

from nas_kernel.api.dataset import DatasetProvider, get_split, input_transform, split_sizes, torch_dataset
from nas_kernel.toolbox.references import import_reference
from nas_datasets.files import check_inputs, check_labels
from nas_datasets.provider import ArrayDataset
from nas_datasets.splits import check_fraction, split_indices

def import_function(reference: Any, base_dir: Optional[str]):
    """The callable ``reference`` names; ValueError naming ``function`` when it cannot be had
    (the kernel's one resolver, shared with the ``config`` space's ``model_cls``)."""
    return import_reference(reference, base_dir, "function")


def _as_numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def provider_from_result(result: Any, reference: str, val_fraction: float, seed: int) -> DatasetProvider:
    """The function's return value as a provider: a provider itself, ``(train, val[, test])``
    pairs, or a mapping ``{train, val (optional), test (optional), num_classes (optional)}``."""
    if isinstance(result, DatasetProvider):
        if getattr(result, "num_classes", None) is None:
            raise ValueError(f"function: {reference} returned a {type(result).__name__} without num_classes")
        return result
    if isinstance(result, (tuple, list)) and 2 <= len(result) <= 3:
        result = dict(zip(("train", "val", "test"), result))
    if not isinstance(result, dict) or "train" not in result or not set(result) <= {"train", "val", "test",
                                                                                  "num_classes"}:
        raise ValueError(f"function: {reference} must return a dataset provider, (train, val[, test]) (X, y) pairs "
                         f"or {{train, val, test, num_classes}}; got {type(result).__name__}")
    splits: Dict[str, Any] = {}
    for split in ("train", "val", "test"):
        pair = result.get(split)
        if pair is None:
            continue
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"function: {reference} returned {split} as {type(pair).__name__}; expected an (X, y) pair")
        X = _as_numpy(pair[0])
        check_inputs(X, f"function {split}")
        splits[split] = (X, check_labels(_as_numpy(pair[1]), len(X), f"function {split}"))
    if "val" not in splits:
        X, y = splits["train"]
        rest, held_out = split_indices(len(y), (val_fraction,), seed)
        splits["train"], splits["val"] = (X, y, rest), (X, y, held_out)
    largest = max(int(s[1].max()) for s in splits.values())
    num_classes = result.get("num_classes", largest + 1)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2 or largest >= num_classes:
        raise ValueError(f"function: {reference} gave num_classes={num_classes!r} for labels up to {largest}")
    return ArrayDataset(splits.get("train"), splits.get("val"), splits.get("test"), num_classes=num_classes,
                        name=reference)


class PythonFunction(DatasetProvider):
    """Data from ``function(**params)``, a function of yours.

    Args:
        function: ``"package.module:function"``; the module is imported from the installed packages or
            from the experiment file's folder.
        params: keyword arguments for the function.
        val_fraction: share of the training samples held out (seeded) when the function returns no
            validation split.
        seed: that split; also passed to the function as ``seed`` when it takes one and ``params``
            does not set it.
        base_dir: the folder put on ``sys.path``; the kernel passes the experiment file's folder.

    The function returns a dataset provider, ``(train, val)`` or ``(train, val, test)`` pairs of
    ``(X, y)`` arrays or tensors, or a mapping with ``train`` and optionally ``val``, ``test`` and
    ``num_classes``. Arrays are used as they are (no standardisation).
    """

    def __init__(self, function: str, params: Optional[Dict[str, Any]] = None, val_fraction: float = 0.2,
                 seed: int = 1, base_dir: Optional[str] = None) -> None:
        if params is not None and not isinstance(params, dict):
            raise ValueError(f"params must be a mapping of keyword arguments, got {type(params).__name__}")
        self.function, self.params, self.base_dir = function, dict(params or {}), base_dir
        self.val_fraction = check_fraction(val_fraction, "val_fraction", allow_zero=False)
        self.seed = int(seed)
        provider = self._build()
        self.num_classes = int(provider.num_classes)
        self.input_shape = tuple(int(d) for d in getattr(provider, "input_shape", None)
                                 or provider.get_train()[0].shape[1:])
        self._provider: Optional[DatasetProvider] = provider

    def _build(self) -> DatasetProvider:
        func = import_function(self.function, self.base_dir)
        kwargs = dict(self.params)
        try:
            if "seed" in inspect.signature(func).parameters and "seed" not in kwargs:
                kwargs["seed"] = self.seed
        except (TypeError, ValueError):
            pass
        try:
            result = func(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"function: {self.function}(**params) failed: {type(exc).__name__}: {exc}") from None
        return provider_from_result(result, self.function, self.val_fraction, self.seed)

    @property
    def provider(self) -> DatasetProvider:
        """What the function built, built again in a process that received this one pickled."""
        if self._provider is None:
            self._provider = self._build()
        return self._provider

    def get_train(self):
        return self.provider.get_train()

    def get_val(self):
        return self.provider.get_val()

    def get_test(self):
        return get_split(self.provider, "test")

    def sizes(self) -> Dict[str, int]:
        return split_sizes(self.provider)

    def torch_dataset(self, split: str):
        return torch_dataset(self.provider, split)

    def input_transform(self) -> Dict[str, Any]:
        """The preprocessing of the provider the function built."""
        return input_transform(self.provider)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_provider"] = None
        return state

    def __repr__(self) -> str:
        return f"PythonFunction({self.function!r}, num_classes={self.num_classes}, input_shape={self.input_shape})"
