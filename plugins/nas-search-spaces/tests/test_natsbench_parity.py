"""NATS-Bench TSS as Archai code uses it: ``OPS``, ``model_from_natsbench_tss`` on the space,
``natsbench_location`` naming the official directory, and ``mutate`` as the one-edit neighbour."""
from __future__ import annotations

import bz2
import collections
import os
import pickle
import random

import numpy as np
import pytest

from nas_search_spaces.nb201.cells import format_cell, one_edit_neighbours
from nas_search_spaces.nb201.network import model_from_natsbench_tss
from nas_search_spaces.nb201.search_space import NatsbenchTssSearchSpace
from nas_search_spaces.nb201.table import load_nb201_table
from nas_search_spaces.nb201.table_evaluator import NatsbenchMetric

ARCHAI_OPS = ["none", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "skip_connect"]


def test_ops_and_model_from_natsbench_tss_as_archai_has_them():
    space = NatsbenchTssSearchSpace(base_dataset="cifar100", seed=1, C=4, N=1)
    assert NatsbenchTssSearchSpace.OPS == ARCHAI_OPS
    net = space.model_from_natsbench_tss(11)
    reference = model_from_natsbench_tss(11, dataset="cifar100", C=4, N=1)
    assert [tuple(p.shape) for p in net.parameters()] == [tuple(p.shape) for p in reference.parameters()]
    assert net.classifier.out_features == 100
    with pytest.raises(ValueError, match="natsbench_id"):
        space.model_from_natsbench_tss(15625)


# ---- the official directory format -----------------------------------------------------------------
def _result(dataset, seed, epochs, evals, params, flop):
    """One (dataset, seed) record as NATS-Bench stores it (numpy scalars, an OrderedDict)."""
    acc = collections.OrderedDict()
    for name, values in evals.items():
        for epoch, value in enumerate(values):
            acc[f"{name}@{epochs - len(values) + epoch}"] = np.float64(value)
    return {"name": dataset, "seed": f"{seed:04d}", "epochs": epochs, "params": np.float64(params), "flop": flop,
            "eval_names": list(evals), "eval_acc1es": acc, "train_acc1es": {0: 10.0}, "net_state_dict": None}


def _arch_record(index, arch_str):
    short = {
        ("cifar10-valid", 777): _result("cifar10-valid", 777, 12, {"x-valid": [60.0, 62.0], "ori-test": [61.0]}, 0.1, 15.6),
        ("cifar10-valid", 111): _result("cifar10-valid", 111, 12, {"x-valid": [63.0, 64.0]}, 0.1, 15.6),
        ("cifar10", 111): _result("cifar10", 111, 12, {"ori-test": [69.5]}, 0.1, 15.6),
        ("cifar100", 111): _result("cifar100", 111, 12, {"x-valid": [31.8], "x-test": [31.2], "ori-test": [31.5]},
                                   0.2, 15.7),
    }
    full = {(ds, seed): _result(ds, seed, 200, {"ori-test": [80.0 + seed / 1000], "x-test": [50.0 + seed / 1000]},
                                0.1, 15.6)
            for ds in ("cifar10", "cifar100") for seed in (777, 888, 999)}
    return {hp: {"arch_index": index, "arch_str": arch_str, "all_results": results, "clear_net_done": True}
            for hp, results in (("12", short), ("200", full))}


def _write(path, obj):
    with open(path, "wb") as f:
        f.write(bz2.compress(pickle.dumps(obj, protocol=4)))


@pytest.fixture(scope="module")
def natsbench_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("nats") / "NATS-tss-v1_0-3ffb9-simple"
    root.mkdir()
    archs = load_nb201_table().arch_str
    _write(root / "meta.pickle.pbz2", {"meta_archs": list(archs), "total_archs": len(archs), "arch2infos": None,
                                       "evaluated_indexes": set()})
    for index in (0, 11):
        _write(root / f"{index:06d}.pickle.pbz2", _arch_record(index, archs[index]))
    return root


def test_natsbench_location_reads_the_official_directory(natsbench_dir):
    for location in (natsbench_dir, natsbench_dir.parent):  # the directory itself, or the folder holding it
        space = NatsbenchTssSearchSpace(natsbench_location=str(location), base_dataset="cifar10")
        table = space.table
        assert len(table) == 15625 and table.arch_str == load_nb201_table().arch_str
        assert np.array_equal(table.iso_group, load_nb201_table().iso_group)
    model = space.make(11)
    assert NatsbenchMetric(space, "test-accuracy").evaluate(model) == pytest.approx(80.888)  # seeds averaged
    assert NatsbenchMetric(space, "valid-accuracy", epochs=12).evaluate(model) == pytest.approx(63.0)
    assert table.value(11, "cifar10_test_acc_12ep") == pytest.approx(69.5)
    assert table.value(11, "cifar100_test_acc") == pytest.approx(50.888)  # x-test, as the shipped table
    assert table.value(0, "params_mb_cifar100") == pytest.approx(0.2)
    with pytest.raises(ValueError, match="no file for architecture 5"):
        NatsbenchMetric(space, "test-accuracy").evaluate(space.make(5))


def test_a_crafted_pickle_in_the_directory_is_refused(tmp_path, natsbench_dir):
    root = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    root.mkdir()
    os.symlink(natsbench_dir / "meta.pickle.pbz2", root / "meta.pickle.pbz2")

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    _write(root / "000011.pickle.pbz2", {"12": Payload()})
    space = NatsbenchTssSearchSpace(natsbench_location=str(root))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        space.table.value(11, "cifar10_test_acc")
    assert not (tmp_path / "pwned").exists()


def test_a_location_that_is_neither_is_one_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="without meta.pickle.pbz2; expected the NATS-Bench topology directory"):
        NatsbenchTssSearchSpace(natsbench_location=str(tmp_path / "empty"))
    (tmp_path / "junk.csv").write_bytes(b"\x00\xff garbage")
    with pytest.raises(ValueError, match="not a NAS-Bench-201 table .* and not the NATS-Bench topology directory"):
        NatsbenchTssSearchSpace(natsbench_location=str(tmp_path / "junk.csv"))


# ---- mutate is the one-edit neighbour ----------------------------------------------------------------
def test_literal_moves_are_archais_mutate_exactly():
    space = NatsbenchTssSearchSpace(seed=4, canonical_moves=False)
    table = space.table
    mirror = random.Random(4)
    model = space.random_sample()
    mirror.randrange(len(table))  # the draw random_sample made
    for _ in range(30):
        child = space.mutate(model)
        parent_ops = space.ops(model)
        # Archai's rule: all one-edit neighbour strings, edge by edge, ops in OPS order; one choice
        expected = table.index_of[format_cell(mirror.choice(one_edit_neighbours(parent_ops, ARCHAI_OPS)))]
        assert space.index(child) == expected and child.metadata["parent"] == model.archid
        assert sum(a != b for a, b in zip(parent_ops, space.ops(child))) == 1
        model = child


def test_a_canonical_child_computes_a_one_edit_neighbours_function():
    space = NatsbenchTssSearchSpace(seed=9)  # canonical_moves is the default
    table = space.table
    model = space.random_sample()
    for _ in range(60):
        child = space.mutate(model)
        parent_ops = space.ops(model)
        functions = {int(table.iso_group[table.index_of[format_cell(ops)]]) for ops in one_edit_neighbours(parent_ops)}
        own = int(table.iso_group[space.index(model)])
        assert int(table.iso_group[space.index(child)]) in functions - {own}
        assert space.index(child) == int(table.iso_group[space.index(child)])  # the function's representative
        model = child
