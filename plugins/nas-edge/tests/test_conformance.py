"""The kernel's conformance kit over the latency_table evaluator (the space's run is in
test_mobilenet_space.py; int8 and command_latency are exercised in their own files, where each
kit check would cost an ONNX export and a quantization or a subprocess per model)."""
import pytest

from .edge_support import TINY_SPACE
from nas_edge.latency_table import build_table, save_table
from nas_edge.latency_table_evaluator import LatencyTableEvaluator
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.timing import TimingSettings
from nas_kernel.testing import check_evaluator, with_inputs

SPACE = {**TINY_SPACE, "resolutions": [8]}


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("table") / "table.json"
    space = MobileNetSearchSpace(**SPACE, seed=1)
    record = {"name": "mobilenet", "params": SPACE, "from_data": {}, "seed": 1, "base_dir": None}
    save_table(build_table(space, record, TimingSettings(warmups=0, samples=1), calibration=1, seconds=0), str(path))
    return str(path)


def test_conformance(table):
    check_evaluator(with_inputs(LatencyTableEvaluator(table), models=MobileNetSearchSpace(**SPACE, seed=9)))
