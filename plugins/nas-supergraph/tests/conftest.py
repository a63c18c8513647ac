"""Shared fixtures: one thread (the suite shares 2 cores), the digits data as a provider."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from nas_supergraph.data import TensorProvider


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


def _digits_arrays():
    try:
        from nas_datasets.digits import load_digits_arrays

        return load_digits_arrays()
    except ImportError:  # only this plugin installed: fall back to scikit-learn's copy
        from sklearn.datasets import load_digits

        d = load_digits()
        return d.images[:, None, :, :].astype(np.uint8), d.target


@pytest.fixture(scope="session")
def digits():
    """Digits as 1x8x8 standardised images: 1,200 training and 597 validation samples."""
    X, y = _digits_arrays()
    order = np.random.default_rng(0).permutation(len(y))
    X = torch.from_numpy(X[order].astype(np.float32))
    y = torch.from_numpy(np.asarray(y)[order].astype(np.int64))
    X = (X - X[:1200].mean()) / X[:1200].std()
    return TensorProvider((X[:1200], y[:1200]), (X[1200:], y[1200:]), num_classes=10)


def make_tiny_data(n=96, seed=0):
    """Four Gaussian classes of 1x8x8 images: enough signal to learn, small enough to be instant."""
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(4, 1, 8, 8, generator=g)
    y = torch.randint(0, 4, (n,), generator=g)
    X = means[y] + 0.5 * torch.randn(n, 1, 8, 8, generator=g)
    return TensorProvider((X[: n * 2 // 3], y[: n * 2 // 3]), (X[n * 2 // 3:], y[n * 2 // 3:]), num_classes=4)


@pytest.fixture
def tiny_data():
    """A factory: ``tiny_data(n=96, seed=0)`` gives a TensorProvider."""
    return make_tiny_data
