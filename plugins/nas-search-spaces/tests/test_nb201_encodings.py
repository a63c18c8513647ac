"""NAS-Bench-201 encodings by name: lengths, what each one keeps and drops, table features, and
the kernel's default for spaces that offer only ``encode``."""
import numpy as np
import pytest
from overrides import overrides

from nas_kernel.api import BayesOptSearchSpace

from nas_search_spaces.nb201 import encodings
from nas_search_spaces.nb201.cells import format_cell
from nas_search_spaces.nb201.search_space import NatsbenchTssSearchSpace

SPACE = NatsbenchTssSearchSpace(seed=3)


def model(ops):
    return SPACE.make(SPACE.table.index_of[format_cell(ops)])


def test_default_is_encode_and_every_listed_encoding_has_one_length():
    assert {"default", "one_hot", "adjacency", "path"} <= set(SPACE.encodings())
    samples = [SPACE.random_sample() for _ in range(25)]
    for m in samples:
        np.testing.assert_array_equal(SPACE.encode_as(m), SPACE.encode(m))
        np.testing.assert_array_equal(SPACE.encode_as(m, "one_hot"), SPACE.encode(m))
    for name, length in (("one_hot", 30), ("adjacency", 36), ("path", 84), ("graph", 114)):
        assert {SPACE.encode_as(m, name).shape for m in samples} == {(length,)}
    for name in SPACE.encodings():
        assert len({SPACE.encode_as(m, name).shape for m in samples}) == 1


def test_path_encoding_counts_live_paths_per_op_sequence():
    skip = ["skip_connect"] * 6
    vector = SPACE.encode_as(model(skip), "path")
    assert vector.sum() == 4  # 0->3, 0->1->3, 0->2->3, 0->1->2->3
    assert vector.max() == 2  # the two length-2 paths carry the same op sequence
    assert SPACE.encode_as(model(["none"] * 6), "path").sum() == 0
    one_path = ["nor_conv_3x3", "none", "none", "none", "avg_pool_3x3", "none"]  # only 0->1->3
    assert SPACE.encode_as(model(one_path), "path").sum() == 1


def test_dead_edges_encode_as_absent_in_adjacency_and_path():
    # with 2->3 = none nothing that enters node 2 reaches the output
    base = ["nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none"]
    other = list(base)
    other[1], other[2] = "nor_conv_1x1", "nor_conv_3x3"
    a, b = model(base), model(other)
    assert SPACE.table.iso_group[SPACE.index(a)] == SPACE.table.iso_group[SPACE.index(b)]
    for name in ("adjacency", "path", "graph"):
        np.testing.assert_array_equal(SPACE.encode_as(a, name), SPACE.encode_as(b, name))
    assert not np.array_equal(SPACE.encode_as(a, "one_hot"), SPACE.encode_as(b, "one_hot"))
    assert encodings.live_edges(base) == [True, False, False, True, True, False]


def test_table_features_append_log_synflow_params_and_flops():
    m = SPACE.make(6111)
    features = SPACE.table_features()
    assert {"params", "flops"} <= set(features)
    vector = SPACE.encode_as(m, "path+params+flops")
    assert vector.shape == (86,)
    assert vector[-2] == pytest.approx(SPACE.table.value(6111, "params_mb_cifar10"))
    assert vector[-1] == pytest.approx(SPACE.table.value(6111, "flops_m_cifar10"))
    if "synflow" in features:
        assert SPACE.encode_as(m, "one_hot+synflow")[-1] == pytest.approx(
            np.log1p(SPACE.table.value(6111, "synflow")))


@pytest.mark.parametrize("bad", ["paths", "path+latency", "path+params+params", "", "+params"])
def test_unknown_encodings_name_the_parameter(bad):
    with pytest.raises(ValueError, match="encoding"):
        SPACE.encode_as(SPACE.make(0), bad)


