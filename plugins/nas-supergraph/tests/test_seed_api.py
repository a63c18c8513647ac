"""The supergraph API as the seed documents it, called the way Archai supergraph code calls it:
only the import prefix differs (``archai.supergraph.nas.X`` -> ``nas_supergraph.X``)."""
from __future__ import annotations

import math
import textwrap

import pytest
import torch
import yaml
from torch import nn

from nas_supergraph.arch_module import ArchModule
from nas_supergraph.arch_params import ArchParams
from nas_supergraph.arch_trainer import ArchTrainer
from nas_supergraph.cell import Cell
from nas_supergraph.dag_edge import DagEdge
from nas_supergraph.evaluater import Evaluater
from nas_supergraph.exp_runner import ExperimentRunner
from nas_supergraph.finalizers import Finalizers
from nas_supergraph.model import AuxTower, Model
from nas_supergraph.model_desc import (AuxTowerDesc, CellDesc, CellType, ConvMacroParams, EdgeDesc, ModelDesc,
                                       NodeDesc, OpDesc)
from nas_supergraph.model_desc_builder import ModelDescBuilder
from nas_supergraph.nas_utils import checkpoint_empty, create_checkpoint
from nas_supergraph.operations import (AvgPool2d7x7, ConcateChannelsOp, ConvBNReLU, DilConv, DropPath_, FacConv,
                                       FactorizedReduce, Identity, LinearOp, MergeOp, MultiOp, Op, PoolAdaptiveAvg2D,
                                       PoolBN, PoolMeanTensor, ProjectChannelsOp, ReLUConvBN, SepConv, SkipConnect,
                                       StemBase, StemConv3x3, StemConv3x3Relu, StemConv3x3S4, StemConv3x3S4S2, Zero)
from nas_supergraph.random_finalizers import RandomFinalizers
from nas_supergraph.search_combinations import SearchCombinations
from nas_supergraph.searcher import Searcher, SearchResult

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                                   reason="needs a CUDA device"))]


def desc(name, ch_in=8, ch_out=8, stride=1, **params):
    return OpDesc(name, {"conv": ConvMacroParams(ch_in, ch_out), "stride": stride, **params}, in_len=1,
                  trainables=None)


def count(module):
    return sum(p.numel() for p in module.parameters())


X = torch.randn(2, 8, 12, 12)


# ---- operations ---------------------------------------------------------------------------------
def test_pool_bn_pools_then_batch_norms():
    op = PoolBN("max", desc("max_pool_3x3"), affine=True)
    assert [type(m) for m in op.children()] == [nn.MaxPool2d, nn.BatchNorm2d]
    out = op.train()(X)
    assert out.shape == X.shape and count(op) == 0  # its batch norm learns no scale or shift (as Archai: none)
    # batch statistics normalised away: every channel has mean ~0 and variance ~1
    torch.testing.assert_close(out.mean(dim=(0, 2, 3)), torch.zeros(8), atol=1e-5, rtol=0)
    assert PoolBN("avg", desc("avg_pool_3x3", stride=2), affine=False)(X).shape == (2, 8, 6, 6)
    with pytest.raises(ValueError, match="pool_type"):
        PoolBN("min", desc("x"), True)


def test_fac_conv_is_kx1_then_1xk_and_keeps_the_size():
    op = FacConv(desc("conv_7x1_1x7", 8, 12), kernel_length=7, padding=3, affine=True)
    convs = [m for m in op.modules() if isinstance(m, nn.Conv2d)]
    assert [tuple(c.kernel_size) for c in convs] == [(7, 1), (1, 7)]
    assert op(X).shape == (2, 12, 12, 12)  # stride 1 keeps 12x12 (the documented intent)
    assert count(op) == 8 * 8 * 7 + 8 * 12 * 7 + 2 * 12
    assert FacConv(desc("c", stride=2), 7, 3, True)(X).shape == (2, 8, 6, 6)


