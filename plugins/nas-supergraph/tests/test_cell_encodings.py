"""``darts_cells`` encodings by name: fixed lengths, what each keeps, path counts that match the
cell's graph, and a clear error for an unknown name."""
import numpy as np
import pytest

from nas_supergraph import cell_encodings
from nas_supergraph.search_space import DartsCellSpace


def space(**kw):
    params = dict(in_channels=1, num_classes=4, init_channels=4, n_cells=2, n_nodes=4, seed=2)
    params.update(kw)
    return DartsCellSpace(**params)


def count_paths(nodes, out_nodes):
    """Input-to-output paths counted by brute force, for the check."""
    def to(state):
        return 1 if state < 2 else sum(to(j) for _, j in nodes[state - 2])
    return sum(to(2 + i) for i in range(len(nodes) - out_nodes, len(nodes)))


def test_every_encoding_has_one_length_and_default_is_encode():
    s = space()
    models = [s.random_sample() for _ in range(20)]
    assert s.encodings() == ["default", "adjacency", "path", "graph"]
    for m in models:
        np.testing.assert_array_equal(s.encode_as(m), s.encode(m))
    for name in s.encodings():
        assert len({s.encode_as(m, name).shape for m in models}) == 1
    # 2 cell types x (2 + 3 + 4 + 5) possible edges x 7 ops
    assert s.encode_as(models[0], "adjacency").shape == (2 * 14 * 7,)


def test_path_encoding_counts_every_input_to_output_path():
    s = space()
    for _ in range(20):
        m = s.random_sample()
        genotype = s.desc_of(m).genotype()
        expected = sum(count_paths(genotype[t], s.builder.out_nodes) for t in sorted(genotype))
        assert s.encode_as(m, "path").sum() == expected


def test_a_chain_cell_puts_its_long_path_in_the_overflow_slot():
    chain = [[["sep_conv_3x3", 0]], [["skip_connect", 2]], [["max_pool_3x3", 3]], [["dil_conv_3x3", 4]]]
    choices = space().choices
    vector = cell_encodings.path(chain, choices, n_nodes=4, out_nodes=1)
    slots, size = cell_encodings.path_slots(tuple(choices), 4)
    assert vector.shape == (size,) and vector.sum() == 1
    assert vector[len(slots) + 0] == 1  # input 0, length 4 (one past PATH_MAX_LENGTH)
    short = cell_encodings.path(chain, choices, n_nodes=4, out_nodes=4)
    assert short[slots[(0, ("sep_conv_3x3",))]] == 1
    assert short[slots[(0, ("sep_conv_3x3", "skip_connect", "max_pool_3x3"))]] == 1


def test_adjacency_ignores_the_order_edges_are_listed_in_and_sees_each_op():
    choices = space().choices
    a = [[["sep_conv_3x3", 0], ["skip_connect", 1]], [["max_pool_3x3", 2], ["dil_conv_3x3", 0]]]
    b = [[["skip_connect", 1], ["sep_conv_3x3", 0]], [["dil_conv_3x3", 0], ["max_pool_3x3", 2]]]
    np.testing.assert_array_equal(cell_encodings.adjacency(a, choices, 2), cell_encodings.adjacency(b, choices, 2))
    c = [[["sep_conv_5x5", 0], ["skip_connect", 1]], a[1]]
    assert not np.array_equal(cell_encodings.adjacency(a, choices, 2), cell_encodings.adjacency(c, choices, 2))


def test_encodings_work_after_clear_and_unknown_names_are_refused():
    s = space()
    m = s.random_sample()
    before = s.encode_as(m, "path")
    m.clear()
    np.testing.assert_array_equal(s.encode_as(m, "path"), before)
    with pytest.raises(ValueError, match="encoding"):
        s.encode_as(m, "paths")


def test_graph_encoding_wires_each_edge_s_op_node_as_the_cell_computes():
    from nas_kernel.toolbox.graph_encoding import split_graphs

    choices = space().choices
    # node 0 (state 2) reads both inputs; node 1 (state 3) reads input 0 and node 0
    cell = [[["sep_conv_3x3", 0], ["skip_connect", 1]], [["max_pool_3x3", 0], ["dil_conv_3x3", 2]]]
    other = [[["skip_connect", 0], ["skip_connect", 1]], [["skip_connect", 2]]]  # one slot unused
    g = split_graphs(cell_encodings.graph([cell, other], choices, n_nodes=2, edges_per_node=2,
                                          out_nodes=1)[None])
    adjacency, nodes = g.adjacency[0], g.nodes[0]
    assert adjacency.shape == (14, 14) and nodes.shape == (14, 2 + 2 + len(choices))  # 2 cells x (2 + 4 + 1)
    links = {(int(i), int(j)) for i, j in zip(*np.nonzero(adjacency))}
    # first cell: inputs 0, 1; edge slots 2, 3 (node 0) and 4, 5 (node 1); output 6 (last node only)
    first = {(0, 2), (1, 3), (0, 4), (2, 5), (3, 5), (4, 6), (5, 6)}
    second = {(7, 9), (8, 10), (9, 11), (10, 11), (11, 13)}
    assert links == first | second
    op = {i: choices[int(np.argmax(nodes[i, 4:]))] for i in (2, 3, 4, 5)}
    assert op == {2: "sep_conv_3x3", 3: "skip_connect", 4: "max_pool_3x3", 5: "dil_conv_3x3"}
    assert nodes[:7, 2].all() and not nodes[:7, 3].any() and nodes[7:, 3].sum() == 6  # cell type
    assert not nodes[12].any()  # the unused slot is absent
    s = space()
    m = s.random_sample()
    assert split_graphs(s.encode_as(m, "graph")[None]).adjacency.shape[1] == 2 * (2 + 4 * 2 + 1)
