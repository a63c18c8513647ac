"""The conformance kit checks itself: every check passes on a good component and fails, with a
message naming the object, on a fake broken on purpose for exactly that check (sklearn's pattern).
"""
import json
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from overrides import overrides

from nas_kernel import (ArchaiModel, AsyncModelEvaluator, DiscreteSearchSpace, MeanVar, ModelEvaluator, Predictor,
                        SearchObjectives, SearchResults, Searcher)
from nas_kernel import hookimpl
from nas_kernel import testing as kit
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.plugins_in_use import using_plugins
from nas_kernel.testing import CheckFailed
from nas_kernel.testing.reference import ArchidScore, Glyphs, IntegerSpace, NeighbourMean
from test_dataset_kit import BROKEN_PROVIDERS
from test_tracking import BROKEN_TRACKERS
from toy import ToyRandom

# ---- good components ---------------------------------------------------------------------------


class LinearPredictor(Predictor):
    """Least squares with a seeded bootstrap for the variance: good on every predictor check."""

    def __init__(self, seed: int = 0, n_boot: int = 4) -> None:
        self.seed, self.n_boot = seed, n_boot
        self.rng = np.random.default_rng(seed)

    @overrides
    def fit(self, encoded_archs, y):
        x = np.asarray(encoded_archs, float)
        y = np.asarray(y, float)
        y = y[:, None] if y.ndim == 1 else y
        self.coefs = []
        for _ in range(self.n_boot):
            rows = self.rng.integers(0, len(x), len(x))
            self.coefs.append(np.linalg.lstsq(x[rows], y[rows], rcond=None)[0])

    @overrides
    def predict(self, encoded_archs):
        preds = np.stack([np.asarray(encoded_archs, float) @ c for c in self.coefs])
        return MeanVar(preds.mean(0), preds.var(0))


def make_random_searcher(output_dir, seed=1):
    objectives = SearchObjectives()
    objectives.add_objective("score", ArchidScore(), higher_is_better=True)
    return ToyRandom(IntegerSpace(seed=seed), objectives, output_dir, num_iters=3, samples_per_iter=4, seed=seed)


def good_op():
    torch = pytest.importorskip("torch")
    return torch.nn.Conv2d(4, 4, 3, padding=1)


# ---- search spaces broken on purpose -----------------------------------------------------------


class SampleIsNotAModel(IntegerSpace):
    @overrides
    def random_sample(self):
        return self.rng.randrange(self.size)


class ArchidChangesWhenBuilt(IntegerSpace):
    @overrides
    def random_sample(self):
        model = super().random_sample()
        model._builder = lambda: setattr(model, "archid", model.archid + "-built") or {"weights": [0.0]}
        return model


class UnseededSamples(IntegerSpace):
    @overrides
    def random_sample(self):
        return self.model(random.randrange(self.size))


class UnseededMutations(IntegerSpace):
    """Samples from its own generator but mutates with the global one."""

    @overrides
    def mutate(self, arch):
        return self.model(random.randrange(self.size))


class SaveNeedsArch(IntegerSpace):
    """Archai issue #248: save_arch reads model.arch, so it fails after clear()."""

    @overrides
    def save_arch(self, model, file_path):
        with open(file_path, "w", encoding="utf-8") as f:
            json.dump({"archid": f"int-{model.arch['value']}"}, f)


class LoadArchOffByOne(IntegerSpace):
    @overrides
    def load_arch(self, file_path):
        model = super().load_arch(file_path)
        return self.model(int(model.archid[4:]) + 1)


class WeightsNotLoaded(IntegerSpace):
    """Weights start random (like a fresh torch module); loading them does nothing."""

    @overrides
    def model(self, x):
        return ArchaiModel(None, f"int-{x}", builder=lambda: {"value": x, "weights": [random.random()]})

    @overrides
    def load_model_weights(self, model, file_path):
        pass


class MutateTouchesParent(IntegerSpace):
    @overrides
    def mutate(self, arch):
        arch.metadata["mutated"] = True
        return super().mutate(arch)


class MutateNeedsArch(IntegerSpace):
    @overrides
    def mutate(self, arch):
        return self.model(min(self.size - 1, arch.arch["value"] + 1))


class CrossoverReturnsParent(IntegerSpace):
    @overrides
    def crossover(self, arch_list):
        return arch_list[0]


class EncodeVariesInLength(IntegerSpace):
    @overrides
    def encode(self, arch):
        return np.ones(1 + int(arch.archid[4:]) % 3)


class StarArgsFactory(IntegerSpace):
    def __init__(self, *args, seed: int = 1) -> None:
        super().__init__(seed=seed)


