"""Where training data comes from: any provider with ``get_train()`` / ``get_val()`` returning
``(X, y)`` tensors (the datasets plugin's ``digits``, ``synthetic``, ``cifar10`` ...), named
through the kernel's dataset registry, or built from tensors with ``TensorProvider``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

import torch

from nas_kernel.api.overridable import OpenOverrides


class TensorProvider(OpenOverrides):
    """A provider over in-memory tensors (for tests and notebooks)."""

    def __init__(self, train: Tuple[torch.Tensor, torch.Tensor], val: Tuple[torch.Tensor, torch.Tensor],
                 num_classes: Optional[int] = None) -> None:
        self._train, self._val = train, val
        self.num_classes = int(num_classes if num_classes is not None else int(max(train[1].max(), val[1].max())) + 1)
        self.input_shape = tuple(train[0].shape[1:])

    def get_train(self):
        return self._train

    def get_val(self):
        return self._val


def is_provider(obj: Any) -> bool:
    return callable(getattr(obj, "get_train", None)) and callable(getattr(obj, "get_val", None))


@dataclass
class DataLoaders(OpenOverrides):
    """The data of one training run: ``train`` and ``val`` as ``(X, y)`` tensors (``test``
    optional), what ``get_data`` returns and ``fit`` / ``post_epoch`` receive."""

    train: Tuple[torch.Tensor, torch.Tensor]
    val: Tuple[torch.Tensor, torch.Tensor]
    test: Optional[Tuple[torch.Tensor, torch.Tensor]] = None


class UsesDataset(OpenOverrides):
    """What the supergraph's ``Searcher`` and ``Evaluater`` share: a dataset given as a provider,
    a registered name or ``{name, params}``, resolved once, on first use; a seed; whether to resume;
    the callbacks told of each epoch's metrics."""

    def __init__(self, dataset: Any = None, seed: int = 1, resume: bool = True) -> None:
        self.dataset, self.seed, self.resume = dataset, seed, resume
        self.epoch_callbacks: list = []

    def provider(self) -> Any:
        if not hasattr(self.dataset, "get_train"):
            self.dataset = resolve_dataset(self.dataset, self.seed)
        return self.dataset


def resolve_dataset(dataset: Any = None, seed: int = 1) -> Any:
    """A provider from a provider, a registered name, or ``{name, params}``; None means ``digits``.
    Named datasets are built by the kernel (``build_component``), as the experiment file builds them."""
    if is_provider(dataset):
        return dataset
    if dataset is None:
        dataset = "digits"
    if isinstance(dataset, str):
        name, params = dataset, {}
    elif isinstance(dataset, dict) and isinstance(dataset.get("name"), str):
        name, params = dataset["name"], dict(dataset.get("params") or {})
    else:
        raise ValueError(f"dataset must be a provider (get_train/get_val), a registered name or "
                         f"{{name, params}}, got {type(dataset).__name__}")
    from nas_kernel.components import build_component
    from nas_kernel.experiment.errors import ConfigError

    try:
        provider = build_component("datasets", name, params, seed=seed)
    except ConfigError as exc:
        raise ValueError(f"dataset {name!r}: {exc.detail} (install nas-datasets or pass a provider)") from None
    if not is_provider(provider):
        raise ValueError(f"dataset {name!r} built a {type(provider).__name__} without get_train/get_val")
    return provider


def split(provider: Any, val_ratio: float, seed: int) -> DataLoaders:
    """The provider's training data in two seeded parts (``val_ratio`` of it in ``val``): the
    weights learn on one, the architecture weights on the other; ``test`` is its validation data."""
    X, y = provider.get_train()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_val = max(1, min(len(y) - 1, int(round(len(y) * val_ratio))))
    a, b = order[:len(y) - n_val], order[len(y) - n_val:]
    return DataLoaders((X[a], y[a]), (X[b], y[b]), provider.get_val())


def describe(provider: Any) -> Tuple[int, int]:
    """``(in_channels, num_classes)`` of an image provider."""
    X, y = provider.get_train()
    if X.dim() != 4:
        raise ValueError(f"supergraph models need image data (N, C, H, W), got shape {tuple(X.shape)}")
    num_classes = getattr(provider, "num_classes", None)
    return int(X.shape[1]), int(num_classes if num_classes is not None else int(y.max()) + 1)