def test_conv_ops_with_the_seed_argument_order():
    assert ReLUConvBN(desc("r", 8, 16), kernel_size=3, stride=2, padding=1, affine=True)(X).shape == (2, 16, 6, 6)
    cbr = ConvBNReLU(desc("c", 8, 16), kernel_size=1, stride=1, padding=0, affine=True)
    out = cbr(X)
    assert out.shape == (2, 16, 12, 12) and bool((out >= 0).all())  # ReLU last
    dil = DilConv(desc("d", 8, 8), kernel_size=3, stride=1, padding=2, dilation=2, affine=True)
    assert dil(X).shape == X.shape and count(dil) == 8 * 9 + 8 * 8 + 16
    sep = SepConv(desc("s", 8, 8, stride=2), kernel_size=3, padding=1, affine=True)
    assert sep(X).shape == (2, 8, 6, 6) and count(sep) == 2 * (8 * 9 + 8 * 8 + 16)
    assert FactorizedReduce(desc("f", 8, 16), affine=True)(X).shape == (2, 16, 6, 6)
    assert SkipConnect(desc("s"), affine=True)(X) is X
    assert Identity(desc("i"))(X) is X
    zero = Zero(desc("z", stride=2))(X)
    assert zero.shape == (2, 8, 6, 6) and not zero.any()


def test_stems_report_their_reduction():
    img = torch.randn(2, 3, 32, 32)
    stems = [(StemConv3x3, 1, 32), (StemConv3x3Relu, 1, 32), (StemConv3x3S4, 4, 8), (StemConv3x3S4S2, 8, 4)]
    for cls, reduction, size in stems:
        stem = cls(desc("stem", 3, 16), affine=True)
        assert isinstance(stem, StemBase) and stem.reduction == reduction
        assert stem(img).shape == (2, 16, size, size), cls.__name__
        assert not stem.can_drop_path()
    assert bool((StemConv3x3Relu(desc("s", 3, 16), True)(img) >= 0).all())


def test_heads_and_merge_ops():
    assert PoolAdaptiveAvg2D()(X).shape == (2, 8, 1, 1)
    assert AvgPool2d7x7()(torch.randn(2, 8, 7, 7)).shape == (2, 8, 1, 1)
    assert PoolMeanTensor()(X).shape == (2, 8)
    linear = LinearOp(OpDesc("linear", {"n_ch": 8, "n_classes": 5}, 1, None))
    assert linear(PoolMeanTensor()(X)).shape == (2, 5) and count(linear) == 8 * 5 + 5
    states = [torch.full((2, 4, 3, 3), float(i)) for i in range(5)]
    cat = ConcateChannelsOp(OpDesc("concate_channels", {"conv": ConvMacroParams(12, 12), "out_states": 3}, 1, None),
                            affine=False)
    assert isinstance(cat, MergeOp) and cat.out_states == 3
    out = cat(states)
    assert out.shape == (2, 12, 3, 3) and out[:, 0].max() == 2 and out[:, -1].min() == 4  # the last 3 states
    proj = ProjectChannelsOp(OpDesc("proj_channels", {"conv": ConvMacroParams(8, 4), "out_states": 2}, 1, None),
                             affine=True)
    assert proj(states).shape == (2, 4, 3, 3) and count(proj) == 8 * 4 + 8


def test_multi_op_projects_its_childrens_outputs():
    multi = MultiOp(OpDesc("multi_op", {"conv": ConvMacroParams(8, 8), "stride": 1}, 2, None,
                           children=[desc("sep_conv_3x3"), desc("max_pool_3x3")], children_ins=[0, 1]), affine=True)
    inputs = [torch.randn(2, 8, 6, 6), torch.randn(2, 8, 6, 6)]
    assert multi(inputs).shape == (2, 8, 6, 6)
    assert [type(op) for op, _ in multi.ops()] == [SepConv, PoolBN]
    assert isinstance(multi.proj, ProjectChannelsOp) and multi.proj.ch_in == 16


