"""Where training data comes from: any provider with ``get_train()`` / ``get_val()`` returning
``(X, y)`` tensors (the datasets plugin's ``digits``, ``synthetic``, ``cifar10`` ...), named
through the kernel's dataset registry, or built from tensors with ``TensorProvider``."""
from __future__ import annotations

import inspect
from typing import Any, Optional, Tuple

import torch


class TensorProvider:
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


def resolve_dataset(dataset: Any = None, seed: int = 1, plugin_manager: Any = None) -> Any:
    """A provider from a provider, a registered name, or ``{name, params}``; None means ``digits``."""
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
    manager = plugin_manager
    if manager is None:
        from nas_supergraph.op_lookup import current_plugin_manager

        manager = current_plugin_manager()
    if manager is None:
        from nas_kernel.plugins import make_plugin_manager

        manager = make_plugin_manager()
    from nas_kernel.plugins import ComponentError

    try:
        factory = manager.registry.get("datasets", name).load()
    except ComponentError as exc:
        raise ValueError(f"dataset {name!r} is not available ({exc}); install nas-datasets or pass a provider") from None
    if "seed" in inspect.signature(factory).parameters and "seed" not in params:
        params["seed"] = seed
    provider = factory(**params)
    if not is_provider(provider):
        raise ValueError(f"dataset {name!r} built a {type(provider).__name__} without get_train/get_val")
    return provider


def describe(provider: Any) -> Tuple[int, int]:
    """``(in_channels, num_classes)`` of an image provider."""
    X, y = provider.get_train()
    if X.dim() != 4:
        raise ValueError(f"supergraph models need image data (N, C, H, W), got shape {tuple(X.shape)}")
    num_classes = getattr(provider, "num_classes", None)
    return int(X.shape[1]), int(num_classes if num_classes is not None else int(y.max()) + 1)
