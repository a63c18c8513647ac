"""What a real experiment names beside this plugin's components, registered by this test plugin
instead of other plugins: the ``digits`` dataset (scikit-learn's copy, as 1x8x8 images, the
default of the supergraph searchers), a ``blobs`` dataset taking parameters, and a ``param_count``
objective. The ``nas`` subprocesses load it through ``plugin_site``; tests in this process
register it in a manager of their own (``manager``)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from overrides import overrides

from nas_kernel import ModelEvaluator, hookimpl
from nas_kernel.testing.plugin_site import plugin_env, plugin_site as installed_plugin
from nas_supergraph.data import TensorProvider

HERE = Path(__file__).resolve().parent
DIST = "nas-supergraph-test-components"


def digits_arrays():
    """scikit-learn's handwritten digits as uint8 1x8x8 images and their labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images[:, None, :, :].astype(np.uint8), d.target


def digits(seed: int = 1) -> TensorProvider:
    """1,200 training and 597 validation digits, standardised with the training part."""
    X, y = digits_arrays()
    order = np.random.default_rng(seed).permutation(len(y))
    X = torch.from_numpy(X[order].astype(np.float32))
    y = torch.from_numpy(np.asarray(y)[order].astype(np.int64))
    X = (X - X[:1200].mean()) / X[:1200].std()
    return TensorProvider((X[:1200], y[:1200]), (X[1200:], y[1200:]), num_classes=10)


def blobs(input_shape=(1, 8, 8), num_classes: int = 4, num_train: int = 64, num_val: int = 32,
          seed: int = 0) -> TensorProvider:
    """Gaussian class clusters of ``input_shape``: enough signal to learn, instant to make."""
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(num_classes, *input_shape, generator=g)
    y = torch.randint(0, num_classes, (num_train + num_val,), generator=g)
    X = means[y] + 0.5 * torch.randn(len(y), *input_shape, generator=g)
    return TensorProvider((X[:num_train], y[:num_train]), (X[num_train:], y[num_train:]), num_classes=num_classes)


class ParamCount(ModelEvaluator):
    """The number of trainable parameters of the model's network."""

    @overrides
    def evaluate(self, arch, budget=None):
        return float(sum(p.numel() for p in arch.arch.parameters() if p.requires_grad))


@hookimpl
def register_datasets(register):
    register("digits", digits)
    register("blobs", blobs)


@hookimpl
def register_evaluators(register):
    register("param_count", ParamCount)


def manager():
    """A plugin manager of nas-supergraph and this module only, for ``using_plugins``."""
    from nas_kernel.plugins import make_plugin_manager

    pm = make_plugin_manager(only=["nas-supergraph"])
    pm.register(sys.modules[__name__], name=DIST)
    return pm


def plugin_site(root: Path) -> Path:
    """A folder holding a made-up installed distribution whose plugin is this module."""
    return installed_plugin(root, DIST, "named_components", entry_name="test_components")


def nas_env(root: Path) -> dict:
    """The environment of a ``nas`` subprocess loading nas-supergraph and this module only."""
    return plugin_env(root, DIST, "named_components", HERE, ["nas-supergraph"], entry_name="test_components")


def nas(args, root: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=nas_env(root))