def test_op_create_ops_pairs_finalize_and_drop_path():
    sep = Op.create(desc("sep_conv_3x3"), affine=True)
    assert isinstance(sep, SepConv) and sep.desc.name == "sep_conv_3x3"
    (only, weight), = list(sep.ops())  # a primitive yields itself
    assert only is sep and math.isnan(weight)
    final, rank = sep.finalize()
    assert final.name == "sep_conv_3x3" and rank is None
    mixed = Op.create(desc("mixed_op", ops=["sep_conv_3x3", "max_pool_3x3", "none"]), affine=False)
    pairs = list(mixed.ops())
    assert [type(op) for op, _ in pairs] == [SepConv, PoolBN, Zero]
    assert sum(w for _, w in pairs) == pytest.approx(1.0)
    shared = Op.create(desc("mixed_op", ops=["sep_conv_3x3", "max_pool_3x3", "none"]), False, mixed.arch_params())
    assert shared.alphas() is mixed.alphas() and len(shared.all_owned()) == 0
    dp = DropPath_(0.25)
    assert "p=0.25" in repr(dp) and dp.extra_repr() == "p=0.25"


def test_arch_module_and_arch_params():
    class Net(ArchModule):
        def __init__(self):
            super().__init__()
            self.create_arch_params([("alphas", nn.Parameter(torch.zeros(3))),
                                     ("betas", nn.ParameterList([nn.Parameter(torch.zeros(2))]))])

    class Sharer(ArchModule):
        def __init__(self, params):
            super().__init__()
            self.set_arch_params(params)

    owner = Net()
    outer = nn.Module()
    outer.a, outer.b = owner, Sharer(owner.arch_params())
    assert set(owner.arch_params()) == {"alphas", "betas"}
    assert len(list(owner.all_owned().parameters())) == 2
    assert len(outer.b.arch_params(only_owned=True)) == 0 and outer.b.arch_params()["alphas"] is owner.arch_params()["alphas"]
    found = ArchParams.from_module(outer, recurse=True)
    assert len(list(found.parameters())) == 2  # shared, so counted once
    assert len(ArchParams.empty()) == 0 and len(ArchParams.from_module(nn.Linear(2, 2))) == 0
    registered = nn.Module()
    ArchParams([("gamma", nn.Parameter(torch.ones(1)))], registrar=registered)
    assert [n for n, _ in registered.named_parameters()] == ["gamma_arch_param"]


# ---- descriptions ------------------------------------------------------------------------------
def test_descriptions_clone_and_reset():
    conv = ConvMacroParams(4, 8)
    copy_ = conv.clone()
    assert copy_ == conv and copy_ is not conv
    edge = EdgeDesc(OpDesc("sep_conv_3x3", {"conv": conv, "stride": 1}, 1, {"weight": 0.5}), [0])
    clone = edge.clone(ConvMacroParams(16, 16), clear_trainables=True)
    assert clone.op_desc.conv == ConvMacroParams(16, 16) and clone.op_desc.trainables is None
    assert edge.op_desc.conv == conv and edge.op_desc.trainables == {"weight": 0.5}  # the original is untouched
    assert CellType("reduction") is CellType.Reduction and CellType.Regular == "regular"
    conf = ModelDescBuilder().macro_conf() | {"dataset": {"channels": 1, "n_classes": 10}, "n_cells": 3,
                                              "reductions": None}
    model_desc = ModelDescBuilder().build(conf)
    cell = model_desc.cell_descs[1]
    assert isinstance(cell, CellDesc) and cell.cell_type == CellType.Reduction
    assert [s.name for s in cell.stems] == ["prepr_normal", "prepr_normal"]
    assert cell.stem_shapes[0][0] == 32 and len(cell.node_shapes) == 4 and cell.out_shape[0] == 4 * 32
    assert cell.trainables_from == 1 and model_desc.cell_descs[2].trainables_from == 1
    assert model_desc.conf_model_desc["n_cells"] == 3 and model_desc.ds_ch == 1 and model_desc.n_classes == 10
    model_desc.reset_cells(model_desc.cell_descs[:1], model_desc.aux_tower_descs[:1])
    assert len(model_desc.cell_descs) == 1 and model_desc.cell_type_count(CellType.Regular) == 1
    with pytest.raises(ValueError, match="aux_tower_descs"):
        model_desc.reset_cells(model_desc.cell_descs, [])


