"""The kernel's conformance kit over this plugin: the installed-plugin check, the cell space and a
few ops, as a third-party author would run it."""
import pytest

from nas_kernel.testing import check_op, check_plugin, check_search_space


def test_plugin_passes_check_plugin():
    check_plugin("nas-supergraph", skip_build=("final_training",))


def test_darts_cells_space_passes_the_search_space_checks():
    from nas_supergraph.search_space import DartsCellSpace

    results = check_search_space(DartsCellSpace(init_channels=4, n_cells=1, seed=3), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])) for r in results if r["status"] == "failed"]
    assert results and not failed, failed


@pytest.mark.parametrize("name", ["sep_conv_3x3", "dil_conv_5x5", "skip_connect", "none", "max_pool_3x3"])
def test_ops_pass_the_op_checks(name):
    from nas_kernel.plugins import make_plugin_manager
    from nas_supergraph.model_desc import ConvMacroParams, OpDesc

    factory = make_plugin_manager(only=["nas-supergraph"]).registry.get("ops", name).load()
    op = factory(OpDesc(name, params={"conv": ConvMacroParams(4, 4), "stride": 1}, in_len=1, trainables=None), True)
    results = check_op(op, input_shape=(2, 4, 8, 8), output_shape=(2, 4, 8, 8), on_fail=None)
    assert results and all(r["status"] != "failed" for r in results), results
