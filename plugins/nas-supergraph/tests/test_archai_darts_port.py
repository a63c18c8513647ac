"""Archai's DARTS algorithm (``archai/supergraph/algos/darts``) ported the way a user ports it: the
imports changed, the classes and their ``@overrides`` otherwise as written for Archai, without
annotations (Archai pins ``overrides==3.1.0``, which compares no signatures). Two lines cannot
stay: Archai's ``pre_build`` registers ``mixed_op`` in a global table (this plugin registers it
through its ``register_ops`` hook), and its runner returns ``BilevelArchTrainer`` (here the one
``ArchTrainer`` with ``trainer.algorithm: darts``); both are listed in ``docs/archai-migration.md``.
The search runs on tiny data, one epoch, so the test stays fast.
"""
from __future__ import annotations

import copy

import torch
from overrides import overrides

# Archai: from archai.supergraph.nas.arch_trainer import ArchTrainer
from nas_supergraph.arch_trainer import ArchTrainer
# Archai: from archai.supergraph.nas.exp_runner import ExperimentRunner
from nas_supergraph.exp_runner import ExperimentRunner
# Archai: from archai.supergraph.nas.finalizers import Finalizers
from nas_supergraph.finalizers import Finalizers
# Archai: from archai.supergraph.nas.model_desc import CellType, ConvMacroParams, EdgeDesc, NodeDesc, OpDesc
from nas_supergraph.model_desc import CellType, ConvMacroParams, EdgeDesc, NodeDesc, OpDesc
# Archai: from archai.supergraph.nas.model_desc_builder import ModelDescBuilder
from nas_supergraph.model_desc_builder import ModelDescBuilder

CALLS = []


class DartsModelDescBuilder(ModelDescBuilder):
    @overrides
    def pre_build(self, conf_model_desc):
        CALLS.append("pre_build")  # Archai: Op.register_op('mixed_op', ...)

    @overrides
    def build_nodes(self, stem_shapes, conf_cell, cell_index, cell_type, node_count, in_shape, out_shape):
        assert in_shape[0] == out_shape[0]
        reduction = cell_type == CellType.Reduction
        nodes = []
        conv_params = ConvMacroParams(in_shape[0], out_shape[0])
        for i in range(node_count):
            edges = []
            for j in range(i + 2):
                op_desc = OpDesc("mixed_op", params={"conv": conv_params, "stride": 2 if reduction and j < 2 else 1},
                                 in_len=1, trainables=None, children=None)
                edges.append(EdgeDesc(op_desc, input_ids=[j]))
            nodes.append(NodeDesc(edges=edges, conv_params=conv_params))
        out_shapes = [copy.deepcopy(out_shape) for _ in range(node_count)]
        return out_shapes, nodes


class CountingTrainer(ArchTrainer):
    @overrides
    def compute_loss(self, lossfn, y, logits, aux_weight, aux_logits):
        CALLS.append("compute_loss")
        return super().compute_loss(lossfn, y, logits, aux_weight, aux_logits)

    @overrides
    def post_epoch(self, data_loaders):
        CALLS.append("post_epoch")
        super().post_epoch(data_loaders)


class TopOneFinalizers(Finalizers):
    """Keeps one edge per node (Archai algorithms override finalize_node the same way)."""

    @overrides
    def finalize_node(self, node, node_index, node_desc, max_final_edges, *args, **kwargs):
        CALLS.append("finalize_node")
        return super().finalize_node(node, node_index, node_desc, 1, *args, **kwargs)


class DartsExperimentRunner(ExperimentRunner):
    @overrides
    def model_desc_builder(self):
        return DartsModelDescBuilder()

    @overrides
    def trainer_class(self):
        return CountingTrainer  # Archai: BilevelArchTrainer

    @overrides
    def finalizers(self):
        return TopOneFinalizers()


EXPERIMENT = """\
common: {{seed: 1, logdir: {logdir}}}
dataset: {{name: synthetic}}
nas:
  search:
    model_desc:
      n_cells: 2
      n_reductions: 1
      model_stems: {{ops: [stem_conv3x3], init_node_ch: 4}}
      cell: {{n_nodes: 2}}
    trainer: {{algorithm: darts, epochs: 1, batch_size: 32, device: cpu}}
  eval:
    model_desc:
      n_cells: 2
      n_reductions: 1
      model_stems: {{ops: [stem_conv3x3], init_node_ch: 4}}
      cell: {{n_nodes: 2}}
    trainer: {{epochs: 1, batch_size: 32, device: cpu}}
"""


def test_archai_darts_runs_with_imports_changed_and_no_annotations(tmp_path, tiny_data):
    CALLS.clear()
    path = tmp_path / "darts.yaml"
    path.write_text(EXPERIMENT.format(logdir=tmp_path / "logs"))
    runner = DartsExperimentRunner(str(path), "darts", clean_expdir=True, dataset=tiny_data())
    search, evaluation = runner.run(search=True, eval=True)
    # the ported builder laid out the supergraph: node i reads every earlier state via a mixed op
    assert "pre_build" in CALLS and "compute_loss" in CALLS and CALLS.count("post_epoch") == 1
    assert CALLS.count("finalize_node") == 2 * 2  # two cells of two nodes
    genotype = search.model_desc.genotype()
    assert set(genotype) == {"regular", "reduction"}
    assert all(len(node) == 1 and node[0][0] != "none" for nodes in genotype.values() for node in nodes)
    assert search.search_metrics["steps"] > 0
    assert evaluation.model_desc.genotype() == genotype
    assert 0.0 <= evaluation.train_metrics["val_acc"] <= 1.0
    with torch.no_grad():
        logits, _ = evaluation.model.to("cpu").eval()(tiny_data().get_val()[0][:4])
    assert logits.shape == (4, 4)
