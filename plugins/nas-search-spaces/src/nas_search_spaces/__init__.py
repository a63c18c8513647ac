"""Search spaces for NAS Kernel (and the NAS-Bench-201 table evaluator that shares their data).

Public names are imported on first use, so ``import nas_search_spaces`` does not import torch.
"""
from nas_kernel.toolbox.lazy import lazy_exports

__version__ = "0.1.0"

_LAZY = {
    "CNNSearchSpace": "cnn",
    "ConfigSearchSpace": "config",
    "ArchParamTree": "config",
    "ArchConfig": "config",
    "DiscreteChoice": "config",
    "repeat_config": "config",
    "NatsbenchTssSearchSpace": "nb201.search_space",
    "model_from_natsbench_tss": "nb201.network",
    "OPS": "nb201.ops",
    "Nb201TableEvaluator": "nb201.table_evaluator",
    "NatsbenchMetric": "nb201.table_evaluator",
    "load_nb201_table": "nb201.table",
    "SegmentationDagSearchSpace": "segmentation_dag",
    "HiveNasChainSearchSpace": "hivenas_chain",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