class NoSeedParameter(IntegerSpace):
    def __init__(self, size: int = 1000) -> None:
        super().__init__(size=size, seed=1)


class OnlyDiscrete(DiscreteSearchSpace):
    """Sampling and persistence only: no mutate/crossover/encode checks apply."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.inner = IntegerSpace(seed=seed)

    @overrides
    def random_sample(self):
        return self.inner.random_sample()

    @overrides
    def save_arch(self, model, file_path):
        self.inner.save_arch(model, file_path)

    @overrides
    def load_arch(self, file_path):
        return self.inner.load_arch(file_path)

    @overrides
    def save_model_weights(self, model, file_path):
        self.inner.save_model_weights(model, file_path)

    @overrides
    def load_model_weights(self, model, file_path):
        self.inner.load_model_weights(model, file_path)


# ---- evaluators, predictors, searchers, ops broken on purpose ----------------------------------


class ReturnsText(ModelEvaluator):
    @overrides
    def evaluate(self, model, budget=None):
        return "0.5"


class ReturnsNaN(ModelEvaluator):
    @overrides
    def evaluate(self, model, budget=None):
        return math.nan


class WritesObjectMetadata(ModelEvaluator):
    @overrides
    def evaluate(self, model, budget=None):
        model.metadata["evaluator"] = self
        return 1.0


class AsyncScores(AsyncModelEvaluator):
    def __init__(self) -> None:
        self.inner, self.queue = ArchidScore(), []

    @overrides
    def send(self, model, budget=None):
        self.queue.append(model)

    @overrides
    def fetch_all(self):
        out = [self.inner.evaluate(m) for m in self.queue]
        self.queue = []
        return out


class AsyncSortedResults(AsyncScores):
    """Returns results sorted by value, not in send order."""

    @overrides
    def fetch_all(self):
        return sorted(super().fetch_all())


class AsyncKeepsQueue(AsyncScores):
    @overrides
    def fetch_all(self):
        return [self.inner.evaluate(m) for m in self.queue]


class FlatPredictor(LinearPredictor):
    """Returns (N,) arrays for one target instead of (N, 1)."""

    @overrides
    def predict(self, encoded_archs):
        out = super().predict(encoded_archs)
        return MeanVar(out.mean.squeeze(-1), out.var.squeeze(-1)) if out.mean.shape[1] == 1 else out


class NegativeVariance(LinearPredictor):
    @overrides
    def predict(self, encoded_archs):
        out = super().predict(encoded_archs)
        return MeanVar(out.mean, out.var - 1.0)


class UnseededPredictor(LinearPredictor):
    @overrides
    def fit(self, encoded_archs, y):
        self.rng = np.random.default_rng()
        super().fit(encoded_archs, y)


def unseeded_searcher(output_dir):
    return make_random_searcher(output_dir, seed=random.randrange(10**6))


def returns_no_searcher(output_dir):
    return IntegerSpace()


def searcher_finding_nothing(output_dir):
    searcher = make_random_searcher(output_dir)
    searcher.propose = lambda iteration: []
    return searcher


class SilentSearcher(Searcher):
    """Runs iterations without telling subscribers."""

    def __init__(self, output_dir):
        super().__init__()
        self.space = IntegerSpace(seed=0)

    @overrides
    def search(self):
        results = SearchResults(self.space, None)
        for _ in range(2):
            results.add_iteration_results([self.space.random_sample()], {"score": [1.0]})
        return results


def silent_searcher(output_dir):
    return SilentSearcher(output_dir)


class HookMissingSearcher(ToyRandom):
    """Fires subscribe_start_iteration callbacks twice per iteration."""

    @overrides
    def on_start_iteration(self, iteration):
        super().on_start_iteration(iteration)
        super().on_start_iteration(iteration)


def double_firing_searcher(output_dir):
    base = make_random_searcher(output_dir)
    return HookMissingSearcher(base.search_space, base.objectives, output_dir, num_iters=3, samples_per_iter=4)


# ---- each check passes on good components and fails on its broken fake ---------------------------

SEARCH_SPACE_CASES = [
    ("check_random_sample_returns_archai_model", SampleIsNotAModel, "should return an ArchaiModel, got int"),
    ("check_archid_is_stable", ArchidChangesWhenBuilt, "changed its archid"),
    ("check_same_seed_same_samples", UnseededSamples, "same seed"),
    ("check_same_seed_same_samples", UnseededMutations, r"same seed\) mutated 'int-\d+' into"),
    ("check_save_load_arch_roundtrip", SaveNeedsArch, r"after clear\(\)"),
    ("check_save_load_arch_roundtrip", LoadArchOffByOne, r"changed archid 'int-\d+' -> 'int-\d+'"),
    ("check_save_load_weights_roundtrip", WeightsNotLoaded, "do not match"),
    ("check_mutate_does_not_modify_parent", MutateTouchesParent, "metadata changed"),
    ("check_mutate_does_not_modify_parent", MutateNeedsArch, "cleared"),
    ("check_crossover_returns_model", CrossoverReturnsParent, "parent object itself"),
    ("check_encode_fixed_length", EncodeVariesInLength, "different lengths"),
    ("check_factory_signature", StarArgsFactory, r"takes \*args"),
    ("check_factory_signature", NoSeedParameter, "`seed` parameter"),
]


@pytest.mark.parametrize("check_name,broken,message", SEARCH_SPACE_CASES,
                         ids=[f"{c}-{b.__name__}" for c, b, _ in SEARCH_SPACE_CASES])
def test_search_space_check_catches_its_fake(check_name, broken, message):
    check = getattr(kit, check_name)
    check(IntegerSpace(seed=0))
    with pytest.raises(CheckFailed, match=message) as info:
        check(broken(seed=0) if broken is not NoSeedParameter else broken())
    assert broken.__name__ in str(info.value)


EVALUATOR_CASES = [
    ("check_evaluate_returns_float", ReturnsText, "should return a float, got str"),
    ("check_evaluate_returns_float", ReturnsNaN, "returned NaN"),
    ("check_evaluate_returns_float", WritesObjectMetadata, "not JSON-able"),
    ("check_async_fetch_matches_send_order", AsyncSortedResults, "send order"),
    ("check_async_fetch_matches_send_order", AsyncKeepsQueue, "empty the queue"),
]


@pytest.mark.parametrize("check_name,broken,message", EVALUATOR_CASES,
                         ids=[f"{c}-{b.__name__}" for c, b, _ in EVALUATOR_CASES])
def test_evaluator_check_catches_its_fake(check_name, broken, message):
    check = getattr(kit, check_name)
    check(AsyncScores() if "async" in check_name else ArchidScore())
    with pytest.raises(CheckFailed, match=message) as info:
        check(broken(), models=IntegerSpace(seed=3))
    assert broken.__name__ in str(info.value)


PREDICTOR_CASES = [
    ("check_predict_returns_meanvar_shapes", FlatPredictor, r"expected \(7, 1\)"),
    ("check_predict_variance_is_non_negative", NegativeVariance, "expected finite values >= 0"),
    ("check_same_seed_same_predictions", UnseededPredictor, "same seed"),
]


@pytest.mark.parametrize("check_name,broken,message", PREDICTOR_CASES,
                         ids=[f"{c}-{b.__name__}" for c, b, _ in PREDICTOR_CASES])
def test_predictor_check_catches_its_fake(check_name, broken, message):
    check = getattr(kit, check_name)
    check(LinearPredictor(seed=0))
    with pytest.raises(CheckFailed, match=message) as info:
        check(broken(seed=0))
    assert broken.__name__ in str(info.value)


def test_predictor_checks_fit_the_data_a_predictor_is_given():
    """A predictor of one encoding layout gets its own rows; a 1-D y is one target."""
    rng = np.random.default_rng(1)
    x = rng.random((30, 3))
    data = (x[:24], x[:24].sum(axis=1), x[24:])
    results = kit.check_predictor(kit.with_inputs(LinearPredictor(seed=0), data=data), on_fail=None)
    assert [r["status"] for r in results] == ["passed"] * 3
    with pytest.raises(CheckFailed, match=r"expected \(6, 1\)"):
        kit.check_predict_returns_meanvar_shapes(FlatPredictor(seed=0), data=data)
    with pytest.raises(TypeError, match=r"data must be \(X, y, X_new\)"):
        kit.check_predict_variance_is_non_negative(LinearPredictor(seed=0), data=(x, x))


def test_the_reference_components_keep_the_contract_they_stand_in_for():
    """Plugins test against them instead of other plugins: each passes the kit, the predictor
    predicts its neighbours, the images are learnable classes of the digits' shape."""
    import torch

    kit.check_search_space(IntegerSpace(seed=0))
    kit.check_predictor(NeighbourMean())
    kit.check_dataset(Glyphs(train=60, val=20, test=20))
    kit.check_dataset(Glyphs(train=60, val=20, test=0))
    x = np.array([[0.0], [1.0], [10.0]])
    exact = NeighbourMean(k=1)
    exact.fit(x, np.array([1.0, 2.0, 3.0]))
    assert exact.predict(np.array([[0.9], [9.0]])).mean.ravel().tolist() == [2.0, 3.0]
    images = Glyphs(seed=1)
    X, y = images.get_train()
    assert X.shape == (900, 1, 8, 8) and set(y.tolist()) == set(range(10))
    assert torch.equal(Glyphs(seed=1).get_val()[0], images.get_val()[0])
    assert not torch.equal(Glyphs(seed=2).get_train()[0], X)
    with pytest.raises(ValueError, match="train must be"):
        Glyphs(train=0)
    with pytest.raises(ValueError, match="k must be"):
        NeighbourMean(k=0)