# ---- builder, model, cells, edges --------------------------------------------------------------
def digits_conf(**kw):
    conf = {"n_cells": 3, "n_reductions": 1, "dataset": {"channels": 1, "n_classes": 10},
            "model_stems": {"ops": ["stem_conv3x3", "stem_conv3x3"], "init_node_ch": 4, "stem_multiplier": 3},
            "cell": {"n_nodes": 2, "cell_post_op": "concate_channels"}}
    conf.update(kw)
    return conf


class RecordingBuilder(ModelDescBuilder):
    """Records the order of hook calls and swaps the pooling head for a mean over HxW."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if (name.startswith("build_") or name.startswith("get_reduction") or name.startswith("get_node_channels")
                or name == "pre_build") and callable(attr):
            self_calls = super().__getattribute__("calls")

            def wrapped(*args, **kwargs):
                self_calls.append(name)
                return attr(*args, **kwargs)
            return wrapped
        return attr

    def build_model_pool(self, in_shapes, conf_model_desc):
        op = super().build_model_pool(in_shapes, conf_model_desc)
        return OpDesc("pool_mean_tensor", dict(op.params), op.in_len, None)


def test_builder_hooks_run_in_the_documented_order_and_an_override_changes_the_model():
    builder = RecordingBuilder()
    model_desc = builder.build(digits_conf(n_cells=2))
    order = [c for c in builder.calls if c != "build"]
    per_cell = ["build_cell", "build_cell_stems", "build_nodes", "build_cell_post_op", "build_aux_tower"]
    assert order == ["get_reduction_indices", "get_node_channels", "pre_build", "build_model_stems",
                     "build_cells", *per_cell, *per_cell, "build_model_pool", "build_logits_op"]
    assert model_desc.pool_op.name == "pool_mean_tensor"
    model = Model(model_desc, droppath=False, affine=False)
    assert isinstance(model.pool_op, PoolMeanTensor)
    logits, aux = model(torch.randn(2, 1, 8, 8))
    assert logits.shape == (2, 10) and aux is None
    # with a template, the nodes come from build_nodes_from_template instead
    builder.calls.clear()
    again = builder.build(digits_conf(n_cells=2), template=model_desc)
    assert "build_nodes_from_template" in builder.calls and "build_nodes" not in builder.calls
    assert again.cell_descs[0].nodes[0].edges[0].op_desc.name == "mixed_op"


def test_reductions_and_node_channels_from_the_config():
    class Wider(ModelDescBuilder):
        def get_node_channels(self, conf_model_desc):
            return [[c * 2 for c in cell] for cell in super().get_node_channels(conf_model_desc)]

    plain = ModelDescBuilder().build(digits_conf())
    assert ModelDescBuilder().get_reduction_indices(digits_conf(n_cells=8, n_reductions=2)) == [2, 5]
    assert [c.nodes[0].conv_params.ch_out for c in plain.cell_descs] == [4, 8, 8]
    assert [c.nodes[0].conv_params.ch_out for c in Wider().build(digits_conf()).cell_descs] == [8, 16, 16]


def test_model_forward_returns_logits_and_aux_logits_and_aux_tower_honours_its_stride():
    cell = [[["sep_conv_3x3", 0], ["max_pool_3x3", 1]], [["dil_conv_3x3", 2], ["skip_connect", 0]]]
    model_desc = ModelDescBuilder().build(digits_conf(aux_weight=0.4, aux_tower_stride=3,
                                                      genotype={"regular": cell, "reduction": cell}))
    assert model_desc.has_aux_tower() and model_desc.aux_tower_descs[2].stride == 3
    model = Model(model_desc, droppath=True, affine=True)
    logits, aux = model.train()(torch.randn(4, 1, 8, 8))
    assert logits.shape == aux.shape == (4, 10)
    assert model.eval()(torch.randn(4, 1, 8, 8))[1] is None
    model.drop_path_prob(0.2)
    assert {m.p for m in model.modules() if isinstance(m, DropPath_)} == {0.2}
    tower = AuxTower(AuxTowerDesc(16, 10, 3))
    assert tower.pool.stride == 3 and tower(torch.randn(2, 16, 8, 8)).shape == (2, 10)  # (8 - 5) / 3 + 1 = 2


def test_cells_and_edges_share_trainables():
    model_desc = ModelDescBuilder().build(digits_conf(n_cells=3, n_reductions=0))
    first = Cell(model_desc.cell_descs[0], affine=False, droppath=False, trainables_from=None)
    second = Cell(model_desc.cell_descs[1], affine=False, droppath=False, trainables_from=first)
    for a, b in zip(first.edges(), second.edges()):
        assert b.op.alphas() is a.op.alphas()
    assert len(second.all_owned()) == 0 and len(list(first.all_owned().parameters())) == 2 + 3
    edge_desc = model_desc.cell_descs[0].nodes[0].edges[0]
    edge = DagEdge(edge_desc, affine=False, droppath=True, template_edge=first.nodes[0][0])
    assert edge.op.alphas() is first.nodes[0][0].op.alphas()
    states = [torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)]
    assert edge(states).shape == (2, 4, 8, 8)
    assert first(torch.randn(2, 12, 8, 8), torch.randn(2, 12, 8, 8)).shape == (2, 8, 8, 8)


# ---- finalizers on a trained supergraph --------------------------------------------------------
@pytest.fixture(scope="module")
def trained_supergraph():
    torch.manual_seed(0)
    model = Model(ModelDescBuilder().build(digits_conf(n_cells=1, n_reductions=0)), droppath=False, affine=False)
    trainer = ArchTrainer({"epochs": 2, "batch_size": 16, "device": "cpu"}, model, None)
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 1, 8, 8, generator=g), torch.randint(0, 10, (64,), generator=g)
    from nas_supergraph.data import DataLoaders

    trainer.fit(DataLoaders((X[:32], y[:32]), (X[32:], y[32:])))
    return model


def test_finalizers_on_a_trained_supergraph(trained_supergraph):
    model = trained_supergraph
    finalizers = Finalizers()
    node = model.cells[0].nodes[1]
    node_desc = model.desc.cell_descs[0].nodes[1]
    final_node = finalizers.finalize_node(node, 1, node_desc, max_final_edges=2)
    assert isinstance(final_node, NodeDesc) and len(final_node.edges) == 2
    best = sorted(((max(w for op, w in e.op.ops() if not isinstance(op, Zero)), e.input_ids[0]) for e in node),
                  reverse=True)[:2]
    assert sorted(e.input_ids[0] for e in final_node.edges) == sorted(i for _, i in best)
    cell_desc = finalizers.finalize_cell(model.cells[0], 0, model.desc)
    assert isinstance(cell_desc, CellDesc) and all(len(n.edges) == 2 for n in cell_desc.nodes)
    final = finalizers.finalize_model(model)
    assert all(op != "none" and op != "mixed_op" for n in final.genotype()["regular"] for op, _ in n)
    assert Model(final)(torch.randn(2, 1, 8, 8))[0].shape == (2, 10)
    random_final = RandomFinalizers(seed=3).finalize_model(model)
    assert random_final.genotype() == RandomFinalizers(seed=3).finalize_model(model).genotype()
    assert all(len(n) == 2 for n in random_final.genotype()["regular"])


def test_trainer_compute_loss_and_post_epoch(tiny_data):
    seen = []

    class Counting(ArchTrainer):
        def post_epoch(self, data_loaders):
            seen.append((self.epoch, len(data_loaders.train[1])))

    data = tiny_data()
    model = Model(ModelDescBuilder().build(digits_conf(n_cells=1, n_reductions=0, dataset={"channels": 1,
                                                                                           "n_classes": 4})),
                  droppath=False, affine=False)
    trainer = Counting({"epochs": 2, "batch_size": 16, "device": "cpu"}, model, None)
    from nas_supergraph.data import split

    trainer.fit(split(data, 0.5, 1))
    assert seen == [(0, 32), (1, 32)]
    y, logits = torch.tensor([0, 1]), torch.randn(2, 4)
    loss = trainer.compute_loss(nn.functional.cross_entropy, y, logits, 0.5, logits)
    assert loss == pytest.approx(1.5 * float(nn.functional.cross_entropy(logits, y)))


def test_checkpoint_helpers(tmp_path):
    assert checkpoint_empty(None) and create_checkpoint({"filename": None}, True) is None
    checkpoint = create_checkpoint({"filename": str(tmp_path / "c.pt")}, resume=True)
    assert checkpoint_empty(checkpoint)
    checkpoint.save({"epoch": 1})
    assert not checkpoint_empty(checkpoint) and checkpoint.load() == {"epoch": 1}
    assert checkpoint_empty(create_checkpoint({"filename": str(tmp_path / "c.pt")}, resume=False))


# ---- the experiment runner from a YAML file ----------------------------------------------------
EXPERIMENT = """\
common: {{seed: 1, logdir: {logdir}}}
dataset: {{name: digits}}
nas:
  search:
    model_desc:
      n_cells: 1
      n_reductions: 0
      model_stems: {{ops: [stem_conv3x3], init_node_ch: 4}}
      cell: {{n_nodes: 2}}
    trainer: {{algorithm: darts, epochs: 1, device: {device}}}
  eval:
    model_desc:
      n_cells: 2
      n_reductions: 1
      model_stems: {{ops: [stem_conv3x3], init_node_ch: 8}}
      cell: {{n_nodes: 2}}
    trainer: {{epochs: 3, device: {device}}}
