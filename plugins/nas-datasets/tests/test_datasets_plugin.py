"""The plugin registers its datasets lazily and each builds with its defaults where it can."""
import pytest

import nas_datasets.plugin
from nas_kernel.plugins import make_plugin_manager

EXPECTED = ["arrays", "cifar10", "cifar100", "digits", "fashion_mnist", "image_folder", "imagenet16", "mnist", "python",
            "synthetic", "table"]


def test_registers_datasets():
    pm = make_plugin_manager(entrypoints=False)
    pm.register(nas_datasets.plugin, name="datasets")
    assert pm.registry.names("datasets") == EXPECTED
    digits = pm.registry.get("datasets", "digits").load()(seed=2)
    assert digits.num_classes == 10
    assert pm.registry.get("datasets", "synthetic").load()().get_train()[0].shape == (256, 1, 8, 8)


def test_installed_entry_point():
    testing = pytest.importorskip("nas_kernel.testing")
    if not hasattr(testing, "check_plugin"):
        pytest.skip("nas_kernel.testing.check_plugin not available yet")
    testing.check_plugin("nas-datasets", expects={"datasets": EXPECTED})
