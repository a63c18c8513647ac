"""Dataset-provider contract: where evaluators and trainers read a classification problem from.

A provider holds a training and a validation split (and optionally a test split) and offers two
ways to read one:

- ``get_train()`` / ``get_val()`` / ``get_test()`` return ``(X, y)`` torch tensors, ``X`` float32
  of shape ``(N, *input_shape)`` and ``y`` int64 class indices in ``0 .. num_classes - 1``. This
  is the fast path for data that fits in memory (the whole split moves to the device once).
  The tensors may be a per-process cache: callers treat them as read-only.
- ``torch_dataset(split)`` returns a map-style ``torch.utils.data.Dataset`` of ``(x, y)``
  samples, for the ``DataLoader`` path (data read sample by sample, e.g. from memory-mapped
  files). The default wraps the split's tensors; providers over large files override it.

``num_classes``, ``input_shape`` and ``sizes()`` describe the data without loading it, so an
evaluator can choose between the two paths by size.

``input_transform()`` says how a raw sample becomes what the model is fed (shape, channel order,
the per-channel mean and std subtracted and divided): ``nas train-best`` writes it next to a
trained model, so whoever deploys the model applies the same preprocessing. The default describes
a provider that hands its inputs over as they are.

A provider travels with its evaluator to ``process_pool`` workers and Ray tasks: it should pickle
as what it loads from (paths, parameters) and load in the process that reads it, not carry its
arrays into every job.

Objects that only duck-type the reading methods (``get_train`` and ``get_val``) count as providers
for ``isinstance``; the free functions below give them the same defaults a subclass inherits.
Importing this module does not import torch.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Dict, Tuple

from nas_kernel.api.overridable import OpenOverrides

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["REQUIRED", "SPLITS", "DatasetProvider", "default_transform", "get_split", "input_shape",
           "input_transform", "split_sizes", "tensor_dataset", "torch_dataset"]

SPLITS = ("train", "val", "test")
REQUIRED = ("get_train", "get_val")


class DatasetProvider(OpenOverrides, ABC):
    """Train / validation (/ test) splits of a classification problem.

    Subclasses implement ``get_train`` and ``get_val`` and set ``num_classes`` and
    ``input_shape``; they override ``get_test`` when there is a test split, and ``torch_dataset``
    and ``sizes`` when the data should not be loaded whole to answer them.
    """

    num_classes: int
    input_shape: Tuple[int, ...]

    @abstractmethod
    def get_train(self) -> Tuple["torch.Tensor", "torch.Tensor"]:
        """The training split as ``(X float32 (N, *input_shape), y int64 (N,))``."""

    @abstractmethod
    def get_val(self) -> Tuple["torch.Tensor", "torch.Tensor"]:
        """The validation split (the fitness and early stopping read it)."""

    def get_test(self) -> Tuple["torch.Tensor", "torch.Tensor"]:
        """The held-out test split; ``ValueError`` when there is none."""
        raise ValueError(f"{type(self).__name__} has no test split")

    def get_split(self, split: str) -> Tuple["torch.Tensor", "torch.Tensor"]:
        """``get_train()``, ``get_val()`` or ``get_test()`` by name."""
        return get_split(self, split)

    def sizes(self) -> Dict[str, int]:
        """Samples per split, 0 for a missing test split."""
        return split_sizes(self)

    def torch_dataset(self, split: str) -> "torch.utils.data.Dataset":
        """A map-style dataset of ``(x float32 (*input_shape), y int64 scalar)`` samples."""
        return tensor_dataset(self, split)

    def input_transform(self) -> Dict[str, Any]:
        """How a raw input becomes a model input, as JSON-ready values (see ``default_transform``
        for the keys). Providers that standardise, resize or reorder override it."""
        return default_transform(self)

    @classmethod
    def __subclasshook__(cls, other: type):
        if cls is DatasetProvider:
            return all(callable(getattr(other, name, None)) for name in REQUIRED) or NotImplemented
        return NotImplemented


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")


def get_split(provider: Any, split: str):
    """``(X, y)`` of one split of any provider; ``ValueError`` for a test split it does not have."""
    _check_split(split)
    method = getattr(provider, f"get_{split}", None)
    if method is None and split == "test":
        raise ValueError(f"{type(provider).__name__} has no test split")
    return method()


def tensor_dataset(provider: Any, split: str):
    """The split's tensors as a ``TensorDataset`` (the default ``torch_dataset``)."""
    from torch.utils.data import TensorDataset

    return TensorDataset(*get_split(provider, split))


def torch_dataset(provider: Any, split: str):
    """``provider.torch_dataset(split)`` when it has one, else its tensors wrapped."""
    _check_split(split)
    method = getattr(provider, "torch_dataset", None)
    return method(split) if callable(method) else tensor_dataset(provider, split)


def split_sizes(provider: Any) -> Dict[str, int]:
    """Samples per split of any provider (loads the splits when it has no ``sizes()`` of its own)."""
    method = getattr(type(provider), "sizes", None)
    if callable(method) and method is not DatasetProvider.sizes:
        return dict(provider.sizes())
    sizes = {}
    for split in SPLITS:
        try:
            sizes[split] = int(len(get_split(provider, split)[1]))
        except ValueError:
            sizes[split] = 0
    return sizes


def input_shape(provider: Any) -> Tuple[int, ...]:
    """One sample's shape: ``provider.input_shape``, or read off its training tensors."""
    shape = getattr(provider, "input_shape", None)
    if shape is None:
        shape = provider.get_train()[0].shape[1:]
    return tuple(int(d) for d in shape)


def default_transform(provider: Any, *, mean: Any = None, std: Any = None, channel_order: Any = None,
                      size: Any = None, raw: str = "the inputs as the provider returns them") -> Dict[str, Any]:
    """The preprocessing record: ``input_shape`` (one sample, channels first for images),
    ``dtype``, ``channel_order`` (e.g. ``"RGB"``, None when not known), ``size`` (``[H, W]`` a raw
    image is resized to, None when not resized), ``raw`` (what a raw input is), and ``mean`` /
    ``std`` (one value per channel; model input = (raw - mean[c]) / std[c]; None: no
    standardisation)."""
    return {"input_shape": list(input_shape(provider)), "dtype": "float32", "channel_order": channel_order,
            "size": None if size is None else [int(s) for s in size], "raw": raw,
            "mean": _numbers(mean), "std": _numbers(std)}


def _numbers(value: Any):
    if value is None:
        return None
    value = value.tolist() if hasattr(value, "tolist") else value
    return [float(x) for x in value] if isinstance(value, (list, tuple)) else [float(value)]


def input_transform(provider: Any) -> Dict[str, Any]:
    """``provider.input_transform()`` when it has one, else ``default_transform`` (duck-typed providers)."""
    method = getattr(provider, "input_transform", None)
    return dict(method()) if callable(method) else default_transform(provider)