SEARCHER_CASES = [
    ("check_search_runs_tiny_budget_on_cpu", returns_no_searcher, "should return a Searcher, got IntegerSpace"),
    ("check_search_runs_tiny_budget_on_cpu", silent_searcher, None),  # good on this one: it does search
    ("check_search_reproducible_with_seed", unseeded_searcher, "same seed evaluated different models"),
    ("check_fires_on_start_iteration_each_iteration", silent_searcher, r"callbacks got \[\]"),
    ("check_fires_on_start_iteration_each_iteration", double_firing_searcher, r"got \[1, 1, 2, 2"),
]


@pytest.mark.parametrize("check_name,broken,message", SEARCHER_CASES,
                         ids=[f"{c}-{b.__name__}" for c, b, _ in SEARCHER_CASES])
def test_searcher_check_catches_its_fake(check_name, broken, message):
    check = getattr(kit, check_name)
    check(make_random_searcher)
    if message is None:
        check(broken)
        return
    with pytest.raises(CheckFailed, match=message):
        check(broken)


def test_a_search_that_finds_nothing_fails_the_tiny_budget_check():
    from nas_kernel.loop import SearchFailed

    with pytest.raises(SearchFailed):
        kit.check_search_runs_tiny_budget_on_cpu(searcher_finding_nothing)


