"""Archai's search-space tutorial, cell by cell, with only the imports changed: the tutorial's
model, its space and the evolutionary extension, shared by the tests that port it
(``test_archai_tutorial_port``) and run the conformance kit on it (``test_archai_parity``)."""
import json
from random import Random
from typing import List

import numpy as np
import torch
from overrides import overrides
from torch import nn

# Archai: from archai.discrete_search.api import ArchaiModel, DiscreteSearchSpace
from nas_kernel import ArchaiModel, DiscreteSearchSpace
# Archai: from archai.discrete_search.api.search_space import EvolutionarySearchSpace, BayesOptSearchSpace
from nas_kernel.api.search_space import BayesOptSearchSpace, EvolutionarySearchSpace


class MyModel(nn.Module):
    def __init__(self, nb_layers: int = 5, kernel_size: int = 3, hidden_dim: int = 32):
        super().__init__()
        self.nb_layers, self.kernel_size, self.hidden_dim = nb_layers, kernel_size, hidden_dim
        layer_list = []
        for i in range(nb_layers):
            in_ch = 1 if i == 0 else hidden_dim
            layer_list += [nn.Conv2d(in_ch, hidden_dim, kernel_size=kernel_size, padding=(kernel_size - 1) // 2),
                           nn.BatchNorm2d(hidden_dim), nn.ReLU()]
        layer_list += [nn.AdaptiveAvgPool2d(output_size=(1, 1)), nn.Conv2d(hidden_dim, 10, kernel_size=1)]
        self.model = nn.Sequential(*layer_list)

    def forward(self, x):
        return self.model(x).squeeze()

    def get_archid(self):
        return f"({self.nb_layers}, {self.kernel_size}, {self.hidden_dim})"


class CNNSearchSpace(DiscreteSearchSpace):
    def __init__(self, min_layers: int = 1, max_layers: int = 12, kernel_list=(1, 3, 5, 7),
                 hidden_list=(16, 32, 64, 128), seed: int = 1):
        self.min_layers, self.max_layers = min_layers, max_layers
        self.kernel_list, self.hidden_list = kernel_list, hidden_list
        self.rng = Random(seed)

    def get_archid(self, model: MyModel) -> str:
        return f"L={model.nb_layers}, K={model.kernel_size}, H={model.hidden_dim}"

    @overrides
    def random_sample(self) -> ArchaiModel:
        nb_layers = self.rng.randint(self.min_layers, self.max_layers)
        kernel_size = self.rng.choice(self.kernel_list)
        hidden_dim = self.rng.choice(self.hidden_list)
        model = MyModel(nb_layers, kernel_size, hidden_dim)
        return ArchaiModel(arch=model, archid=self.get_archid(model))

    @overrides
    def save_arch(self, model: ArchaiModel, file: str):
        with open(file, "w") as fp:
            json.dump({"nb_layers": model.arch.nb_layers, "kernel_size": model.arch.kernel_size,
                       "hidden_dim": model.arch.hidden_dim}, fp)

    @overrides
    def load_arch(self, file: str):
        config = json.load(open(file))
        model = MyModel(**config)
        return ArchaiModel(arch=model, archid=self.get_archid(model))

    @overrides
    def save_model_weights(self, model: ArchaiModel, file: str):
        state_dict = model.arch.get_state_dict()
        torch.save(state_dict, file)

    @overrides
    def load_model_weights(self, model: ArchaiModel, file: str):
        model.arch.load_state_dict(torch.load(file))


class CNNSearchSpaceExt(CNNSearchSpace, EvolutionarySearchSpace, BayesOptSearchSpace):
    @overrides
    def mutate(self, model_1: ArchaiModel) -> ArchaiModel:
        config = {"nb_layers": model_1.arch.nb_layers, "kernel_size": model_1.arch.kernel_size,
                  "hidden_dim": model_1.arch.hidden_dim}
        if self.rng.random() < 0.2:
            config["nb_layers"] = self.rng.randint(self.min_layers, self.max_layers)
        if self.rng.random() < 0.2:
            config["kernel_size"] = self.rng.choice(self.kernel_list)
        if self.rng.random() < 0.2:
            config["hidden_dim"] = self.rng.choice(self.hidden_list)
        mutated_model = MyModel(**config)
        return ArchaiModel(arch=mutated_model, archid=self.get_archid(mutated_model))

    @overrides
    def crossover(self, model_list: List[ArchaiModel]) -> ArchaiModel:
        new_config = {"nb_layers": self.rng.choice([m.arch.nb_layers for m in model_list]),
                      "kernel_size": self.rng.choice([m.arch.kernel_size for m in model_list]),
                      "hidden_dim": self.rng.choice([m.arch.hidden_dim for m in model_list])}
        crossover_model = MyModel(**new_config)
        return ArchaiModel(arch=crossover_model, archid=self.get_archid(crossover_model))

    @overrides
    def encode(self, model: ArchaiModel) -> np.ndarray:
        return np.array([model.arch.nb_layers, model.arch.kernel_size, model.arch.hidden_dim])
