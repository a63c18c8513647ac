"""The kernel-facing components: the ``darts_cells`` space (Archai's DiscreteSearchSpace
contract), the ``final_training`` evaluator and the ``darts`` / ``gdas`` searchers on the
kernel loop (store, exports, resume)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from nas_kernel import ArchaiModel, SearchObjectives, SearchResults
from nas_supergraph.model_desc import ModelDesc
from nas_supergraph.final_training import FinalTraining
from nas_supergraph.search_space import DartsCellSpace
from nas_supergraph.one_shot import DartsSearcher, GdasSearcher, load_final_desc



def space(seed=1, **kw):
    params = dict(in_channels=1, num_classes=4, init_channels=4, n_cells=2, n_nodes=2, seed=seed)
    params.update(kw)
    return DartsCellSpace(**params)


def test_random_sample_is_lazy_seeded_and_has_a_stable_archid():
    s1, s2 = space(seed=5), space(seed=5)
    a, b = [s1.random_sample() for _ in range(4)], [s2.random_sample() for _ in range(4)]
    assert [m.archid for m in a] == [m.archid for m in b]
    assert not a[0].is_built  # nothing is built until the loop keeps the candidate
    assert a[0].archid == a[0].arch.desc.archid()
    assert a[0].arch(torch.randn(2, 1, 8, 8)).shape == (2, 4)


def test_save_load_arch_round_trip_works_after_clear(tmp_path):
    s = space()
    model = s.random_sample()
    archid = model.archid
    model.clear()
    path = str(tmp_path / "arch.yaml")
    s.save_arch(model, path)
    fresh = space(seed=99)  # another process would start from an empty space
    loaded = fresh.load_arch(path)
    assert loaded.archid == archid
    assert ModelDesc.load(path).archid() == archid


def test_save_load_weights_round_trip(tmp_path):
    s = space()
    model = s.random_sample()
    path = str(tmp_path / "w.pt")
    s.save_model_weights(model, path)
    torch.manual_seed(123)  # a differently initialised copy
    other = s.model_from_desc(s.desc_of(model))
    s.load_model_weights(other, path)
    for (k, v), (k2, v2) in zip(model.arch.state_dict().items(), other.arch.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)


def test_mutate_crossover_encode_work_from_archids_and_leave_parents_alone():
    s = space()
    parents = [s.random_sample(), s.random_sample()]
    before = [p.archid for p in parents]
    genotypes = [s.desc_of(p).genotype() for p in parents]
    for p in parents:
        p.clear()
    children = [s.mutate(parents[0]) for _ in range(5)]
    assert any(c.archid != before[0] for c in children)
    child = s.crossover(parents)
    assert isinstance(child, ArchaiModel)
    assert [p.archid for p in parents] == before
    assert [s.desc_of(p).genotype() for p in parents] == genotypes
    codes = [s.encode(m) for m in parents + children + [child]]
    assert len({c.shape for c in codes}) == 1 and codes[0].ndim == 1
    assert not np.array_equal(codes[0], codes[1])


def test_space_rejects_bad_params():
    with pytest.raises(ValueError, match="ops"):
        space(ops=["none"])
    with pytest.raises(ValueError, match="edges_per_node"):
        space(edges_per_node=0)
    with pytest.raises(ValueError, match="init_channels"):
        space(init_channels=0)
    with pytest.raises(ValueError, match="not made by this search space"):
        space().save_arch(ArchaiModel(None, "darts-unknown"), "/nonexistent")


def test_final_training_evaluator_trains_and_scales_epochs_with_budget(tiny_data):
    data = tiny_data()
    s = space()
    model = s.random_sample()
    evaluator = FinalTraining(dataset=data, epochs=2, batch_size=16)
    acc = evaluator.evaluate(model)
    assert 0.0 <= acc <= 1.0 and model.metadata["epochs"] == 2
    evaluator.evaluate(model, budget=0.5)
    assert model.metadata["epochs"] == 1
    wider = FinalTraining(dataset=data, epochs=1, init_channels=6, n_cells=3)
    assert wider.final_desc(model).cell_descs[0].nodes[0].conv_params.ch_out == 6
    with pytest.raises(ValueError, match="classes"):
        FinalTraining(dataset=data, epochs=1).evaluate(space(num_classes=10).random_sample())
    with pytest.raises(ValueError, match="num_threads"):
        FinalTraining(num_threads=0)


def objectives(data):
    so = SearchObjectives()
    so.add_objective("val_acc", FinalTraining(dataset=data, epochs=1, batch_size=16), higher_is_better=True)
    return so


@pytest.mark.parametrize("cls", [DartsSearcher, GdasSearcher])
def test_one_shot_searcher_on_the_kernel_loop(tmp_path, cls, tiny_data):
    data = tiny_data()
    s = space()
    out = str(tmp_path / "run")
    searcher = cls(s, objectives(data), out, dataset=data, epochs=1, batch_size=16, seed=3)
    searcher.progress = False
    results = searcher.search()
    assert isinstance(results, SearchResults)
    front = results.get_pareto_frontier()
    assert len(front["models"]) == 1
    desc = load_final_desc(out)
    assert front["models"][0].archid == desc.archid()
    assert desc.params["algorithm"] == cls.algorithm and "alphas" in desc.params
    assert 0.0 <= front["evaluation_results"]["val_acc"][0] <= 1.0
    for name in ("results.db", "search_state.csv", "pareto.json", "pareto_models", "supergraph"):
        assert os.path.exists(os.path.join(out, name)), name
    # the saved Pareto arch is the searched desc, loadable by the space
    saved = os.path.join(out, "pareto_models", desc.archid())
    assert space().load_arch(saved).archid == desc.archid()


def test_searcher_resume_reads_the_finished_search_back(tmp_path, tiny_data):
    data = tiny_data()
    out = str(tmp_path / "run")
    first = DartsSearcher(space(), objectives(data), out, dataset=data, epochs=1, batch_size=16)
    first.progress = False
    value = first.search().get_pareto_frontier()["evaluation_results"]["val_acc"][0]
    stamp = os.path.getmtime(os.path.join(out, "supergraph", "search", "final_model_desc.yaml"))
    again = DartsSearcher(space(), objectives(data), out, dataset=data, epochs=1, batch_size=16)
    again.progress, again.resume = False, True
    assert again.search().get_pareto_frontier()["evaluation_results"]["val_acc"][0] == value
    assert os.path.getmtime(os.path.join(out, "supergraph", "search", "final_model_desc.yaml")) == stamp


def test_searcher_checks_its_inputs(tmp_path, tiny_data):
    data = tiny_data()
    with pytest.raises(ValueError, match="epochs"):
        DartsSearcher(space(), objectives(data), str(tmp_path), epochs=0)

    class NotACellSpace:
        pass

    with pytest.raises(ValueError, match="search_space"):
        DartsSearcher(NotACellSpace(), objectives(data), str(tmp_path))
    mismatch = DartsSearcher(space(num_classes=10), objectives(data), str(tmp_path / "x"), dataset=data)
    mismatch.progress = False
    with pytest.raises(ValueError, match="classes"):
        mismatch.search()
