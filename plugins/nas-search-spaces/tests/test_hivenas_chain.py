"""HiveNAS chains: the string form, skip markers, and the one-component neighbour."""
import pytest
import torch

from nas_kernel.api import ArchaiModel
from nas_search_spaces.hivenas_chain import DEFAULT_OPS, HiveNasChainSearchSpace

OPS = ["conv3x3_8", "sep3x3_8", "max_pool3x3", "identity"]


def test_chain_string_form():
    space = HiveNasChainSearchSpace(depth=3, ops=OPS)
    model = space.make([(0, "conv3x3_8"), (2, "max_pool3x3"), (0, "identity")])
    assert model.archid == "input|conv3x3_8|sc_2|max_pool3x3|identity|output"
    assert space.layers(ArchaiModel(archid=model.archid)) == [(0, "conv3x3_8"), (2, "max_pool3x3"), (0, "identity")]
    for bad in ["input|conv3x3_8|output", "conv3x3_8|conv3x3_8|conv3x3_8",
                "input|sc_4|conv3x3_8|identity|identity|output",
                "input|conv3x3_8|identity|identity|sc_1|output", "input|sc_1|sc_1|conv3x3_8|identity|identity|output"]:
        with pytest.raises(ValueError):
            space.layers(ArchaiModel(archid=bad))


def test_skip_markers_are_sampled_within_reach():
    space = HiveNasChainSearchSpace(depth=5, ops=OPS, skip_rate=1.0, seed=0)
    for _ in range(20):
        layers = space.layers(space.random_sample())
        assert all(1 <= d <= 5 - l for l, (d, _) in enumerate(layers))
    assert "sc_" not in HiveNasChainSearchSpace(ops=OPS, seed=0).random_sample().archid  # skip_rate 0: off


def test_neighbour_changes_one_component_and_never_adds_markers():
    space = HiveNasChainSearchSpace(depth=4, ops=OPS, skip_rate=0.5, seed=1)
    for _ in range(40):
        parent = space.random_sample()
        child = space.mutate(parent)
        a, b = space.layers(parent), space.layers(child)
        op_changes = sum(x[1] != y[1] for x, y in zip(a, b))
        skip_changes = sum(x[0] != y[0] for x, y in zip(a, b))
        assert op_changes + skip_changes == 1
        assert all(not (x[0] == 0 and y[0] > 0) for x, y in zip(a, b))  # no new marker
        assert child.metadata["parent"] == parent.archid


def test_skip_connection_is_used_in_the_network():
    space = HiveNasChainSearchSpace(depth=3, ops=OPS, stem_channels=4)
    net = space.make([(3, "conv3x3_8"), (0, "max_pool3x3"), (0, "sep3x3_8")]).arch
    assert "0" in net.projections and net.projections["0"].in_channels == 4
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 10)


def test_default_ops_and_validation():
    assert len(HiveNasChainSearchSpace().ops) == len(DEFAULT_OPS) == 10
    with pytest.raises(ValueError, match="unknown chain op"):
        HiveNasChainSearchSpace(ops=["conv3x3", "identity"])
    with pytest.raises(ValueError, match="ops"):
        HiveNasChainSearchSpace(ops=["identity"])
    with pytest.raises(ValueError, match="skip_rate"):
        HiveNasChainSearchSpace(skip_rate=1.5)
