"""Archai's quick-start tutorial, ported by changing imports only: a user-written CNN search space
(the tutorial's `MyModel` / `CNNSearchSpace`), a user-written partial-training evaluator, the
parameter-count evaluator, and Pareto evolution. Only the data (offline digits instead of a
download) and the tiny budget differ from the tutorial."""
import json
import random

import numpy as np
import torch
from overrides import overrides
from torch import nn

# Archai: from archai.discrete_search.api import ArchaiModel, EvolutionarySearchSpace, BayesOptSearchSpace
from nas_kernel import ArchaiModel, BayesOptSearchSpace, EvolutionarySearchSpace, ModelEvaluator, SearchObjectives
# Archai: from archai.discrete_search.algos import EvolutionParetoSearch
from nas_searchers import EvolutionParetoSearch
# Archai: from archai.discrete_search.evaluators import TorchNumParameters
from nas_evaluators import TorchNumParameters
from nas_datasets import Digits


class MyModel(nn.Module):
    def __init__(self, nb_layers: int = 5, kernel_size: int = 3, hidden_dim: int = 32):
        super().__init__()
        self.nb_layers, self.kernel_size, self.hidden_dim = nb_layers, kernel_size, hidden_dim
        layers = [nn.Conv2d(1, hidden_dim, kernel_size=kernel_size, padding="same"), nn.BatchNorm2d(hidden_dim),
                  nn.ReLU()]
        for _ in range(nb_layers - 1):
            layers += [nn.Conv2d(hidden_dim, hidden_dim, kernel_size=kernel_size, padding="same"),
                       nn.BatchNorm2d(hidden_dim), nn.ReLU()]
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(hidden_dim, 10)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)

    def get_archid(self):
        return f"({self.nb_layers}, {self.kernel_size}, {self.hidden_dim})"


class CNNSearchSpace(EvolutionarySearchSpace, BayesOptSearchSpace):
    def __init__(self, min_layers: int = 1, max_layers: int = 4, kernel_list=(1, 3, 5), hidden_list=(8, 16, 32),
                 seed: int = 1):
        self.min_layers, self.max_layers = min_layers, max_layers
        self.kernel_list, self.hidden_list = kernel_list, hidden_list
        self.rng = random.Random(seed)

    def get_archid(self, model):
        return f"({model.nb_layers}, {model.kernel_size}, {model.hidden_dim})"

    @overrides
    def random_sample(self) -> ArchaiModel:
        model = MyModel(nb_layers=self.rng.randint(self.min_layers, self.max_layers),
                        kernel_size=self.rng.choice(self.kernel_list), hidden_dim=self.rng.choice(self.hidden_list))
        return ArchaiModel(arch=model, archid=self.get_archid(model))

    @overrides
    def save_arch(self, model: ArchaiModel, file: str):
        with open(file, "w") as fp:
            json.dump(json.loads(model.archid.replace("(", "[").replace(")", "]")), fp)

    @overrides
    def load_arch(self, file: str):
        config = json.load(open(file))
        model = MyModel(*config)
        return ArchaiModel(arch=model, archid=self.get_archid(model))

    @overrides
    def save_model_weights(self, model: ArchaiModel, file: str):
        torch.save(model.arch.state_dict(), file)

    @overrides
    def load_model_weights(self, model: ArchaiModel, file: str):
        model.arch.load_state_dict(torch.load(file, weights_only=True))

    @overrides
    def mutate(self, model_1: ArchaiModel) -> ArchaiModel:
        nb_layers, kernel_size, hidden_dim = json.loads(model_1.archid.replace("(", "[").replace(")", "]"))
        if self.rng.random() < 0.5:
            nb_layers = self.rng.randint(self.min_layers, self.max_layers)
        if self.rng.random() < 0.5:
            kernel_size = self.rng.choice(self.kernel_list)
        if self.rng.random() < 0.5:
            hidden_dim = self.rng.choice(self.hidden_list)
        new_model = MyModel(nb_layers, kernel_size, hidden_dim)
        return ArchaiModel(arch=new_model, archid=self.get_archid(new_model))

    @overrides
    def crossover(self, model_list):
        configs = [json.loads(m.archid.replace("(", "[").replace(")", "]")) for m in model_list]
        new_config = [self.rng.choice(values) for values in zip(*configs)]
        new_model = MyModel(*new_config)
        return ArchaiModel(arch=new_model, archid=self.get_archid(new_model))

    @overrides
    def encode(self, model: ArchaiModel) -> np.ndarray:
        return np.array(json.loads(model.archid.replace("(", "[").replace(")", "]")), dtype=float)


class PartialTrainingValAccuracy(ModelEvaluator):
    def __init__(self, dataset, training_epochs: float = 1.0, lr: float = 3e-3):
        self.training_epochs, self.dataset, self.lr = training_epochs, dataset, lr

    @overrides
    def evaluate(self, model, budget=None) -> float:
        torch.manual_seed(0)
        x, y = self.dataset.get_train()
        xv, yv = self.dataset.get_val()
        net = model.arch
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        net.train()
        for _ in range(int(self.training_epochs)):
            for i in range(0, len(x), 64):
                opt.zero_grad()
                nn.functional.cross_entropy(net(x[i:i + 64]), y[i:i + 64]).backward()
                opt.step()
        net.eval()
        with torch.no_grad():
            return float((net(xv).argmax(1) == yv).float().mean())


def test_archai_quickstart_runs_with_imports_changed(tmp_path):
    torch.set_num_threads(1)
    ss = CNNSearchSpace(seed=1)
    m = ss.random_sample()
    assert m.archid.startswith("(")
    search_objectives = SearchObjectives()
    search_objectives.add_objective("Partial training Validation Accuracy (1 epoch)",
                                    PartialTrainingValAccuracy(Digits(seed=1)), higher_is_better=True,
                                    compute_intensive=True)
    search_objectives.add_objective("Number of parameters", TorchNumParameters(), higher_is_better=False,
                                    compute_intensive=False, constraint=(0.0, 20_000))
    algo = EvolutionParetoSearch(ss, search_objectives, output_dir=str(tmp_path), num_iters=2, init_num_models=4,
                                 num_random_mix=2, num_crossovers=1, seed=1)
    algo.progress = False
    search_results = algo.search()
    df = search_results.get_search_state_df()
    assert len(df) >= 4 and df["Number of parameters"].max() <= 20_000
    assert df["Partial training Validation Accuracy (1 epoch)"].max() > 0.3  # chance is 0.1
    assert (tmp_path / "search_state.csv").exists()
    front = search_results.get_pareto_frontier()["models"]
    assert front and all(isinstance(x, ArchaiModel) for x in front)