def test_a_slow_search_fails_the_tiny_budget_check(monkeypatch):
    from nas_kernel.testing import _searcher

    monkeypatch.setattr(_searcher, "MAX_SECONDS", 0.0)
    with pytest.raises(CheckFailed, match=r"took .* s; the factory make_random_searcher should give it a budget"):
        kit.check_search_runs_tiny_budget_on_cpu(make_random_searcher)


def test_op_check_catches_its_fakes():
    torch = pytest.importorskip("torch")
    op = good_op()
    kit.check_op_forward_shape(op, input_shape=(2, 4, 8, 8), output_shape=(2, 4, 8, 8))

    class DropsBatch(torch.nn.Module):
        def forward(self, x):
            return x.sum(0)

    class ReturnsTuple(torch.nn.Module):
        def forward(self, x):
            return (x,)

    class MakesNaN(torch.nn.Module):
        def forward(self, x):
            return x * math.nan

    with pytest.raises(CheckFailed, match=r"expected \(2, 8, 8, 8\)"):
        kit.check_op_forward_shape(op, output_shape=(2, 8, 8, 8))
    with pytest.raises(CheckFailed, match="DropsBatch.*batch size 2 must be kept"):
        kit.check_op_forward_shape(DropsBatch())
    with pytest.raises(CheckFailed, match="ReturnsTuple.*should return a tensor, got tuple"):
        kit.check_op_forward_shape(ReturnsTuple())
    with pytest.raises(CheckFailed, match="MakesNaN.*non-finite"):
        kit.check_op_forward_shape(MakesNaN())


def test_torch_space_weights_and_mutation_checks():
    """The weight comparisons read state_dict() when the arch is a torch module."""
    torch = pytest.importorskip("torch")

    class TorchSpace(IntegerSpace):
        @overrides
        def model(self, x):
            return ArchaiModel(None, f"int-{x}", builder=lambda: torch.nn.Linear(2, 1 + x % 3))

        @overrides
        def save_model_weights(self, model, file_path):
            torch.save(model.arch.state_dict(), file_path)

        @overrides
        def load_model_weights(self, model, file_path):
            model.arch.load_state_dict(torch.load(file_path, weights_only=True))

    class MutateTrainsParent(TorchSpace):
        @overrides
        def mutate(self, arch):
            if arch.is_built and arch.arch is not None:
                with torch.no_grad():
                    arch.arch.weight.add_(1.0)
            return super().mutate(arch)

    class ForgetsBias(TorchSpace):
        @overrides
        def save_model_weights(self, model, file_path):
            torch.save({"weight": model.arch.state_dict()["weight"]}, file_path)

        @overrides
        def load_model_weights(self, model, file_path):
            model.arch.load_state_dict(torch.load(file_path, weights_only=True), strict=False)

    class SeededInitNoLoad(TorchSpace):
        """Every fresh module has the same weights, so a load that does nothing looks right."""

        @overrides
        def model(self, x):
            def build():
                torch.manual_seed(0)
                return torch.nn.Linear(2, 2)

            return ArchaiModel(None, f"int-{x}", builder=build)

        @overrides
        def load_model_weights(self, model, file_path):
            pass

    assert {r["status"] for r in kit.check_search_space(TorchSpace(seed=0))} == {"passed"}
    with pytest.raises(CheckFailed, match="SeededInitNoLoad: weights of 'int-\\d+' saved .* do not match"):
        kit.check_save_load_weights_roundtrip(SeededInitNoLoad(seed=0))
    with pytest.raises(CheckFailed, match="MutateTrainsParent.mutate modified its parent .*weights changed"):
        kit.check_mutate_does_not_modify_parent(MutateTrainsParent(seed=0))
    with pytest.raises(CheckFailed, match="ForgetsBias.*'bias' differs"):
        kit.check_save_load_weights_roundtrip(ForgetsBias(seed=0))


