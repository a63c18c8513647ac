"""The components of the real ``nas search`` runs the dashboard tests read, registered by this
test plugin instead of other plugins, so the tests need only the kernel and nas-dashboard:

- ``grid``: the kernel's reference ``IntegerSpace`` over a small grid of (layers, kernel, hidden)
  stand-ins, archids ``L=3,K=5,H=32``, which a model page describes;
- ``toy_training``: a validation accuracy that rises with the model's size, plus the reference
  ``ArchidScore`` as noise, recording ``epochs_trained``; ``delay`` seconds of sleep per model let
  a test watch a running search;
- ``toy_params``: a parameter count of the grid's architecture (conflicts with the accuracy, so the
  Pareto front holds several models);
- ``kernel_cost``: layers x kernel^2, refused on purpose for kernel 7 (failed evaluations);
- ``front_evolution``: mutations of the current Pareto front, on the kernel's loop, recording
  each child's parent.

The ``nas`` subprocesses load it through ``nas_env``; the in-process dashboard builds the run's
space through ``manager``."""
from __future__ import annotations

import math
import re
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

from overrides import overrides

from nas_kernel import ModelEvaluator, hookimpl
from nas_kernel.api import ArchaiModel
from nas_kernel.loop import IterativeSearcher, Proposal
from nas_kernel.testing.reference import ArchidScore, IntegerSpace
from nas_kernel.testing.plugin_site import plugin_env

HERE = Path(__file__).resolve().parent
DIST = "nas-dashboard-test-search"
ARCHID = re.compile(r"L=(\d+),K=(\d+),H=(\d+)")


class GridSpace(IntegerSpace):
    """``max_layers`` x ``kernels`` x ``hidden`` architectures, the integer ``x`` of the reference
    space read as (layers, kernel, hidden); a mutation moves one of the three by one step."""

    def __init__(self, max_layers: int = 4, kernels: Sequence[int] = (1, 3, 5, 7),
                 hidden: Sequence[int] = (8, 16, 32, 64), seed: int = 1) -> None:
        self.kernels, self.hidden = [int(k) for k in kernels], [int(h) for h in hidden]
        self.max_layers = int(max_layers)
        super().__init__(size=self.max_layers * len(self.kernels) * len(self.hidden), step=1, seed=seed)

    def coordinates(self, x: int):
        """(layers, kernel, hidden) of the integer ``x``."""
        per_layer = len(self.kernels) * len(self.hidden)
        return (x // per_layer + 1, self.kernels[(x // len(self.hidden)) % len(self.kernels)],
                self.hidden[x % len(self.hidden)])

    def index(self, layers: int, kernel: int, hidden: int) -> int:
        return ((layers - 1) * len(self.kernels) + self.kernels.index(kernel)) * len(self.hidden) + \
            self.hidden.index(hidden)

    @overrides
    def model(self, x: int):
        layers, kernel, hidden = self.coordinates(x)
        return ArchaiModel(None, f"L={layers},K={kernel},H={hidden}",
                           builder=lambda: {"value": x, "weights": [0.0, 0.0]})

    @overrides
    def value_of(self, model: ArchaiModel) -> int:
        match = ARCHID.fullmatch(model.archid)
        layers, kernel, hidden = (int(g) for g in match.groups()) if match else (0, 0, 0)
        if not (1 <= layers <= self.max_layers and kernel in self.kernels and hidden in self.hidden):
            raise ValueError(f"archid {model.archid!r} is not a GridSpace archid ('L=<n>,K=<n>,H=<n>' in the grid)")
        return self.index(layers, kernel, hidden)

    @overrides
    def mutate(self, arch):
        coords = list(self.coordinates(self.value_of(arch)))
        choices = [list(range(1, self.max_layers + 1)), self.kernels, self.hidden]
        which = self.rng.randrange(3)
        position = choices[which].index(coords[which]) + self.rng.choice((-1, 1))
        coords[which] = choices[which][min(len(choices[which]) - 1, max(0, position))]
        child = self.model(self.index(*coords))
        child.metadata["parent"] = arch.archid
        return child

    def describe(self, model: ArchaiModel) -> dict:
        layers, kernel, hidden = self.coordinates(self.value_of(model))
        return {"nb_layers": layers, "kernel_size": kernel, "hidden_dim": hidden}


