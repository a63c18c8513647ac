"""The other components of a real ``nas search`` over this plugin's datasets, registered only for
the ``nas`` subprocesses of the tests (see ``searching.plugin_site``): the kernel's reference
integer space, an evaluator that reads every training and validation sample of its ``dataset``,
and the reference random sampling. So these tests need no other plugin installed."""
from __future__ import annotations

import torch
from overrides import overrides

from nas_kernel import ModelEvaluator, hookimpl
from nas_kernel.api import DatasetProvider
from nas_kernel.api.dataset import get_split, torch_dataset
from nas_kernel.data_fit import sample_batch
from nas_kernel.testing.reference import IntegerSpace, RandomSampling


def _samples(provider: DatasetProvider, split: str, loader: str):
    """``(X, y)`` of a split, read as tensors or batch by batch through a DataLoader."""
    if loader != "dataloader":
        return get_split(provider, split)
    batches = list(torch.utils.data.DataLoader(torch_dataset(provider, split), batch_size=16))
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


class NearestMean(ModelEvaluator):
    """Validation accuracy of the nearest class mean of the training split: the data's own score,
    the same for every architecture. ``loader``: ``tensors``, ``dataloader`` or ``auto``."""

    def __init__(self, dataset: DatasetProvider, loader: str = "auto") -> None:
        self.dataset, self.loader = dataset, loader

    def training_data(self) -> DatasetProvider:
        return self.dataset

    def check_fits(self, model) -> None:
        """The kernel's check before the search: one batch of the data is read (an image that
        cannot be decoded is named then); any integer architecture takes any data."""
        sample_batch(self.dataset)

    @overrides
    def evaluate(self, arch, budget=None):
        X, y = _samples(self.dataset, "train", self.loader)
        Xv, yv = _samples(self.dataset, "val", self.loader)
        X, Xv = X.reshape(len(X), -1).float(), Xv.reshape(len(Xv), -1).float()
        classes = sorted(set(y.tolist()))
        means = torch.stack([X[y == c].mean(0) for c in classes])
        guess = torch.tensor(classes)[torch.cdist(Xv, means).argmin(1)]
        return float((guess == yv).float().mean())


@hookimpl
def register_search_spaces(register):
    register("integers", IntegerSpace)


@hookimpl
def register_evaluators(register):
    register("nearest_mean", NearestMean)


@hookimpl
def register_searchers(register):
    register("sampling", RandomSampling)
