"""The installed distribution loads on its own, strictly, and registers exactly its one space."""
from nas_kernel.testing import check_plugin


def test_plugin_is_installed():
    check_plugin("nas-example-space", expects={"search_spaces": ["example_mlp"]})
