"""Shared fixtures: one thread (the suite shares 2 cores), the digits data as a provider."""
from __future__ import annotations

import pytest
import torch

from nas_supergraph.data import TensorProvider

from .named_components import digits as digits_provider


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def digits():
    """Digits as 1x8x8 standardised images: 1,200 training and 597 validation samples, in the
    order (seed 0) the DARTS-against-random-cells margin was measured with."""
    return digits_provider(seed=0)


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
