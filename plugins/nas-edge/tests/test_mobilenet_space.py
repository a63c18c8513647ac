"""The mobilenet space: the conformance kit, readable archids, moves within the space, files, and
networks that run forward and backward on image shapes of each kind of data."""
import pytest
import torch

from nas_kernel.testing import parametrize_with_checks
from nas_edge.mobilenet_arch import DEFAULT_TABLE, MobileNetArch, block_specs, parse_archid
from nas_edge.mobilenet_space import MobileNetSearchSpace

TINY_STAGES = [{"channels": 8, "stride": 2, "se": False, "act": "relu"},
               {"channels": 16, "stride": 2, "se": True, "act": "hswish"}]


def tiny(**params):
    base = dict(in_channels=1, img_size=8, resolutions=[8, 12], widths=[0.5, 1.0], stages=TINY_STAGES,
                stem_channels=8, head_channels=32, feature_channels=32, seed=3)
    return MobileNetSearchSpace(**{**base, **params})


@parametrize_with_checks([tiny(), MobileNetSearchSpace(seed=0)])
def test_conformance(component, check):
    check(component)


def test_archid_is_readable_and_round_trips():
    arch = MobileNetArch(32, 0.75, (((3, 4), (5, 6)), ((7, 3), (3, 3), (5, 4)), ((3, 6), (3, 6)),
                                     ((5, 6), (5, 6)), ((7, 6), (3, 4), (3, 3), (5, 3))))
    assert arch.archid() == "r32-w0.75-k3e4.k5e6-k7e3.k3e3.k5e4-k3e6.k3e6-k5e6.k5e6-k7e6.k3e4.k3e3.k5e3"
    assert parse_archid(arch.archid()) == arch
    assert MobileNetArch.from_dict(arch.to_dict()) == arch
    with pytest.raises(ValueError, match="not a mobilenet archid"):
        parse_archid("../../etc/passwd")


def test_moves_stay_inside_the_space():
    space = tiny()
    models = [space.random_sample() for _ in range(30)]
    for parent in models:
        child = space.mutate(parent)
        assert child.archid != parent.archid
        space.choices.check(parse_archid(child.archid))
    for a, b in zip(models, models[1:]):
        space.choices.check(parse_archid(space.crossover([a, b]).archid))
    assert len({m.archid for m in models}) > 20
    assert {len(space.encode(m)) for m in models} == {2 + 2 + 2 * 4 * 2}


def test_default_stage_table_is_mobilenet_v3_large():
    space = MobileNetSearchSpace()
    model = space.random_sample()
    specs = space.block_specs(model)
    mb = [s for s in specs if s.kind == "mbconv"]
    assert [s.out_channels for s in mb if s.stride == 2] == [24, 40, 80, 160]
    assert {s.se for s in mb if s.out_channels in (40, 112, 160)} == {True}
    assert {s.act for s in mb if s.out_channels in (24, 40)} == {"relu"}
    assert specs[-1].kind == "head" and specs[-1].mid_channels == 960 and specs[-1].feature_channels == 1280


@pytest.mark.parametrize("shape", [(2, 1, 8, 8), (2, 3, 32, 32), (2, 3, 20, 28)],
                         ids=["digits", "cifar", "image_folder"])
def test_networks_train_on_each_data_shape(shape):
    space = tiny(in_channels=shape[1], img_size=list(shape[2:]), resolutions=None, num_classes=4)
    model = space.random_sample()
    net = model.arch
    out = net(torch.randn(*shape))
    assert out.shape == (2, 4)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_block_specs_describe_the_built_network():
    space = tiny()
    model = space.random_sample()
    arch = parse_archid(model.archid)
    specs = block_specs(arch, space.table, 1, 10)
    x = torch.randn(1, 1, arch.resolution, arch.resolution)
    for spec, module in zip(specs[:2], model.arch.stem):
        assert x.shape[1:] == (spec.in_channels, spec.side, spec.side)
        x = module(x)


def test_bad_parameters_name_the_key():
    with pytest.raises(ValueError, match="kernels must be odd"):
        MobileNetSearchSpace(kernels=[3, 4])
    with pytest.raises(ValueError, match=r"stages\[0\]"):
        MobileNetSearchSpace(stages=[{"channels": 8, "stride": 3, "se": False, "act": "relu"}])
    with pytest.raises(ValueError, match="widths"):
        MobileNetSearchSpace(widths=[])
    assert DEFAULT_TABLE.stages[0].channels == 24
