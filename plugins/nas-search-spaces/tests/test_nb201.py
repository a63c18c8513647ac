"""NAS-Bench-201: the shipped table, real networks (parameter counts equal the table's), the
space's moves and the table evaluators."""
import random
import shutil
import time

import numpy as np
import pytest
import torch

from nas_kernel.api import ArchaiModel
from nas_search_spaces.nb201.cells import EDGES, OP_NAMES, format_cell, parse_cell
from nas_search_spaces.nb201.network import Nb201Network, model_from_natsbench_tss
from nas_search_spaces.nb201.ops import OPS
from nas_search_spaces.nb201.search_space import NatsbenchTssSearchSpace
from nas_search_spaces.nb201.table import default_location, load_nb201_table
from nas_search_spaces.nb201.table_evaluator import NatsbenchMetric, Nb201TableEvaluator

TABLE = load_nb201_table()


def test_packaged_table_is_complete():
    assert len(TABLE) == 15625 and len(TABLE.representatives) == 6466
    assert TABLE.value(0, "cifar10_test_acc") == pytest.approx(85.863333)
    assert TABLE.value(0, "params_mb_cifar10") == pytest.approx(0.129306)
    assert int(np.argmax(TABLE.columns["cifar10_test_acc"])) == 6111
    assert all(format_cell(parse_cell(s)) == s for s in TABLE.arch_str[:500])
    assert {op for s in TABLE.arch_str[:200] for op in parse_cell(s)} == set(OP_NAMES) == set(OPS)


def test_table_is_cached_and_another_copy_can_be_given(tmp_path):
    start = time.perf_counter()
    assert load_nb201_table() is TABLE
    assert time.perf_counter() - start < 0.05
    copy = tmp_path / "nb201.csv.gz"
    shutil.copy(default_location(), copy)
    other = load_nb201_table(str(copy))
    assert other is not TABLE and other.arch_str == TABLE.arch_str
    with pytest.raises(FileNotFoundError, match="natsbench_location"):
        NatsbenchTssSearchSpace(natsbench_location=str(tmp_path / "missing.csv"))


def test_network_parameters_match_the_table_for_200_indices():
    indices = random.Random(0).sample(range(len(TABLE)), 200)
    for index in indices:
        with torch.device("meta"):  # structure only: no weight initialisation, no forward pass
            net = Nb201Network(TABLE.arch_str[index], C=16, N=5, num_classes=10)
        params = sum(p.numel() for p in net.parameters()) / 1e6
        assert params == pytest.approx(TABLE.value(index, "params_mb_cifar10"), abs=1e-6), index


def test_network_multiply_adds_match_the_tables_flops_for_20_indices():
    """The table's ``flops_m_*`` are multiply-adds in millions: torch's counter (2 FLOPs per
    multiply-add, the ``macs`` evaluator's) on the project's build gives them to rounding."""
    from torch.utils.flop_counter import FlopCounterMode

    for index in random.Random(1).sample(range(len(TABLE)), 20):
        net = Nb201Network(TABLE.arch_str[index], C=16, N=5, num_classes=10).eval()
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            net(torch.zeros(1, 3, 32, 32))
        macs = counter.get_total_flops() / 2 / 1e6
        assert macs == pytest.approx(TABLE.value(index, "flops_m_cifar10"), abs=1e-4), index


def test_model_from_index_runs():
    net = model_from_natsbench_tss(1, dataset="cifar100", C=4, N=1)
    assert net(torch.randn(2, 3, 16, 16)).shape == (2, 100)
    with pytest.raises(ValueError, match="index"):
        model_from_natsbench_tss(15625)


def test_archid_round_trips_and_arch_is_lazy():
    space = NatsbenchTssSearchSpace(seed=0)
    model = space.random_sample()
    assert not model.is_built
    index = space.index(model)
    assert model.archid == f"nb201-{index}"
    assert space.cell_string(model) == TABLE.arch_str[index]
    assert space.index(ArchaiModel(archid=TABLE.arch_str[index])) == index  # a cell string works too
    assert model.arch.arch_str == TABLE.arch_str[index]


def one_edge_moves(space, model):
    """Indices of every cell one edge away from ``model``."""
    ops = space.ops(model)
    return {TABLE.index_of[format_cell(ops[:e] + [op] + ops[e + 1:])]
            for e in range(len(EDGES)) for op in OP_NAMES if op != ops[e]}


def test_literal_mutate_changes_one_edge():
    space = NatsbenchTssSearchSpace(seed=1, canonical_moves=False)
    for _ in range(30):
        parent = space.random_sample()
        child = space.mutate(parent)
        diff = [e for e, (a, b) in enumerate(zip(space.ops(parent), space.ops(child))) if a != b]
        assert len(diff) == 1 and child.metadata["parent"] == parent.archid


def test_canonical_mutate_gives_the_representative_of_another_function():
    space = NatsbenchTssSearchSpace(seed=1)
    for _ in range(50):
        parent = space.random_sample()
        child = space.index(space.mutate(parent))
        assert TABLE.iso_group[child] == child  # the function's representative
        assert child in {int(TABLE.iso_group[i]) for i in one_edge_moves(space, parent)}
        assert TABLE.iso_group[child] != TABLE.iso_group[space.index(parent)]  # never a no-op