def grid_of(arch: ArchaiModel):
    """(layers, kernel, hidden) of a grid archid."""
    return tuple(int(g) for g in ARCHID.fullmatch(arch.archid).groups())


def param_count(layers: int, kernel: int, hidden: int) -> int:
    """Weights and biases of ``layers`` square convolutions on one input channel and a 10-class head."""
    first = kernel * kernel * hidden + hidden
    rest = (layers - 1) * (hidden * kernel * kernel * hidden + hidden)
    return first + rest + hidden * 10 + 10


class ToyParams(ModelEvaluator):
    """The parameter count of a grid architecture."""

    @overrides
    def evaluate(self, arch, budget=None):
        return float(param_count(*grid_of(arch)))


class ToyTraining(ModelEvaluator):
    """A validation accuracy in [0.55, 0.99): larger models score higher, the reference archid
    score adds noise. Sleeps ``delay`` seconds per model; records ``epochs_trained``."""

    def __init__(self, epochs: int = 1, delay: float = 0.0) -> None:
        self.epochs, self.delay = int(epochs), float(delay)

    @overrides
    def evaluate(self, arch, budget=None):
        if self.delay:
            time.sleep(self.delay)
        arch.metadata["epochs_trained"] = self.epochs
        size = 1 - math.exp(-param_count(*grid_of(arch)) / 4000)
        return 0.55 + 0.4 * size + 0.04 * ArchidScore().evaluate(arch)


class KernelCost(ModelEvaluator):
    """layers x kernel^2 of a grid archid; kernel 7 is refused on purpose."""

    @overrides
    def evaluate(self, arch, budget=None):
        layers, kernel, _ = grid_of(arch)
        if kernel == 7:
            raise ValueError(f"kernel_cost refuses kernel 7 ({arch.archid})")
        return float(layers * kernel ** 2)


class FrontEvolution(IterativeSearcher):
    """``init_num_models`` random models, then in each iteration up to ``max_children`` unseen
    mutations of the current Pareto front's models (in a random order), each recorded with its
    parent, plus ``num_random_mix`` random ones."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 10, init_num_models: int = 6,
                 max_children: int = 6, num_random_mix: int = 1, seed: int = 1,
                 clear_evaluated_models: bool = True, save_pareto_model_weights: bool = False) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed,
                         clear_evaluated_models=clear_evaluated_models,
                         save_pareto_model_weights=save_pareto_model_weights)
        self.init_num_models, self.max_children, self.num_random_mix = init_num_models, max_children, num_random_mix

    @overrides
    def propose(self, iteration):
        if iteration == 1:
            models = self.sample_candidates(self.search_space.random_sample, self.init_num_models)
            return Proposal(models, extra={"parent": [None] * len(models)})
        parents = list(self.results.get_pareto_frontier()["models"])
        self.rng.shuffle(parents)
        children: List[ArchaiModel] = []
        parent_ids: List[Optional[str]] = []
        for parent in parents:
            if len(children) >= self.max_children:
                break
            for child in self.sample_candidates(lambda: self.search_space.mutate(parent), 1, patience=5):
                if all(c.archid != child.archid for c in children):
                    children.append(child)
                    parent_ids.append(parent.archid)
        for model in self.sample_candidates(self.search_space.random_sample, self.num_random_mix):
            if all(c.archid != model.archid for c in children):
                children.append(model)
                parent_ids.append(None)
        return Proposal(children, extra={"parent": parent_ids})


@hookimpl
def register_search_spaces(register):
    register("grid", GridSpace)


@hookimpl
def register_evaluators(register):
    register("toy_training", ToyTraining)
    register("toy_params", ToyParams)
    register("kernel_cost", KernelCost)


@hookimpl
def register_searchers(register):
    register("front_evolution", FrontEvolution)


def manager():
    """A plugin manager of nas-dashboard and this module only."""
    from nas_kernel.plugins import make_plugin_manager

    pm = make_plugin_manager(only=["nas-dashboard"])
    pm.register(sys.modules[__name__], name=DIST)
    return pm


def nas_env(root: Path) -> dict:
    """The environment of a ``nas`` subprocess loading nas-dashboard and this module only."""
    return plugin_env(root, DIST, "search_plugin", HERE, ["nas-dashboard"])
