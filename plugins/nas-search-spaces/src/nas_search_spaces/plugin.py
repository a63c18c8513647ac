"""Registers this distribution's search spaces and its NAS-Bench-201 table evaluator with NAS
Kernel. Only lazy ``"module:attr"`` references: importing this module imports no torch/numpy."""
from nas_kernel import hookimpl

SEARCH_SPACES = {
    "cnn": "nas_search_spaces.cnn:CNNSearchSpace",
    "config": "nas_search_spaces.config.search_space:ConfigSearchSpace",
    "natsbench_tss": "nas_search_spaces.nb201.search_space:NatsbenchTssSearchSpace",
    "segmentation_dag": "nas_search_spaces.segmentation_dag:SegmentationDagSearchSpace",
    "hivenas_chain": "nas_search_spaces.hivenas_chain:HiveNasChainSearchSpace",
    "mlp": "nas_search_spaces.mlp:MLPSearchSpace",
}

EVALUATORS = {
    "nb201_table": "nas_search_spaces.nb201.table_evaluator:Nb201TableEvaluator",
}


@hookimpl
def register_search_spaces(register):
    for name, ref in SEARCH_SPACES.items():
        register(name, ref)


@hookimpl
def register_evaluators(register):
    for name, ref in EVALUATORS.items():
        register(name, ref)