# ---- the runners and the pytest front end ------------------------------------------------------


def test_good_components_pass_every_check_that_applies():
    by_kind = {
        "search_space": kit.check_search_space(IntegerSpace(seed=0)),
        "evaluator": kit.check_evaluator(ArchidScore()),
        "async": kit.check_evaluator(AsyncScores()),
        "predictor": kit.check_predictor(LinearPredictor()),
        "searcher": kit.check_searcher(make_random_searcher),
    }
    names = {kind: [r["check_name"] for r in results] for kind, results in by_kind.items()}
    assert all(r["status"] == "passed" for results in by_kind.values() for r in results)
    assert set(names["search_space"]) == {name for name, _, _ in SEARCH_SPACE_CASES}
    assert names["evaluator"] == ["check_evaluate_returns_float"]
    assert names["async"] == ["check_async_fetch_matches_send_order"]
    assert len(names["predictor"]) == 3 and len(names["searcher"]) == 3


def test_capabilities_choose_the_checks():
    names = [r["check_name"] for r in kit.check_search_space(OnlyDiscrete())]
    assert "check_save_load_arch_roundtrip" in names
    assert not {"check_encode_fixed_length", "check_mutate_does_not_modify_parent",
                "check_crossover_returns_model"} & set(names)
    with pytest.raises(TypeError, match="object is not a search space"):
        kit.check_search_space(object())
    with pytest.raises(TypeError, match="ArchidScore is not a search space"):
        kit.check_search_space(ArchidScore())
    with pytest.raises(TypeError, match=r"pass an instance, e.g. IntegerSpace\(seed=0\), not the class"):
        kit.check_search_space(IntegerSpace)


