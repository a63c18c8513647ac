"""Descriptions: YAML round-trips (safe loader only), stable archids, builder layout and
genotype validation."""
from __future__ import annotations

import random

import pytest
import yaml

from nas_supergraph.model_desc import ConvMacroParams, ModelDesc, OpDesc
from nas_supergraph.model_desc_builder import ModelDescBuilder, default_reductions


def builder(**kw):
    params = dict(in_channels=1, num_classes=10, init_channels=4, n_cells=3, n_nodes=3, aux_tower=True)
    params.update(kw)
    return ModelDescBuilder(**params)


def test_search_and_final_descs_round_trip_through_safe_yaml(tmp_path):
    b = builder()
    for desc in (b.build_search(), b.build_discrete(b.random_genotype(random.Random(3)))):
        text = desc.to_yaml()
        assert "!!python" not in text  # plain YAML: loadable by yaml.safe_load anywhere
        again = ModelDesc.from_dict(yaml.safe_load(text))
        assert again.to_dict() == desc.to_dict()
        assert again.archid() == desc.archid()
        path = tmp_path / "desc.yaml"
        desc.save(str(path))
        assert ModelDesc.load(str(path)).to_dict() == desc.to_dict()


def test_archid_is_stable_and_ignores_learned_values_and_provenance():
    b = builder()
    g = b.random_genotype(random.Random(1))
    a, c = b.build_discrete(g), b.build_discrete(g)
    assert a.archid() == c.archid() and a.archid().startswith("darts-")
    c.params["alphas"] = {"regular": [[0.1]]}
    c.cell_descs[0].nodes[0].edges[0].op_desc.trainables = {"weight": 0.9}
    assert c.archid() == a.archid()
    other = b.build_discrete(b.random_genotype(random.Random(2)))
    assert other.archid() != a.archid()


def test_layout_doubles_channels_at_reductions_and_wires_preprocessing():
    desc = builder(n_cells=3).build_search()
    types = [c.cell_type for c in desc.cell_descs]
    assert types == ["regular", "reduction", "reduction"]
    assert [c.nodes[0].conv_params.ch_out for c in desc.cell_descs] == [4, 8, 16]
    # the cell after a reduction factor-reduces its s0 input
    assert [c.s0_op.name for c in desc.cell_descs] == ["prepr_normal", "prepr_normal", "prepr_reduce"]
    # edges from the cell inputs are strided in reduction cells only
    red = desc.cell_descs[1]
    assert [e.op_desc.stride for e in red.nodes[1].edges] == [2, 2, 1]
    assert (desc.logits_op.params["n_ch"], desc.logits_op.params["n_classes"]) == (3 * 16, 10)
    assert [a is not None for a in desc.aux_tower_descs] == [False, False, True]
    assert sum(len(n.edges) for n in desc.cell_descs[0].nodes) == 2 + 3 + 4


def test_default_reductions():
    assert default_reductions(1) == [] and default_reductions(2) == [1]
    assert default_reductions(8) == [2, 5] and default_reductions(3) == [1, 2]


def test_build_from_template_relays_cells_at_other_macro_params():
    small = builder(n_cells=2, aux_tower=False)
    desc = small.build_discrete(small.random_genotype(random.Random(0)))
    big = ModelDescBuilder.from_macro_params(desc.params["macro"], init_channels=8, n_cells=5).build_discrete(desc)
    assert big.genotype() == desc.genotype()
    assert len(big.cell_descs) == 5 and big.cell_descs[0].nodes[0].conv_params.ch_out == 8


@pytest.mark.parametrize("genotype,match", [
    ("nope", "a genotype is a mapping"),
    ({"regular": [[["sep_conv_3x3", 0]]]}, "must list 3 nodes"),
    ({"regular": [[["sep_conv_3x3", 2]], [["skip_connect", 0]], [["skip_connect", 0]]]}, "not an earlier state"),
    ({"regular": [[["sep_conv_3x3"]], [["skip_connect", 0]], [["skip_connect", 0]]]}, "is not \\[op, input\\]"),
])
def test_bad_genotypes_are_refused_with_the_reason(genotype, match):
    with pytest.raises(ValueError, match=match):
        builder(n_cells=1).build_discrete(genotype)


def test_bad_macro_params_name_the_parameter():
    with pytest.raises(ValueError, match="init_channels"):
        ModelDescBuilder(init_channels=0)
    with pytest.raises(ValueError, match="out_nodes"):
        ModelDescBuilder(n_nodes=2, out_nodes=3)
    with pytest.raises(ValueError, match="ch_in"):
        ConvMacroParams(0, 3)
    with pytest.raises(ValueError, match="not a model description"):
        ModelDesc.from_yaml("- 1\n- 2\n")


def test_random_genotype_never_uses_none_and_is_seeded():
    b = builder()
    g1, g2 = b.random_genotype(random.Random(7)), b.random_genotype(random.Random(7))
    assert g1 == g2
    assert all(op != "none" for nodes in g1.values() for node in nodes for op, _ in node)
    assert all(len({j for _, j in node}) == len(node) == 2 for nodes in g1.values() for node in nodes)


def test_op_desc_round_trip_with_children():
    desc = OpDesc("multi_op", {}, children=[OpDesc("identity", {"stride": 1})], children_ins=[0])
    assert OpDesc.from_dict(yaml.safe_load(yaml.safe_dump(desc.to_dict()))) == desc
