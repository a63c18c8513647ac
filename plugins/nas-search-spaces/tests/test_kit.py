"""The kernel's conformance kit (nas_kernel.testing) over every space and the table evaluator,
when the installed kernel ships it."""
import pytest

from spaces import SPACES

testing = pytest.importorskip("nas_kernel.testing")
if not hasattr(testing, "check_search_space"):
    pytest.skip("nas_kernel.testing has no check_search_space yet", allow_module_level=True)


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_kit_search_space_checks(space_name):
    results = testing.check_search_space(SPACES[space_name][0](), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])) for r in results if r["status"] == "failed"]
    assert results and not failed, failed


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
