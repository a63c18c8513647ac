"""The installed distribution registers its components lazily, its plugin module is cheap to
import, and the shipped edge example's components build."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nas_kernel.testing import check_plugin

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "edge-mobilenet.yaml"


def test_plugin_is_installed_with_its_components():
    check_plugin("nas-edge", expects={"search_spaces": ["mobilenet"],
                                      "evaluators": ["command_latency", "int8", "latency_table", "supernet"]})


def test_plugin_module_is_cheap_to_import():
    code = ("import sys, nas_kernel; before = set(sys.modules); import nas_edge.plugin; "
            "print(sorted(m for m in set(sys.modules) - before if not m.startswith(('nas_edge', 'nas_kernel'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(not EXAMPLE.exists(), reason="docs/examples not present (installed outside the repo)")
def test_shipped_example_components_build():
    """The example's space and cheap evaluators build (the table itself is built in the docs' worked
    example; here a missing table must be the documented refusal)."""
    from nas_edge.int8_evaluator import Int8Cost
    from nas_edge.latency_table_evaluator import LatencyTableEvaluator
    from nas_edge.mobilenet_space import MobileNetSearchSpace

    spec = yaml.safe_load(EXAMPLE.read_text())
    space = MobileNetSearchSpace(**spec["search_space"]["params"], in_channels=1, img_size=8, seed=1)
    assert space.block_specs(space.random_sample())[0].in_channels == 1
    table, int8 = (o["evaluator"] for o in spec["objectives"][1:])
    assert table["name"] == "latency_table" and int8["name"] == "int8"
    Int8Cost(**int8["params"])
    with pytest.raises(FileNotFoundError, match="nas latency-table build"):
        LatencyTableEvaluator(**table["params"], base_dir=str(EXAMPLE.parent))
