"""The distribution is installed and registers its three trackers."""
from nas_kernel.testing import check_plugin


def test_plugin_is_installed():
    check_plugin("nas-tracking", expects={"trackers": ["mlflow", "tensorboard", "wandb"]})
