"""Every documented signature of Archai's supergraph API, transcribed (parameter names, in
order), against this package: the documented parameters come first, in the documented order,
and whatever this package adds after them has a default, so a call written for the seed's
signature works unchanged (``Model(desc, droppath, affine)``, ``ExperimentRunner(file, name,
clean)`` ...)."""
from __future__ import annotations

import importlib
import inspect

import pytest

SEED = {
    "arch_params.ArchModule.create_arch_params": "named_params",
    "arch_params.ArchModule.set_arch_params": "arch_params",
    "arch_params.ArchModule.arch_params": "recurse, only_owned",
    "arch_params.ArchModule.all_owned": "",
    "arch_params.ArchParams": "arch_params, registrar",
    "arch_params.ArchParams.from_module": "module, recurse",
    "arch_params.ArchParams.empty": "",
    "arch_trainer.ArchTrainer": "conf_train, model, checkpoint",
    "arch_trainer.ArchTrainer.compute_loss": "lossfn, y, logits, aux_weight, aux_logits",
    "arch_trainer.ArchTrainer.post_epoch": "data_loaders",
    "cell.Cell": "desc, affine, droppath, trainables_from",
    "cell.Cell.forward": "s0, s1",
    "dag_edge.DagEdge": "desc, affine, droppath, template_edge",
    "dag_edge.DagEdge.forward": "inputs",
    "evaluater.Evaluater": "",
    "evaluater.Evaluater.evaluate": "conf_eval, model_desc_builder",
    "evaluater.Evaluater.train_model": "conf_train, model, checkpoint",
    "evaluater.Evaluater.get_data": "conf_loader",
    "evaluater.Evaluater.create_model": "conf_eval, model_desc_builder, final_desc_filename, full_desc_filename",
    "exp_runner.ExperimentRunner": "config_filename, base_name, clean_expdir",
    "exp_runner.ExperimentRunner.run_search": "conf_search",
    "exp_runner.ExperimentRunner.run_eval": "conf_eval",
    "exp_runner.ExperimentRunner.run": "search, eval",
    "exp_runner.ExperimentRunner.model_desc_builder": "",
    "exp_runner.ExperimentRunner.trainer_class": "",
    "exp_runner.ExperimentRunner.finalizers": "",
    "finalizers.Finalizers.finalize_cell": "cell, cell_index, model_desc, *args, **kwargs",
    "finalizers.Finalizers.finalize_node": "node, node_index, node_desc, max_final_edges, *args, **kwargs",
    "model.Model": "model_desc, droppath, affine",
    "model.Model.forward": "x",
    "model.Model.drop_path_prob": "p",
    "model.AuxTower": "aux_tower_desc",
    "model.AuxTower.forward": "x",
    "model_desc.ConvMacroParams": "ch_in, ch_out",
    "model_desc.ConvMacroParams.clone": "",
    "model_desc.OpDesc": "name, params, in_len, trainables, children, children_ins",
    "model_desc.EdgeDesc": "op_desc, input_ids",
    "model_desc.EdgeDesc.clone": "conv_params, clear_trainables",
    "model_desc.NodeDesc": "edges, conv_params",
    "model_desc.AuxTowerDesc": "ch_in, n_classes, stride",
    "model_desc.CellDesc": "id, cell_type, conf_cell, stems, stem_shapes, nodes, node_shapes, post_op, out_shape, "
                           "trainables_from",
    "model_desc.ModelDesc": "conf_model_desc, model_stems, pool_op, cell_descs, aux_tower_descs, logits_op",
    "model_desc.ModelDesc.reset_cells": "cell_descs, aux_tower_descs",
    "model_desc_builder.ModelDescBuilder.get_reduction_indices": "conf_model_desc",
    "model_desc_builder.ModelDescBuilder.get_node_channels": "conf_model_desc",
    "model_desc_builder.ModelDescBuilder.build": "conf_model_desc, template",
    "model_desc_builder.ModelDescBuilder.build_cells": "in_shapes, conf_model_desc",
    "model_desc_builder.ModelDescBuilder.build_cell": "in_shapes, conf_cell, cell_index",
    "model_desc_builder.ModelDescBuilder.build_cell_stems": "in_shapes, conf_cell, cell_index",
    "model_desc_builder.ModelDescBuilder.build_nodes_from_template": "stem_shapes, conf_cell, cell_index",
    "model_desc_builder.ModelDescBuilder.build_nodes": "stem_shapes, conf_cell, cell_index, cell_type, node_count, "
                                                      "in_shape, out_shape",
    "model_desc_builder.ModelDescBuilder.build_model_pool": "in_shapes, conf_model_desc",
    "model_desc_builder.ModelDescBuilder.build_cell_post_op": "stem_shapes, node_shapes, conf_cell, cell_index",
    "model_desc_builder.ModelDescBuilder.build_aux_tower": "out_shape, conf_model_desc, cell_index",
    "model_desc_builder.ModelDescBuilder.build_model_stems": "in_shapes, conf_model_desc",
    "nas_utils.checkpoint_empty": "checkpoint",
    "nas_utils.create_checkpoint": "conf_checkpoint, resume",
    "operations.Op.create": "op_desc, affine, arch_params",
    "operations.Op.ops": "",
    "operations.PoolBN": "pool_type, op_desc, affine",
    "operations.SkipConnect": "op_desc, affine",
    "operations.FacConv": "op_desc, kernel_length, padding, affine",
    "operations.ReLUConvBN": "op_desc, kernel_size, stride, padding, affine",
    "operations.ConvBNReLU": "op_desc, kernel_size, stride, padding, affine",
    "operations.DilConv": "op_desc, kernel_size, stride, padding, dilation, affine",
    "operations.SepConv": "op_desc, kernel_size, padding, affine",
    "operations.Identity": "op_desc",
    "operations.Zero": "op_desc",
    "operations.FactorizedReduce": "op_desc, affine",
    "operations.StemBase": "reduction",
    "operations.StemConv3x3": "op_desc, affine",
    "operations.StemConv3x3Relu": "op_desc, affine",
    "operations.StemConv3x3S4": "op_desc, affine",
    "operations.StemConv3x3S4S2": "op_desc, affine",
    "operations.AvgPool2d7x7": "",
    "operations.PoolAdaptiveAvg2D": "",
    "operations.PoolMeanTensor": "",
    "operations.LinearOp": "op_desc",
    "operations.MergeOp": "op_desc, affine",
    "operations.MergeOp.forward": "states",
    "operations.ConcateChannelsOp": "op_desc, affine",
    "operations.ProjectChannelsOp": "op_desc, affine",
    "operations.DropPath_": "p",
    "operations.MultiOp": "op_desc, affine",
    "operations.MultiOp.forward": "x",
    "search_combinations.SearchCombinations.search": "conf_search, model_desc_builder, trainer_class, finalizers",
    "search_combinations.SearchCombinations.restore_checkpoint": "conf_search, macro_combinations",
    "search_combinations.SearchCombinations.record_checkpoint": "macro_comb_i, best_result",
    "search_combinations.SearchCombinations.save_trained": "conf_search, reductions, cells, nodes, model_metrics",
    "searcher.SearchResult": "model_desc, search_metrics, train_metrics",
    "searcher.Searcher.search": "conf_search, model_desc_builder, trainer_class, finalizers",
    "searcher.Searcher.clean_log_result": "conf_search, search_result",
    "searcher.Searcher.build_model_desc": "model_desc_builder, conf_model_desc, reductions, cells, nodes",
    "searcher.Searcher.get_data": "conf_loader",
    "searcher.Searcher.finalize_model": "model, finalizers",
    "searcher.Searcher.search_model_desc": "conf_search, model_desc, trainer_class, finalizers",
    "searcher.Searcher.train_model_desc": "model_desc, conf_train",
}


def _resolve(path):
    module, *names = path.split(".")
    obj = importlib.import_module(f"nas_supergraph.{module}")
    for name in names:
        obj = getattr(obj, name)
    return obj


def _parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = list(inspect.signature(target).parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    return params


@pytest.mark.parametrize("path", sorted(SEED))
def test_documented_parameters_come_first_and_additions_have_defaults(path):
    documented = [p.strip().lstrip("*") for p in SEED[path].split(",") if p.strip()]
    params = _parameters(_resolve(path))
    names = [p.name for p in params]
    assert names[:len(documented)] == documented, f"{path}: {names} does not start with {documented}"
    for extra in params[len(documented):]:
        assert extra.default is not extra.empty or extra.kind in (extra.VAR_POSITIONAL, extra.VAR_KEYWORD), (
            f"{path}: the added parameter {extra.name!r} has no default, so a call written for the seed breaks")
