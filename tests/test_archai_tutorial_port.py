"""Archai's search-space tutorial ported by changing imports, then the same space written the
way much Archai code is written (``@overrides`` and no annotations at all) driving a search
through the discrete API: an objective named ``budget`` (Archai accepts the name) and the
front's weights saved through the space for every front model, cleared ones included, since
this space keeps what it trains by archid."""
import json
from random import Random

import numpy as np
import pandas as pd
import pytest
import torch
from overrides import overrides

# Archai: from archai.discrete_search.api import ArchaiModel
from nas_kernel import ArchaiModel, SearchObjectives
# Archai: from archai.discrete_search.api.search_space import EvolutionarySearchSpace, BayesOptSearchSpace
from nas_kernel.api.search_space import BayesOptSearchSpace, EvolutionarySearchSpace
from nas_kernel.paths import safe_filename
# Archai: from archai.discrete_search.search_spaces.cv import SegmentationDagSearchSpace
from nas_search_spaces import SegmentationDagSearchSpace
# Archai: from archai.discrete_search.evaluators import EvaluationFunction, TorchNumParameters
from nas_evaluators import EvaluationFunction, TorchNumParameters
# Archai: from archai.discrete_search.algos import RandomSearch
from nas_searchers import RandomSearch


from archai_tutorial import CNNSearchSpace, CNNSearchSpaceExt, MyModel


def test_the_search_space_tutorial_runs_with_imports_changed(tmp_path):
    model_obj = MyModel(nb_layers=2, kernel_size=3, hidden_dim=16)
    model = ArchaiModel(arch=model_obj, archid=f"L={model_obj.nb_layers}, K={model_obj.kernel_size}, "
                                              f"H={model_obj.hidden_dim}", metadata={"optional": {"metadata"}})
    assert model.archid == "L=2, K=3, H=16" and model.metadata == {"optional": {"metadata"}}
    ss = CNNSearchSpace(hidden_list=[32, 64, 128])
    m = ss.random_sample()
    ss.save_arch(m, str(tmp_path / "arch.json"))
    assert json.loads((tmp_path / "arch.json").read_text()) == {
        "nb_layers": m.arch.nb_layers, "kernel_size": m.arch.kernel_size, "hidden_dim": m.arch.hidden_dim}
    assert ss.load_arch(str(tmp_path / "arch.json")).archid == m.archid
    with pytest.raises(AttributeError, match="get_state_dict"):  # the tutorial's own slip, as in Archai
        ss.save_model_weights(m, str(tmp_path / "w.pt"))
    ss = CNNSearchSpaceExt(hidden_list=[32, 64, 128])
    m = ss.random_sample()
    assert ss.mutate(m).archid.startswith("L=")
    models = [ss.random_sample() for _ in range(4)]
    child = ss.crossover(models)
    assert child.arch.hidden_dim in {x.arch.hidden_dim for x in models}
    assert ss.encode(m).tolist() == [m.arch.nb_layers, m.arch.kernel_size, m.arch.hidden_dim]
    ss = SegmentationDagSearchSpace(nb_classes=1, img_size=(64, 64), max_layers=3)
    assert isinstance(ss.mutate(ss.random_sample()), ArchaiModel)


# ---- the same space as unannotated Archai code, in a search ------------------------------------
class ArchidCNNSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    """Reads everything from the archid and keeps each sampled model's weights by archid, so it
    saves, mutates and encodes a model whose ``arch`` was cleared."""

    def __init__(self, seed=1):
        self.rng = Random(seed)
        self.weights = {}

    def config(self, model):
        return [int(v.split("=")[1]) for v in model.archid.split(", ")]

    def make(self, nb_layers, kernel_size, hidden_dim):
        net = MyModel(nb_layers, kernel_size, hidden_dim)
        archid = f"L={nb_layers}, K={kernel_size}, H={hidden_dim}"
        self.weights[archid] = net.state_dict()
        return ArchaiModel(arch=net, archid=archid)

    @overrides
    def random_sample(self):
        return self.make(self.rng.randint(1, 2), self.rng.choice([1, 3]), self.rng.choice([4, 8]))

    @overrides
    def save_arch(self, model, file):
        with open(file, "w") as fp:
            json.dump(self.config(model), fp)

    @overrides
    def load_arch(self, file):
        return self.make(*json.load(open(file)))

    @overrides
    def save_model_weights(self, model, file):
        torch.save(self.weights[model.archid], file)

    @overrides
    def load_model_weights(self, model, file):
        model.arch.load_state_dict(torch.load(file, weights_only=True))

    @overrides
    def mutate(self, arch):
        config = self.config(arch)
        config[0] = 3 - config[0]
        return self.make(*config)

    @overrides
    def crossover(self, arch_list):
        return self.make(*[self.rng.choice(values) for values in zip(*[self.config(m) for m in arch_list])])

    @overrides
    def encode(self, arch):
        return np.array(self.config(arch), dtype=float)


def test_an_unannotated_space_searches_with_an_objective_named_budget_and_saves_every_front_model(tmp_path):
    torch.set_num_threads(1)
    space = ArchidCNNSpace(seed=1)
    objectives = SearchObjectives()
    objectives.add_objective("budget", EvaluationFunction(lambda model, budget: float(model.arch.hidden_dim)),
                             higher_is_better=True)
    objectives.add_objective("params", TorchNumParameters(), higher_is_better=False, compute_intensive=False)
    search = RandomSearch(space, objectives, str(tmp_path / "run"), num_iters=2, samples_per_iter=3,
                          clear_evaluated_models=True, seed=1)
    search.progress = False
    results = search.search()
    header = (tmp_path / "run" / "search_state.csv").read_text().splitlines()[0]
    assert header.startswith("archid,budget,params,")
    df = pd.read_csv(tmp_path / "run" / "search_state.csv")
    assert set(df["budget"]) <= {4.0, 8.0} and df["budget"].notna().all()
    front = results.get_pareto_frontier()["models"]
    assert any(m.arch is None for m in front)  # cleared after their iteration
    written = results.save_pareto_frontier_models(str(tmp_path / "front"), save_weights=True)
    for model in front:  # every front model's weights, read back into a rebuilt model
        base = str(tmp_path / "front" / safe_filename(model.archid))  # archids are not used raw as paths
        assert base in written and base + "_weights.pt" in written
        rebuilt = space.load_arch(base)
        space.load_model_weights(rebuilt, base + "_weights.pt")
        assert torch.equal(rebuilt.arch.state_dict()["model.0.weight"], space.weights[model.archid]["model.0.weight"])