def test_on_fail_modes_and_expected_failures():
    results = kit.check_search_space(UnseededSamples(seed=0), on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    assert [r["check_name"] for r in failed] == ["check_same_seed_same_samples"]
    assert isinstance(failed[0]["exception"], CheckFailed)
    with pytest.warns(kit.CheckWarning, match="check_same_seed_same_samples failed"):
        kit.check_search_space(UnseededSamples(seed=0), on_fail="warn")
    with pytest.raises(CheckFailed):
        kit.check_search_space(UnseededSamples(seed=0))
    expected = {"check_same_seed_same_samples": "samples from the global generator, on purpose"}
    results = kit.check_search_space(UnseededSamples(seed=0), expected_failed_checks=expected)
    row = next(r for r in results if r["check_name"] == "check_same_seed_same_samples")
    assert row["status"] == "xfail" and row["expected_to_fail_reason"] == expected["check_same_seed_same_samples"]
    results = kit.check_search_space(IntegerSpace(seed=0), expected_failed_checks=expected)
    assert next(r for r in results if r["check_name"] == "check_same_seed_same_samples")["status"] == "xpass"
    with pytest.raises(ValueError, match="unknown check"):
        kit.check_search_space(IntegerSpace(), expected_failed_checks={"check_typo": "x"})
    with pytest.raises(ValueError, match="needs a reason"):
        kit.check_search_space(IntegerSpace(), expected_failed_checks={"check_archid_is_stable": ""})
    with pytest.raises(ValueError, match="on_fail"):
        kit.check_search_space(IntegerSpace(), on_fail="ignore")


def test_inputs_are_validated():
    with pytest.raises(TypeError, match=r"input\(s\) \['input_shape'\] that none of its checks take"):
        list(kit.components_checks_generator([kit.with_inputs(ArchidScore(), input_shape=(1,))]))
    with pytest.raises(TypeError, match="non-empty list of ArchaiModel"):
        kit.check_evaluator(ArchidScore(), models=[1, 2])
    wrapped = kit.with_inputs(ArchidScore(), models=[1, 2])
    with pytest.raises(TypeError, match="non-empty list of ArchaiModel"):
        kit.check_evaluator(wrapped)
    results = kit.check_evaluator(wrapped, models=IntegerSpace(seed=2))  # the keyword wins
    assert [r["status"] for r in results] == ["passed"] and results[0]["component"] is wrapped.component


def test_rebuilding_needs_parameters_stored_as_attributes():
    class ForgetsSize(IntegerSpace):
        def __init__(self, size: int = 10, seed: int = 1) -> None:
            super().__init__(size=size, seed=seed)
            del self.size
            self.n = size

        @overrides
        def random_sample(self):
            return self.model(self.rng.randrange(self.n))

        @overrides
        def mutate(self, arch):
            return self.random_sample()

    # it keeps its generator as self.rng (as Archai's tutorial space does): copied and reseeded
    kit.check_same_seed_same_samples(ForgetsSize(seed=0))

    class ForgetsEverything(ForgetsSize):
        def __init__(self, size: int = 10, seed: int = 1) -> None:
            super().__init__(size=size, seed=seed)
            self._draw = self.rng.randrange
            del self.rng

        @overrides
        def random_sample(self):
            return self.model(self._draw(self.n))

    with pytest.raises(CheckFailed, match=r"ForgetsEverything keeps no attribute for constructor parameter\(s\) "
                                          r"\['size'\].* or keep the space's random generator as an attribute"):
        kit.check_same_seed_same_samples(ForgetsEverything(seed=0))


@kit.parametrize_with_checks(
    [IntegerSpace(seed=0), kit.with_inputs(ArchidScore(), models=IntegerSpace(seed=1)), AsyncScores(),
     LinearPredictor(seed=0), make_random_searcher, UnseededSamples(seed=0)],
    expected_failed_checks=lambda c: (
        {"check_same_seed_same_samples": "draws from the global generator"} if isinstance(c, UnseededSamples)
        else None),
)
def test_parametrize_with_checks(component, check):
    check(component)


def test_parametrize_ids_and_marks():
    mark = kit.parametrize_with_checks(
        [IntegerSpace(seed=0), UnseededSamples(seed=0)],
        expected_failed_checks=lambda c: {"check_same_seed_same_samples": "on purpose"} if isinstance(c, UnseededSamples)
        else {})
    argnames, params = mark.args
    assert argnames == "component,check"
    ids = [p.id for p in params]
    assert "IntegerSpace-check_random_sample_returns_archai_model" in ids
    xfails = [p.id for p in params if p.marks]
    assert xfails == ["UnseededSamples-check_same_seed_same_samples"]


def test_importing_the_kit_imports_neither_pytest_nor_torch():
    code = ("import sys, nas_kernel.testing, nas_kernel.testing.reference; "
            "print(sorted(m for m in ('pytest', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- check_plugin over fake installed distributions ----------------------------------------------

GOOD_PLUGIN = """
from nas_kernel import hookimpl

@hookimpl
def register_search_spaces(register):
    register("ints", "nas_kernel.testing.reference:IntegerSpace")

@hookimpl
def register_evaluators(register):
    register("score", "nas_kernel.testing.reference:ArchidScore")
"""


def test_check_plugin_passes_a_good_distribution(fake_dists):
    fake_dists("fake-good", entry_points={"fake_good": "fake_good_plugin"}, modules={"fake_good_plugin": GOOD_PLUGIN})
    rows = kit.check_plugin("fake-good", expects={"search_spaces": ["ints"], "evaluators": ["score"]})
    assert rows[0]["name"] == "fake_good" and rows[0]["status"] == "ok"
    with pytest.raises(CheckFailed, match=r"registers .*expected exactly \{'search_spaces': \['other'\]\}"):
        kit.check_plugin("fake-good", expects={"search_spaces": ["other"]})


BROKEN_PLUGINS = {
    "import": ("import nonexistent_module_xyz\n", "No module named 'nonexistent_module_xyz'"),
    "unknown-hook": ("from nas_kernel import hookimpl\n@hookimpl\ndef register_widgets(register):\n    pass\n",
                     "unknown hook 'register_widgets'"),
    "raising-hook": ("from nas_kernel import hookimpl\n@hookimpl\ndef register_search_spaces(register):\n"
                     "    raise RuntimeError('boom')\n", "boom"),
    "no-hooks": ("X = 1\n", "implements no hook"),
    "bad-lazy-ref": ("from nas_kernel import hookimpl\n@hookimpl\ndef register_search_spaces(register):\n"
                     "    register('gone', 'fake_missing_mod:Space')\n", "failed to import 'fake_missing_mod:Space'"),
    "kwargs-only": ("from nas_kernel import hookimpl\ndef make(**kw):\n    pass\n@hookimpl\n"
                    "def register_evaluators(register):\n    register('kw', make)\n", r"takes only \*\*kw"),
    "fails-with-defaults": ("from nas_kernel import hookimpl\ndef make(size=-1):\n    raise ValueError('size must be "
                            "positive')\n@hookimpl\ndef register_predictors(register):\n    register('p', make)\n",
                            "building it with its defaults raised ValueError: size must be positive"),
    "wrong-type": ("from nas_kernel import hookimpl\n@hookimpl\ndef register_evaluators(register):\n"
                   "    register('e', 'nas_kernel.testing.reference:IntegerSpace')\n",
                   "returned IntegerSpace; expected a ModelEvaluator or AsyncModelEvaluator"),
    "bad-searcher": ("from nas_kernel import hookimpl\ndef make(space, objectives, output_dir):\n    pass\n@hookimpl\n"
                     "def register_searchers(register):\n    register('s', make)\n",
                     r"must take \(search_space, objectives, output_dir\) first"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_PLUGINS))
def test_check_plugin_reports_a_broken_distribution(case, fake_dists, monkeypatch):
    monkeypatch.delenv("NAS_STRICT_PLUGINS", raising=False)
    source, message = BROKEN_PLUGINS[case]
    module = f"fake_{case.replace('-', '_')}"
    fake_dists(f"fake-{case}", entry_points={module: module}, modules={module: source})
    with pytest.raises(CheckFailed, match=message) as info:
        kit.check_plugin(f"fake-{case}")
    assert f"fake-{case}" in str(info.value)
    assert "NAS_STRICT_PLUGINS" not in os.environ  # strict mode is restored afterwards


@pytest.mark.parametrize("already_loaded", [(), ("sys",)], ids=["in-process", "fresh-interpreter"])
def test_check_plugin_refuses_an_entry_point_module_importing_a_heavy_library(already_loaded, fake_dists,
                                                                              monkeypatch):
    from nas_kernel.testing import _imports

    monkeypatch.setattr(_imports, "HEAVY", ("fake_heavy_lib", *already_loaded))
    module = f"fake_eager_{len(already_loaded)}"
    source = GOOD_PLUGIN + "import fake_heavy_lib  # eager: every `nas` command would pay for it\n"
    fake_dists(f"fake-eager-{len(already_loaded)}", entry_points={module: module},
               modules={module: source, "fake_heavy_lib": "X = 1\n"})
    sys.modules.pop("fake_heavy_lib", None)
    with pytest.raises(CheckFailed, match=f"module\\(s\\) {module} imports fake_heavy_lib: keep it cheap"):
        kit.check_plugin(f"fake-eager-{len(already_loaded)}")
    sys.modules.pop("fake_heavy_lib", None)


def test_check_plugin_skip_build(fake_dists):
    source, _ = BROKEN_PLUGINS["fails-with-defaults"]
    fake_dists("fake-skip", entry_points={"fake_skip": "fake_skip"}, modules={"fake_skip": source})
    kit.check_plugin("fake-skip", expects={"predictors": ["p"]}, skip_build=["p"])


def test_check_plugin_on_a_distribution_that_is_not_installed():
    with pytest.raises(CheckFailed, match="'nas-not-installed-anywhere' has no `nas_kernel` entry point"):
        kit.check_plugin("nas-not-installed-anywhere")


# ---- the opt-in fixtures ---------------------------------------------------------------------------

FIXTURE_TEST = '''
import os
from nas_kernel.testing.reference import ArchidScore, IntegerSpace
from nas_kernel import SearchObjectives
import toy

def test_fixtures(plugin_manager, hook_recorder, tmp_path):
    assert plugin_manager.strict  # strict by parameter, not by rewriting the environment
    assert plugin_manager.records["hook_recorder"].status == "ok"
    objectives = SearchObjectives()
    objectives.add_objective("score", ArchidScore(), higher_is_better=True)
    searcher = toy.ToyRandom(IntegerSpace(), objectives, str(tmp_path), num_iters=2, samples_per_iter=3)
    searcher.progress = False
    searcher.plugin_manager = plugin_manager
    searcher.search()
    assert [c.iteration for c in hook_recorder.getcalls("on_start_iteration")] == [1, 2]
    assert len(hook_recorder.getcalls("on_search_start on_search_end")) == 2
    assert hook_recorder.getcalls("on_iteration_end")[0].models
'''


def test_fixtures_plugin(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["nas_kernel.testing.fixtures"]\n')
    (tmp_path / "test_uses_fixtures.py").write_text(FIXTURE_TEST)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


# ---- the plugin-author docs show the tested files, not copies ------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs"
SNIPPET = re.compile(r"^(File|From|Output of) `([^`]+)`:\n\n```[a-z]*\n(.*?)\n```$", re.M | re.S)


@pytest.mark.parametrize("page", ["plugins/writing.md", "plugins/testing.md"])
def test_docs_snippets_match_the_files_they_name(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    found = SNIPPET.findall(text)
    assert found, f"{page} has no snippet taken from a file"
    for how, source, block in found:
        if how == "Output of":
            env_text, _, command = source.rpartition(" nas ")
            env = dict(os.environ)
            env.update(dict(item.split("=", 1) for item in env_text.split()))
            out = subprocess.run([sys.executable, "-m", "nas_kernel.cli", *command.split()], capture_output=True,
                                 text=True, env=env, timeout=120)
            assert out.stdout.rstrip("\n") == block, f"{page}: the output of `{source}` changed:\n{out.stdout}"
            continue
        content = (DOCS.parent / source).read_text(encoding="utf-8")
        if how == "File":
            assert block == content.rstrip("\n"), f"{page}: the copy of {source} differs from the file"
        else:
            assert block in content, f"{page}: the excerpt of {source} is no longer in the file:\n{block}"


def test_testing_page_documents_every_check():
    text = (DOCS / "plugins" / "testing.md").read_text(encoding="utf-8")
    checks = [name for name in kit.__all__ if name.startswith("check_") and name not in (
        "check_search_space", "check_evaluator", "check_predictor", "check_searcher", "check_op", "check_dataset",
        "check_tracker", "check_plugin")]
    assert len(checks) == 25
    assert [c for c in checks if f"`{c}`" not in text] == []


def test_every_check_has_a_fake_broken_for_it():
    cases = SEARCH_SPACE_CASES + EVALUATOR_CASES + PREDICTOR_CASES + SEARCHER_CASES
    covered = ({name for name, _, message in cases if message} | {"check_op_forward_shape"}  # ops: own test
               | {name for _, name, _ in BROKEN_PROVIDERS}  # datasets: tests/test_dataset_kit.py
               | {name for _, name, _ in BROKEN_TRACKERS})  # trackers: tests/test_tracking.py
    every = {name for name in kit.__all__ if name.startswith("check_") and hasattr(getattr(kit, name), "__module__")
             and getattr(kit, name).__module__ != "nas_kernel.testing._runners" and name != "check_plugin"}
    assert every == covered


def check_corners_are_ints(space):
    """A contract a plugin owns: spaces that list ``corners()`` list integers."""
    if not all(isinstance(c, int) for c in space.corners()):
        raise CheckFailed(f"{type(space).__name__}.corners() lists something that is not an int")


class CornersPlugin:
    @hookimpl
    def conformance_checks(self, component):
        if hasattr(component, "corners"):
            return [check_corners_are_ints]


class Cornered(IntegerSpace):
    def corners(self):
        return [0, "9"]


def test_plugins_add_the_checks_of_the_contracts_they_own():
    manager = make_plugin_manager(entrypoints=False)
    manager.register(CornersPlugin(), name="corners")
    with using_plugins(manager):
        results = kit.check_search_space(Cornered(seed=0), on_fail=None)
        assert results[-1]["check_name"] == "check_corners_are_ints" and results[-1]["status"] == "failed"
        assert "Cornered.corners() lists something that is not an int" in str(results[-1]["exception"])
        assert all(r["status"] == "passed" for r in results[:-1])
        plain = [r["check_name"] for r in kit.check_search_space(IntegerSpace(seed=0))]
        assert "check_corners_are_ints" not in plain  # only components that take part
        assert [check.__name__ for _, check, _ in kit.components_checks_generator([Cornered(seed=0)])][-1] \
            == "check_corners_are_ints"
    assert "check_corners_are_ints" not in [r["check_name"] for r in kit.check_search_space(Cornered(seed=0))]


@pytest.mark.parametrize("given, message", [([42], "a check is a named function"),
                                            ([check_corners_are_ints, check_corners_are_ints], "check names are unique"),
                                            ([kit.check_archid_is_stable], "second check named 'check_archid_is_stable'")])
def test_a_plugin_s_malformed_checks_are_refused_by_name(given, message):
    class Malformed:
        @hookimpl
        def conformance_checks(self, component):
            return given

    manager = make_plugin_manager(entrypoints=False)
    manager.register(Malformed(), name="malformed")
    with using_plugins(manager), pytest.raises(TypeError, match=message):
        kit.check_search_space(Cornered(seed=0))