class OnlyEncode(BayesOptSearchSpace):
    """A space that implements only the abstract methods."""

    @overrides
    def save_arch(self, model, file_path): ...

    @overrides
    def load_arch(self, file_path): ...

    @overrides
    def save_model_weights(self, model, file_path): ...

    @overrides
    def load_model_weights(self, model, file_path): ...

    @overrides
    def random_sample(self): ...

    @overrides
    def encode(self, arch):
        return np.array([1.0, 2.0])


def test_a_space_with_only_encode_offers_the_default():
    space = OnlyEncode()
    assert space.encodings() == ["default"]
    np.testing.assert_array_equal(space.encode_as(None), [1.0, 2.0])
    with pytest.raises(ValueError, match="encoding"):
        space.encode_as(None, "path")


def test_cell_stats_summarise_the_live_paths():
    ops = ["nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1"]
    stats = encodings.cell_stats(ops)
    # 4 live paths; convs on 0->3, 0->1->3, 0->2->3, 0->1->2->3: 0, 2, 2, 3
    np.testing.assert_array_equal(stats[:8], [4, 3, 0, 7, 2, 0, 19, 0])
    per_op = dict(zip(encodings.LIVE_OPS, stats[8:12]))
    assert per_op == {"skip_connect": 1, "nor_conv_1x1": 1, "nor_conv_3x3": 4, "avg_pool_3x3": 0}
    assert stats[12] == 1  # the input reaches the output through one skip edge
    np.testing.assert_array_equal(encodings.cell_stats(["none"] * 6), np.zeros(13))


def test_cell_stats_append_after_any_base_and_ignore_dead_edges():
    base = ["nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "none"]
    other = list(base)
    other[1], other[2] = "nor_conv_1x1", "nor_conv_3x3"  # dead edges only
    a, b = model(base), model(other)
    assert "adjacency+cell_stats" in SPACE.encodings()
    vector = SPACE.encode_as(a, "adjacency+cell_stats+params+flops")
    assert vector.shape == (36 + 13 + 2,)
    np.testing.assert_array_equal(vector[36:49], encodings.cell_stats(base))
    np.testing.assert_array_equal(SPACE.encode_as(a, "path+cell_stats"), SPACE.encode_as(b, "path+cell_stats"))
    with pytest.raises(ValueError, match="encoding"):
        SPACE.encode_as(a, "adjacency+cell_stats+cell_stats")


def test_graph_encoding_puts_each_live_edge_s_op_on_a_node_wired_as_the_cell_computes():
    from nas_kernel.toolbox.graph_encoding import split_graphs

    # 0->1 conv3x3, 0->2 none, 1->2 skip, 0->3 avg pool, 1->3 none, 2->3 conv1x1
    ops = ["nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "none", "nor_conv_1x1"]
    graphs = split_graphs(SPACE.encode_as(model(ops), "graph+cell_stats")[None])
    adjacency, nodes, extra = graphs.adjacency[0], graphs.nodes[0], graphs.extra[0]
    assert adjacency.shape == (8, 8) and nodes.shape == (8, 6)
    np.testing.assert_array_equal(extra, encodings.cell_stats(ops))
    feature = {name: i for i, name in enumerate(("input", "output") + encodings.LIVE_OPS)}
    named = {i: [name for name, j in feature.items() if nodes[i, j]] for i in range(8)}
    # node 0 input, node e + 1 edge e, node 7 output; the none edges' nodes are absent
    assert named == {0: ["input"], 1: ["nor_conv_3x3"], 2: [], 3: ["skip_connect"], 4: ["avg_pool_3x3"], 5: [],
                     6: ["nor_conv_1x1"], 7: ["output"]}
    links = {(int(i), int(j)) for i, j in zip(*np.nonzero(adjacency))}
    assert links == {(0, 1), (0, 4), (1, 3), (3, 6), (4, 7), (6, 7)}
    empty = split_graphs(SPACE.encode_as(model(["none"] * 6), "graph")[None])
    assert empty.adjacency.sum() == 0 and empty.nodes[0].sum() == 2  # only input and output remain
