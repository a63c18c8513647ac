"""Supergraph ops, descriptions, modules and one-shot search (DARTS, GDAS) for NAS Kernel, with
the class, module and method names of Archai's supergraph API (``archai.supergraph.nas.X``
becomes ``nas_supergraph.X``).

Names are imported lazily, so ``import nas_supergraph`` does not import torch.
"""
from nas_kernel.toolbox.lazy import lazy_exports

_EXPORTS = {
    "ConvMacroParams": "model_desc", "OpDesc": "model_desc", "EdgeDesc": "model_desc", "NodeDesc": "model_desc",
    "CellDesc": "model_desc", "CellType": "model_desc", "AuxTowerDesc": "model_desc", "ModelDesc": "model_desc",
    "ModelDescBuilder": "model_desc_builder",
    "Op": "operations", "PRIMITIVES": "operations", "Zero": "operations", "Identity": "operations",
    "PoolBN": "operations", "SkipConnect": "operations", "FactorizedReduce": "operations",
    "ReLUConvBN": "operations", "ConvBNReLU": "operations", "DilConv": "operations", "SepConv": "operations",
    "FacConv": "operations", "StemBase": "operations", "StemConv3x3": "operations",
    "StemConv3x3Relu": "operations", "StemConv3x3S4": "operations", "StemConv3x3S4S2": "operations",
    "PoolAdaptiveAvg2D": "operations", "AvgPool2d7x7": "operations", "PoolMeanTensor": "operations",
    "LinearOp": "operations", "MergeOp": "operations", "ConcateChannelsOp": "operations",
    "ProjectChannelsOp": "operations", "MultiOp": "operations", "DropPath_": "operations",
    "MixedOp": "mixed_op",
    "create_op": "op_lookup",
    "ArchParams": "arch_params", "ArchModule": "arch_params",
    "Model": "model", "Cell": "model", "DagEdge": "model", "AuxTower": "model", "LogitsModel": "model",
    "ArchTrainer": "arch_trainer", "Finalizers": "finalizers", "RandomFinalizers": "random_finalizers",
    "Evaluater": "evaluater", "EvalResult": "evaluater",
    "ExperimentRunner": "exp_runner", "Searcher": "searcher", "SearchResult": "searcher",
    "SearchCombinations": "search_combinations", "Checkpoint": "checkpoint", "DataLoaders": "data",
    "checkpoint_empty": "nas_utils", "create_checkpoint": "nas_utils",
    "DartsCellSpace": "search_space", "DartsSearcher": "one_shot", "GdasSearcher": "one_shot",
    "FinalTraining": "final_training", "TensorProvider": "data",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
