"""The kernel's conformance kit (nas_kernel.testing) over the table evaluator and the installed
distribution (the spaces run it in test_conformance.py)."""
from nas_kernel import testing


def test_kit_table_evaluator_checks():
    from nas_search_spaces.nb201.search_space import NatsbenchTssSearchSpace
    from nas_search_spaces.nb201.table_evaluator import Nb201TableEvaluator

    component = testing.with_inputs(Nb201TableEvaluator(), models=NatsbenchTssSearchSpace(seed=0))
    results = testing.check_evaluator(component, on_fail=None)
    assert results and all(r["status"] != "failed" for r in results), results


def test_kit_check_plugin():
    testing.check_plugin("nas-search-spaces", expects={
        "search_spaces": ["cnn", "config", "hivenas_chain", "mlp", "natsbench_tss", "segmentation_dag"],
        "evaluators": ["nb201_table"]})
