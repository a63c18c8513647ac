"""Checks for dataset providers (``nas_kernel.api.DatasetProvider``): the shapes, dtypes and label
range every evaluator assumes, the sample-by-sample view agreeing with the tensors, and a
provider surviving the pickling that sends it to workers."""
from __future__ import annotations

import pickle
from typing import Any, Callable, Dict, List

from nas_kernel.api.dataset import DatasetProvider, get_split, input_shape, split_sizes, torch_dataset
from nas_kernel.testing._naming import name_of
from nas_kernel.testing._results import fail

SAMPLES = 5  # rows compared between the tensors and torch_dataset


def _splits(provider) -> Dict[str, Any]:
    """The splits a provider has: train and val always, test when ``get_test`` does not refuse."""
    found = {"train": get_split(provider, "train"), "val": get_split(provider, "val")}
    try:
        found["test"] = get_split(provider, "test")
    except ValueError:
        pass
    return found


def _num_classes(provider) -> int:
    n = getattr(provider, "num_classes", None)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        fail(f"{name_of(provider)}.num_classes should be an int >= 2, got {n!r}")
    return n


def check_splits_are_float_and_int64_tensors(provider):
    import torch

    shape = input_shape(provider)
    for split, pair in _splits(provider).items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            fail(f"{name_of(provider)}.get_{split}() should return an (X, y) pair, got {type(pair).__name__}")
        X, y = pair
        if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
            fail(f"{name_of(provider)}.get_{split}() should return torch tensors, got "
                 f"{type(X).__name__} and {type(y).__name__}")
        if X.dtype != torch.float32 or y.dtype != torch.int64:
            fail(f"{name_of(provider)}.get_{split}(): X should be float32 and y int64, got {X.dtype} and {y.dtype}")
        if y.dim() != 1 or len(X) != len(y) or len(y) == 0:
            fail(f"{name_of(provider)}.get_{split}(): expected X (N, ...) and y (N,) with N > 0, got "
                 f"{tuple(X.shape)} and {tuple(y.shape)}")
        if tuple(X.shape[1:]) != shape:
            fail(f"{name_of(provider)}.get_{split}() has samples of shape {tuple(X.shape[1:])}, but input_shape "
                 f"says {shape}")
        if not bool(torch.isfinite(X).all()):
            fail(f"{name_of(provider)}.get_{split}() holds non-finite inputs")


def check_labels_within_num_classes(provider):
    n = _num_classes(provider)
    for split, (_, y) in _splits(provider).items():
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= n:
            fail(f"{name_of(provider)}.get_{split}() has labels {low}..{high}; num_classes={n} allows 0..{n - 1}")


def check_sizes_match_splits(provider):
    sizes, splits = split_sizes(provider), _splits(provider)
    for split in ("train", "val", "test"):
        actual = len(splits[split][1]) if split in splits else 0
        if int(sizes.get(split, -1)) != actual:
            fail(f"{name_of(provider)}.sizes() says {split}={sizes.get(split)!r}, but the split holds {actual} samples")


def check_torch_dataset_matches_tensors(provider):
    import torch

    for split, (X, y) in _splits(provider).items():
        data = torch_dataset(provider, split)
        if len(data) != len(y):
            fail(f"{name_of(provider)}.torch_dataset({split!r}) has {len(data)} samples, get_{split}() {len(y)}")
        step = max(1, len(y) // SAMPLES)
        for i in range(0, len(y), step):
            x_i, y_i = data[i]
            if int(y_i) != int(y[i]) or not torch.allclose(torch.as_tensor(x_i, dtype=torch.float32), X[i],
                                                           rtol=1e-5, atol=1e-6):
                fail(f"{name_of(provider)}.torch_dataset({split!r})[{i}] differs from row {i} of get_{split}(); "
                     "the DataLoader path would train on other data than the tensor path")


def check_pickle_roundtrip_keeps_data(provider):
    import torch

    try:
        copy = pickle.loads(pickle.dumps(provider))
    except Exception as exc:
        fail(f"{name_of(provider)} does not pickle ({type(exc).__name__}: {exc}); process_pool and Ray send the "
             "provider to their workers")
    for split in ("train", "val"):
        (X, y), (X2, y2) = get_split(provider, split), get_split(copy, split)
        if X.shape != X2.shape or not torch.equal(y, y2) or not torch.allclose(X, X2):
            fail(f"{name_of(provider)}: after pickling, get_{split}() returns other data; a worker would train "
                 "on something else than the parent process")


def dataset_checks(provider: Any) -> List[Callable[..., None]]:
    """The checks that apply to ``provider`` (none unless it is a ``DatasetProvider``)."""
    if not isinstance(provider, DatasetProvider):
        return []
    return [check_splits_are_float_and_int64_tensors, check_labels_within_num_classes, check_sizes_match_splits,
            check_torch_dataset_matches_tensors, check_pickle_roundtrip_keeps_data]