@pytest.mark.parametrize("canonical", [True, False])
def test_neighbours_enumerate_every_distinct_move(canonical):
    space = NatsbenchTssSearchSpace(seed=5, canonical_moves=canonical)
    for _ in range(20):
        parent = space.random_sample()
        found = [space.index(m) for m in space.neighbours(parent)]
        moves = one_edge_moves(space, parent)
        if canonical:
            group = TABLE.iso_group[space.index(parent)]
            moves = {int(TABLE.iso_group[i]) for i in moves} - {int(group)}
        assert len(found) == len(set(found)) and set(found) == moves
    # what mutate draws, neighbours lists
    parent = space.random_sample()
    drawn = {space.index(space.mutate(parent)) for _ in range(400)}
    assert drawn == {space.index(m) for m in space.neighbours(parent)}


def test_walks_over_functions_meet_fewer_local_optima():
    """The figure the docs give for ``canonical_moves``: 7 local optima of the 12-epoch CIFAR-10
    validation accuracy among the 6,466 functions, 16 among the 15,625 literal cells."""
    column = "cifar10_valid_acc_12ep"
    counts = {}
    for canonical, pool in ((True, TABLE.representatives), (False, range(len(TABLE)))):
        space = NatsbenchTssSearchSpace(canonical_moves=canonical)
        counts[canonical] = sum(
            all(TABLE.value(space.index(m), column) < TABLE.value(i, column) for m in space.neighbours(space.make(i)))
            for i in pool)
    assert counts == {True: 7, False: 16}


def test_deduplicate_isomorphic_stays_on_representatives():
    space = NatsbenchTssSearchSpace(seed=2, deduplicate_isomorphic=True)
    models = [space.random_sample() for _ in range(20)]
    models += [space.mutate(m) for m in models] + [space.crossover(models[:2])]
    for m in models:
        index = space.index(m)
        assert TABLE.iso_group[index] == index
    for m in models[:20]:
        assert TABLE.iso_group[space.index(space.mutate(m))] != TABLE.iso_group[space.index(m)]


def test_crossover_takes_each_edge_from_a_parent_and_encode_is_one_hot():
    space = NatsbenchTssSearchSpace(seed=3, canonical_moves=False)
    a, b = space.random_sample(), space.random_sample()
    child = space.crossover([a, b])
    for e in range(len(EDGES)):
        assert space.ops(child)[e] in (space.ops(a)[e], space.ops(b)[e])
    canonical = NatsbenchTssSearchSpace(seed=3)
    canonical.rng.setstate(space.rng.getstate())
    mixed = space.crossover([a, b])
    assert space.index(canonical.crossover([a, b])) == TABLE.iso_group[space.index(mixed)]
    vector = space.encode(child)
    assert vector.shape == (30,) and vector.sum() == 6


def test_bad_parameters():
    with pytest.raises(ValueError, match="base_dataset"):
        NatsbenchTssSearchSpace(base_dataset="mnist")
    with pytest.raises(ValueError, match="C"):
        NatsbenchTssSearchSpace(C=0)


def test_table_evaluator_returns_table_values_and_charges_time():
    space = NatsbenchTssSearchSpace(seed=4)
    evaluator = Nb201TableEvaluator()
    models = [space.random_sample() for _ in range(5)]
    for m in models:
        assert evaluator.evaluate(m) == TABLE.value(space.index(m), "cifar10_valid_acc_12ep")
        assert m.metadata["nb201_train_seconds"] == 120.0
        assert not m.is_built  # a lookup never builds the network
    assert evaluator.simulated_seconds == 600.0 and evaluator.num_queries == 5
    evaluator.reset_clock()
    assert evaluator.simulated_seconds == 0.0
    m = models[0]
    idx = space.index(m)
    assert Nb201TableEvaluator("test_acc", dataset="imagenet16").evaluate(m) == TABLE.value(idx, "imagenet16_test_acc")
    assert Nb201TableEvaluator("lat_ms_pixel3").evaluate(m) == TABLE.value(idx, "lat_ms_pixel3")
    assert Nb201TableEvaluator("params_mb", dataset="cifar100", seconds_per_query=1.5).seconds_per_query == 1.5
    assert Nb201TableEvaluator("valid_acc_12ep", dataset="cifar100").seconds_per_query == 240.0
    with pytest.raises(ValueError, match="metric"):
        Nb201TableEvaluator("accuracy")
    with pytest.raises(ValueError, match="metric"):
        Nb201TableEvaluator("cifar100_test_acc", dataset="cifar10")
    with pytest.raises(ValueError, match="seconds_per_query"):
        Nb201TableEvaluator(seconds_per_query=-1)
    with pytest.raises(ValueError, match="archid"):
        evaluator.evaluate(ArchaiModel(archid="L=3,K=5,H=32"))


def test_natsbench_metric_archai_names():
    space = NatsbenchTssSearchSpace(base_dataset="ImageNet16-120", seed=5)
    m = space.random_sample()
    idx = space.index(m)
    assert NatsbenchMetric(space, "test-accuracy").evaluate(m) == TABLE.value(idx, "imagenet16_test_acc")
    pairs = [("test-accuracy", "imagenet16_test_acc_12ep"), ("valid-accuracy", "imagenet16_valid_acc_12ep")]
    for name, column in pairs:
        assert NatsbenchMetric(space, name, epochs=12).evaluate(m) == TABLE.value(idx, column)
    assert NatsbenchMetric(space, "flops").evaluate(m) == TABLE.value(idx, "flops_m_imagenet16")
    with pytest.raises(ValueError, match="epochs"):
        NatsbenchMetric(space, "valid-accuracy", epochs=200)
    metric = NatsbenchMetric(space, "params", raise_not_found=False)
    assert metric.evaluate(ArchaiModel(archid="nope")) is None
