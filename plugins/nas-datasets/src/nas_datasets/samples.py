"""One split of an :class:`~nas_datasets.provider.ArrayDataset` as a map-style torch ``Dataset``.

This is what the ``DataLoader`` path reads when a split should not be converted to tensors whole
(a memory-mapped ``.npy`` larger than memory, cached decoded images). ``__getitems__`` reads a
whole batch of rows in one sorted pass, so a loader worker does one memory-map read per batch,
not one per sample. It pickles as its provider, which file-backed providers keep to their paths.
"""
from __future__ import annotations

from typing import List, Sequence

import torch
from torch.utils.data import Dataset


class ArraySamples(Dataset):
    """``(x float32 (*input_shape), y int64)`` samples of ``provider``'s ``split``, standardised."""

    def __init__(self, provider, split: str) -> None:
        self.provider, self.split = provider, split
        self._length = int(provider.sizes()[split])

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int):
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: Sequence[int]) -> List[tuple]:
        X, y = self.provider.rows(self.split, indices)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        return list(zip(Xt.unbind(0), yt.unbind(0)))
