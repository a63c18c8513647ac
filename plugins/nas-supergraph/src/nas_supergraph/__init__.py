"""Supergraph ops, descriptions, modules and one-shot search (DARTS, GDAS) for NAS Kernel.

Names are imported lazily (PEP 562), so ``import nas_supergraph`` does not import torch.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ConvMacroParams": "descs", "OpDesc": "descs", "EdgeDesc": "descs", "NodeDesc": "descs", "CellDesc": "descs",
    "AuxTowerDesc": "descs", "ModelDesc": "descs",
    "ModelDescBuilder": "model_desc_builder",
    "Op": "ops", "PRIMITIVES": "ops", "Zero": "ops", "Identity": "ops", "PoolBN": "ops", "SkipConnect": "ops",
    "FactorizedReduce": "ops", "ReLUConvBN": "ops", "ConvBNReLU": "ops", "DilConv": "ops", "SepConv": "ops",
    "FacConv": "ops", "StemConv3x3": "ops", "StemConv3x3S4": "ops", "StemConv3x3S4S2": "ops",
    "PoolAdaptiveAvg2D": "ops", "AvgPool2d7x7": "ops", "PoolMeanTensor": "ops", "LinearOp": "ops",
    "MergeOp": "ops", "ConcateChannelsOp": "ops", "ProjectChannelsOp": "ops", "MultiOp": "ops",
    "DropPath_": "ops",
    "MixedOp": "mixed_op",
    "create_op": "op_lookup", "use_plugin_manager": "op_lookup",
    "ArchParams": "arch_params", "ArchModule": "arch_params",
    "Model": "model", "Cell": "model", "DagEdge": "model", "AuxTower": "model",
    "ArchTrainer": "arch_trainer", "Finalizers": "finalizers", "Evaluater": "evaluater",
    "ExperimentRunner": "experiment_runner", "Checkpoint": "checkpoint",
    "DartsCellSpace": "search_space", "DartsSearcher": "searcher", "GdasSearcher": "searcher",
    "FinalTraining": "final_training", "TensorProvider": "data",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"nas_supergraph.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'nas_supergraph' has no attribute {name!r}")


def __dir__():
    return __all__
