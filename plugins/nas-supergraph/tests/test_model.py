"""Modules: forward with logits and aux logits, drop-path, architecture weights kept apart and
shared, finalization, and op lookup through the kernel's registry (third-party ops)."""
from __future__ import annotations

import random

import pytest
import torch
from torch import nn

from nas_kernel import hookimpl
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.plugins_in_use import using_plugins
from nas_supergraph.model_desc import ConvMacroParams, OpDesc
from nas_supergraph.finalizers import Finalizers
from nas_supergraph.model import Model
from nas_supergraph.model_desc_builder import ModelDescBuilder
from nas_supergraph.op_lookup import create_op


def small_builder(**kw):
    params = dict(in_channels=1, num_classes=10, init_channels=4, n_cells=3, n_nodes=3)
    params.update(kw)
    return ModelDescBuilder(**params)


def test_model_returns_logits_and_aux_logits():
    b = small_builder(aux_tower=True)
    model = Model(b.build_discrete(b.random_genotype(random.Random(0))), droppath=True)
    model.drop_path_prob(0.2)
    x = torch.randn(3, 1, 8, 8)
    logits, aux = model.train()(x)
    assert logits.shape == aux.shape == (3, 10)
    assert model(x)[0].shape == (3, 10)
    assert model.eval()(x)[1] is None  # the aux tower runs in training only
    model.drop_path_prob(0.3)
    droppable = [e for c in model.cells for e in c.edges() if e.drop_path is not None]
    assert droppable and all(e.drop_path.p == 0.3 for e in droppable)
    with pytest.raises(ValueError, match="drop_path_prob"):
        model.drop_path_prob(1.5)


def test_arch_params_are_apart_from_weights_and_shared_per_cell_type():
    model = Model(small_builder().build_search(), affine=False)
    alphas = model.arch_parameters()
    assert [tuple(a.shape) for a in model.alphas().values()] == [(9, 8), (9, 8)]  # regular and reduction, 2+3+4 edges
    assert len(alphas) == 2 * 9 and all(tuple(a.shape) == (8,) for a in alphas)  # one row per edge, owned once
    weight_ids = {id(p) for p in model.weights()}
    assert not weight_ids & {id(a) for a in alphas}
    assert len(weight_ids) + len(alphas) == len(list(model.parameters()))
    # the two reduction cells use the same alphas
    mixed = [[e.op for e in cell.edges()] for cell in model.cells]
    assert mixed[1][0].alphas().data_ptr() == mixed[2][0].alphas().data_ptr()
    unshared_desc = small_builder().build_search()
    for cell in unshared_desc.cell_descs:
        cell.trainables_from = cell.id  # every cell owns its alphas
    unshared = Model(unshared_desc, affine=False)
    assert len(unshared.alphas()) == 3 and len(unshared.arch_parameters()) == 3 * 9


def test_supergraph_gradients_reach_weights_and_alphas():
    model = Model(small_builder(n_cells=2).build_search(), affine=False)
    loss = nn.functional.cross_entropy(model(torch.randn(4, 1, 8, 8))[0], torch.tensor([0, 1, 2, 3]))
    loss.backward()
    assert all(a.grad is not None and a.grad.abs().sum() > 0 for a in model.arch_parameters())
    assert all(p.grad is not None for p in model.weights())


def test_finalizers_keep_top_k_edges_per_node_without_none():
    b = small_builder(n_cells=1)
    model = Model(b.build_search(), affine=False)
    rows = [e.op.alphas() for e in model.cells[0].edges()]
    names = model.mixed_ops()[0].names
    with torch.no_grad():
        for row in rows:
            row.zero_()
            row[names.index("none")] = 5.0  # none dominates everywhere but is never chosen
        rows[0][names.index("sep_conv_3x3")] = 3.0  # node 0: edge from state 0
        rows[1][names.index("max_pool_3x3")] = 2.0  # node 0: edge from state 1
        rows[4][names.index("dil_conv_5x5")] = 4.0  # node 1: edge from state 2
    desc = Finalizers(edges_per_node=2).finalize_model(model)
    g = desc.genotype()["regular"]
    assert g[0] == [["sep_conv_3x3", 0], ["max_pool_3x3", 1]]
    assert ["dil_conv_5x5", 2] in g[1] and len(g[1]) == 2
    assert all(op != "none" for node in g for op, _ in node)
    assert desc.params["kind"] == "final"
    Model(desc)(torch.randn(2, 1, 8, 8))  # the finalized desc builds
    assert Finalizers().finalize_model(model).genotype()["regular"] == g  # max_final_edges of the desc: 2
    assert len(Finalizers(1).finalize_model(model).genotype()["regular"][2]) == 1
    with pytest.raises(ValueError):
        Finalizers(0)


class _Doubler(nn.Module):
    def __init__(self, op_desc, affine):
        super().__init__()

    def forward(self, x):
        return 2 * x


class _ThirdParty:
    @hookimpl
    def register_ops(self, register):
        register("double", lambda op_desc, affine: _Doubler(op_desc, affine))


@pytest.fixture
def third_party_plugin():
    """A plugin registering the op ``double`` in the plugin manager in use for the test, the
    manager ``Op.create`` asks for names it does not know."""
    manager = make_plugin_manager()
    manager.register(_ThirdParty(), name="third_party_test")
    with using_plugins(manager):
        yield


def test_ops_resolve_through_the_kernel_registry_so_third_party_ops_work(request):
    desc = OpDesc("mixed_op", {"conv": ConvMacroParams(4, 4), "stride": 1, "ops": ["double", "sep_conv_3x3"]})
    with pytest.raises(ValueError, match="unknown op 'double'"):
        create_op(desc, False)
    request.getfixturevalue("third_party_plugin")
    op = create_op(desc, False)
    assert isinstance(op.candidates[0], _Doubler)
    x = torch.randn(2, 4, 5, 5)
    w = torch.softmax(op.alphas(), -1)
    torch.testing.assert_close(op.eval()(x), w[0] * 2 * x + w[1] * op.candidates[1](x))
    b = small_builder(n_cells=1)
    model = Model(b.build_discrete({"regular": [[["double", 0], ["double", 1]]] * 1 + [[["double", 2]]] * 2}))
    assert model(torch.randn(2, 1, 8, 8))[0].shape == (2, 10)


def test_channels_last_is_used_and_matches_nchw():
    b = small_builder(n_cells=2)
    desc = b.build_discrete(b.random_genotype(random.Random(5)))
    torch.manual_seed(0)
    fast = Model(desc, channels_last=True).eval()
    torch.manual_seed(0)
    plain = Model(desc, channels_last=False).eval()
    x = torch.randn(2, 1, 8, 8)
    assert fast.stems[0].conv.weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(fast(x)[0], plain(x)[0], rtol=1e-4, atol=1e-4)


def test_cifar_shaped_models_build_and_run():
    """3x32x32 inputs (CIFAR-10 from the datasets plugin) with the DARTS layout of 8 cells."""
    b = ModelDescBuilder(in_channels=3, num_classes=10, init_channels=4, n_cells=8, n_nodes=2, aux_tower=True)
    model = Model(b.build_discrete(b.random_genotype(random.Random(1))), droppath=True).train()
    model.drop_path_prob(0.1)
    logits, aux = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == aux.shape == (2, 10)
    assert [c.cell_type for c in b.build_search().cell_descs].count("reduction") == 2
