"""The kernel's conformance kit over the latency_table evaluator (the space's run is in
test_mobilenet_space.py; int8 and command_latency are exercised in their own files, where each
kit check would cost an ONNX export and a quantization or a subprocess per model), and the check
this plugin gives the kit for its block contract."""
import pytest
from overrides import overrides

from .edge_support import TINY_SPACE
from nas_edge.latency_table import build_table, save_table
from nas_edge.latency_table_evaluator import LatencyTableEvaluator
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.timing import TimingSettings
from nas_kernel.testing import CheckFailed, check_evaluator, components_checks_generator, with_inputs
from nas_kernel.testing.reference import IntegerSpace

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


class ListsForeignBlocks(MobileNetSearchSpace):
    """Its universe misses the blocks of kernel 5: a table built from it could not price them."""

    @overrides
    def latency_block_universe(self):
        return [b for b in super().latency_block_universe() if "k5" not in b["key"]]


class ListsHalf(IntegerSpace):
    """Claims the contract with one of its four methods."""

    def latency_blocks(self, model):
        return [{"key": model.archid}]


def block_contract_check(space):
    """The check the plugin gives the kit for ``space`` (None when it gives none)."""
    return next((check for _, check, _ in components_checks_generator([space])
                 if check.__name__ == "check_keeps_latency_block_contract"), None)


def test_the_kit_holds_every_space_that_lists_blocks_to_the_contract():
    block_contract_check(MobileNetSearchSpace(**SPACE, seed=1))(MobileNetSearchSpace(**SPACE, seed=1))
    assert block_contract_check(IntegerSpace(seed=0)) is None  # a space that does not take part
    with pytest.raises(CheckFailed, match="ListsForeignBlocks.latency_blocks.*outside the universe"):
        block_contract_check(ListsForeignBlocks(**SPACE, seed=1))(ListsForeignBlocks(**SPACE, seed=1))
    with pytest.raises(CheckFailed, match="ListsHalf lacks latency_block_universe, build_latency_block"):
        block_contract_check(ListsHalf(seed=0))(ListsHalf(seed=0))
