"""A tiny search space, evaluators and searchers that cost nothing: kernel tests and benchmarks
exercise the loop, the store and the CLI with them, without torch. The space and the random
searcher are the kernel's reference ones (``nas_kernel.testing.reference``) with this suite's
archids and budgets."""
from __future__ import annotations

import json

from overrides import overrides

from nas_kernel import ArchaiModel, AsyncModelEvaluator, ModelEvaluator, hookimpl
from nas_kernel.loop import IterativeSearcher, Proposal
from nas_kernel.testing.reference import IntegerSpace, RandomSampling

SIZE = 10_000


def _model(x: int, parent=None) -> ArchaiModel:
    meta = {} if parent is None else {"parent": parent}
    return ArchaiModel(None, f"x{x}", meta, builder=lambda: {"x": x})


def value_of(model: ArchaiModel) -> int:
    return int(model.archid[1:])


class ToySpace(IntegerSpace):
    """The kernel's reference ``IntegerSpace`` with this suite's archids (``x<n>``), size and step;
    its arch is the dict ``{"x": n}``, saved whole as its weights."""

    prefix = "x"

    def __init__(self, size: int = SIZE, step: int = 5, seed: int = 1) -> None:
        super().__init__(size=size, step=step, seed=seed)

    @overrides
    def model(self, x):
        return _model(x)

    @overrides
    def save_model_weights(self, model, file_path):
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump(model.arch, f)

    @overrides
    def load_model_weights(self, model, file_path):
        with open(file_path, encoding="utf-8") as f:
            model.arch = json.load(f)


class Distance(ModelEvaluator):
    """Squared distance to a target, scaled by the budget: the expensive objective."""

    def __init__(self, target: int = 5000, fail_every: int = 0) -> None:
        self.target = target
        self.fail_every = fail_every
        self.calls = 0

    @overrides
    def evaluate(self, model, budget=None):
        self.calls += 1
        x = value_of(model)
        if self.fail_every and x % self.fail_every == 0:
            raise RuntimeError(f"toy failure on {model.archid}")
        return float((x - self.target) ** 2) / (1.0 if budget is None else float(budget))


class Size(ModelEvaluator):
    """The integer itself: a cheap objective usable as a constraint."""

    def __init__(self) -> None:
        self.calls = 0

    @overrides
    def evaluate(self, model, budget=None):
        self.calls += 1
        return float(value_of(model))


class Noise(ModelEvaluator):
    """A fixed pseudo-random value per archid: a second objective whose Pareto front stays small
    (about log N points), as real accuracy/cost fronts do."""

    @overrides
    def evaluate(self, model, budget=None):
        import zlib

        return zlib.crc32(model.archid.encode()) / 2**32


class AsyncDistance(AsyncModelEvaluator):
    def __init__(self, target: int = 5000) -> None:
        self.inner = Distance(target)
        self.queue = []

    @overrides
    def send(self, model, budget=None):
        self.queue.append((model, budget))

    @overrides
    def fetch_all(self):
        out = [self.inner.evaluate(m, b) for m, b in self.queue]
        self.queue = []
        return out


class ToyRandom(RandomSampling):
    """The kernel's reference random sampling with this suite's budget, refusing an empty one."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 5,
                 samples_per_iter: int = 10, seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters,
                         samples_per_iter=samples_per_iter, seed=seed)
        if samples_per_iter < 1:
            raise ValueError(f"samples_per_iter must be at least 1, got {samples_per_iter}")


class ToyEvolution(IterativeSearcher):
    """Mutates the current front, using self.rng: exercises learn() and searcher columns."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters: int = 5,
                 population: int = 8, seed: int = 1) -> None:
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed)
        if population < 1:
            raise ValueError(f"population must be at least 1, got {population}")
        self.population = population
        self.parents = []

    @overrides
    def propose(self, iteration):
        if not self.parents:
            models = self.sample_candidates(self.search_space.random_sample, self.population)
            return Proposal(models, extra={"parent": [None] * len(models)})
        models = self.sample_candidates(
            lambda: self.search_space.mutate(self.rng.choice(self.parents)), self.population)
        return Proposal(models, extra={"parent": [m.metadata.get("parent") for m in models]})

    @overrides
    def learn(self, iteration, models, results):
        self.parents = self.results.get_pareto_frontier()["models"]

    @overrides
    def reset(self):
        self.parents = []


class SlowDistance(Distance):
    """Distance that sleeps and logs every computation: lets tests kill a run mid-search and
    prove that a resumed run recomputes nothing that was stored."""

    def __init__(self, target: int = 5000, sleep: float = 0.05, log: str = "") -> None:
        super().__init__(target)
        self.sleep = sleep
        self.log = log

    @overrides
    def evaluate(self, model, budget=None):
        import time

        time.sleep(self.sleep)
        value = super().evaluate(model, budget)
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(f"{model.archid}\n")
        return value


# ---- the plugin: this module is registered as is (module-level hookimpls) ----


@hookimpl
def register_search_spaces(register):
    register("toy", ToySpace)


@hookimpl
def register_evaluators(register):
    register("distance", Distance)
    register("size", Size)
    register("noise", Noise)
    register("async_distance", AsyncDistance)
    register("slow_distance", SlowDistance)


@hookimpl
def register_searchers(register):
    register("toy_random", ToyRandom)
    register("toy_evolution", ToyEvolution)