"""


@pytest.mark.parametrize("device", DEVICES)
def test_experiment_runner_runs_a_darts_file_on_digits(tmp_path, digits, device):
    path = tmp_path / "darts.yaml"
    path.write_text(EXPERIMENT.format(logdir=tmp_path / "logs", device=device))
    built = []

    class Runner(ExperimentRunner):
        def model_desc_builder(self):
            built.append(1)
            return super().model_desc_builder()

    runner = Runner(str(path), "darts_digits", clean_expdir=True, dataset=digits)
    assert runner.trainer_class() is ArchTrainer and isinstance(runner.finalizers(), Finalizers)
    search, evaluation = runner.run(search=True, eval=True)
    assert isinstance(search, SearchResult) and search.search_metrics["steps"] > 0
    assert all(len(n) == 2 for n in search.model_desc.genotype()["regular"])
    assert (tmp_path / "logs" / "darts_digits" / "final_model_desc.yaml").exists()
    # the evaluation trained the searched cell at its own (bigger) layout
    assert len(evaluation.model_desc.cell_descs) == 2
    assert evaluation.model_desc.genotype()["regular"] == search.model_desc.genotype()["regular"]
    assert 0.5 < evaluation.train_metrics["val_acc"] <= 1.0  # three epochs on digits learn something (chance: 0.1)
    assert built == [1, 1]
    # eval alone reads the searched description back
    assert runner.run(search=False, eval=True)[0] is None
    # a resumed run reads the finished evaluation back with the weights it trained
    assert (tmp_path / "logs" / "darts_digits" / "eval_model_weights.pt").exists()
    again = ExperimentRunner(str(path), "darts_digits", dataset=digits).run(search=True, eval=True)[1]
    assert again.model is not None and again.train_metrics == evaluation.train_metrics
    X = digits.get_val()[0][:16]
    with torch.no_grad():
        trained, loaded = evaluation.model.to("cpu").eval()(X)[0], again.model(X)[0]
    assert torch.equal(trained, loaded)


def test_runner_config_file_is_checked_and_loaded_safely(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("nas: {search: {trainer: !!python/object/apply:os.system ['true']}}")
    with pytest.raises(ValueError, match="not valid YAML"):
        ExperimentRunner(str(path), "x")
    path.write_text(textwrap.dedent("""\
        nas:
          search:
            model_desc: {cell: {n_node: 2}}
        """))
    with pytest.raises(ValueError, match="'nas.search.model_desc.cell.n_node'"):
        ExperimentRunner(str(path), "x")
    path.write_text("nas: {search: {trainer: {epochs: 0}}}")
    with pytest.raises(ValueError, match="nas.search.trainer.epochs"):
        ExperimentRunner(str(path), "x")


def test_search_combinations_keeps_the_best_macro_size(tmp_path, tiny_data):
    path = tmp_path / "pareto.yaml"
    conf = yaml.safe_load(EXPERIMENT.format(logdir=tmp_path / "logs", device="cpu"))
    conf["nas"]["search"]["pareto"] = {"enabled": True, "max_cells": 2, "max_reductions": 0, "max_nodes": 2}
    conf["nas"]["search"]["model_desc"]["cell"]["n_nodes"] = 1
    conf["nas"]["search"]["post_train"] = {"trainer": {"epochs": 1, "device": "cpu"}}
    conf["nas"]["search"]["trainer"]["batch_size"] = 16
    path.write_text(yaml.safe_dump(conf))
    runner = ExperimentRunner(str(path), "pareto", dataset=tiny_data())
    conf_search = runner._with_data(runner.conf["nas"]["search"])
    combinations = list(SearchCombinations().get_combinations(conf_search))
    assert combinations == [(0, 1, 1), (0, 1, 2), (0, 2, 1), (0, 2, 2)]
    result = runner.run_search(runner.conf["nas"]["search"])
    rows = (tmp_path / "logs" / "pareto" / "pareto.tsv").read_text().splitlines()
    assert len(rows) == 1 + 4
    best = max(float(r.split("\t")[3]) for r in rows[1:])
    assert result.train_metrics["val_acc"] == pytest.approx(best)
    assert isinstance(result.model_desc, ModelDesc)
    assert isinstance(SearchCombinations(), Searcher)


def test_evaluater_methods(tmp_path, tiny_data):
    data = tiny_data()
    evaluater = Evaluater(data, seed=1)
    loaders = evaluater.get_data({})
    assert len(loaders.train[1]) == 64 and len(loaders.val[1]) == 32
    template = ModelDescBuilder(in_channels=1, num_classes=4, init_channels=4, n_cells=1, n_nodes=2).build_discrete(
        {"regular": [[["sep_conv_3x3", 0]], [["skip_connect", 1], ["max_pool_3x3", 2]]]})
    template.save(str(tmp_path / "final.yaml"))
    conf_eval = {"model_desc": digits_conf(n_cells=1, n_reductions=0, dataset={"channels": 1, "n_classes": 4}),
                 "final_desc_filename": str(tmp_path / "final.yaml")}
    model = evaluater.create_model(conf_eval, ModelDescBuilder(), full_desc_filename=str(tmp_path / "full.yaml"))
    assert ModelDesc.load(str(tmp_path / "full.yaml")).genotype() == template.genotype()
    metrics = evaluater.train_model({"epochs": 1, "batch_size": 16, "device": "cpu"}, model, None)
    assert set(metrics) == {"val_acc", "train_loss", "epochs"} and 0.0 <= metrics["val_acc"] <= 1.0


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_trainers_run_on_the_device_at_the_precision(device, precision, tiny_data):
    torch.manual_seed(0)
    model = Model(ModelDescBuilder().build(digits_conf(n_cells=1, n_reductions=0,
                                                       dataset={"channels": 1, "n_classes": 4})),
                  droppath=False, affine=False)
    dtypes = []
    model.logits_op.register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
    trainer = ArchTrainer({"epochs": 1, "batch_size": 32, "device": device, "precision": precision}, model, None)
    from nas_supergraph.data import split

    info = trainer.fit(split(tiny_data(), 0.5, 1))
    assert math.isfinite(info["train_loss"]) and next(model.parameters()).device.type == device
    assert set(dtypes) == {{"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]}


def test_cuda_without_a_gpu_is_refused_when_the_trainer_is_built():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    model = Model(ModelDescBuilder().build(digits_conf(n_cells=1, n_reductions=0)), droppath=False, affine=False)
    with pytest.raises(ValueError, match="trainer.device"):
        ArchTrainer({"device": "cuda"}, model, None)
    assert ArchTrainer({"device": "auto"}, model, None).device == "cpu"  # auto: the CPU here
