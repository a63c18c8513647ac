"""The installed distribution registers its components lazily; each builds with its defaults."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nas_kernel.api import DiscreteSearchSpace, ModelEvaluator
from nas_kernel.plugins import make_plugin_manager

SPACES = ["cnn", "config", "hivenas_chain", "mlp", "natsbench_tss", "segmentation_dag"]
EVALUATORS = ["nb201_table"]


@pytest.fixture(scope="module")
def manager():
    return make_plugin_manager(only=["nas-search-spaces"])


def test_registered_names(manager):
    assert manager.registry.names("search_spaces") == SPACES
    assert manager.registry.names("evaluators") == EVALUATORS


@pytest.mark.parametrize("name", SPACES)
def test_space_builds_with_defaults(manager, name):
    space = manager.registry.get("search_spaces", name).load()()
    assert isinstance(space, DiscreteSearchSpace)
    assert space.random_sample().archid


def test_evaluator_builds_with_defaults(manager):
    assert isinstance(manager.registry.get("evaluators", "nb201_table").load()(), ModelEvaluator)


def test_plugin_module_is_cheap_to_import():
    code = ("import sys, nas_kernel; before = set(sys.modules); import nas_search_spaces.plugin, nas_search_spaces; "
            "print(sorted(m for m in set(sys.modules) - before if not m.startswith(('nas_search_spaces', 'nas_kernel'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "docs" / "examples").glob("space-*.yaml"))


@pytest.mark.skipif(not EXAMPLES, reason="docs/examples not present (installed outside the repo)")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_experiment_search_space_builds(manager, path):
    spec = yaml.safe_load(path.read_text())["search_space"]
    space = manager.registry.get("search_spaces", spec["name"]).load()(**spec.get("params", {}), seed=1)
    space.mutate(space.random_sample())
    for objective in yaml.safe_load(path.read_text())["objectives"]:
        if objective["evaluator"]["name"] == "nb201_table":
            model = space.random_sample()
            factory = manager.registry.get("evaluators", "nb201_table").load()
            assert factory(**objective["evaluator"].get("params", {})).evaluate(model) > 0


def test_public_names_resolve():
    import nas_search_spaces

    for name in nas_search_spaces.__all__:
        assert getattr(nas_search_spaces, name) is not None, name
    assert set(nas_search_spaces.OPS) == {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}
