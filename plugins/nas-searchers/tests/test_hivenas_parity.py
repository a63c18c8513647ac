"""HiveNAS semantics as its code relies on them: momentum epochs follow momentum (read from the
per-epoch history partial_training records), ACT-only abandonment, and NASInterface's calls."""
from __future__ import annotations

import math
from collections import defaultdict

import pytest
from overrides import overrides

from digit_space import DigitSpace, digits_of
from nas_kernel import ModelEvaluator, SearchObjectives
from nas_kernel.components import build_component
from nas_searchers.bee_colony import BeeColonySearch
from nas_searchers.hivenas_interface import HiveNasInterface
from nas_searchers.momentum import momentum_record, momentum_score

CLIMBING = [0.10, 0.20, 0.50, 0.90]  # still rising fast: high momentum, low fitness
PLATEAU = [0.90, 0.95, 0.95, 0.95]  # converged: no momentum, high fitness


def climbs(archid: str) -> bool:
    return sum(digits_of_id(archid)) % 2 == 1


def digits_of_id(archid: str):
    return [int(c) for c in archid[1:]]


class Curves(ModelEvaluator):
    """Fitness and per-epoch validation history by archid, written where partial_training writes it."""

    def __init__(self, with_history: bool = True) -> None:
        self.with_history = with_history

    @overrides
    def evaluate(self, arch, budget=None):
        curve = CLIMBING if climbs(arch.archid) else PLATEAU
        if self.with_history:
            arch.metadata["history"] = list(curve)
        arch.metadata["epochs_trained"] = len(curve)
        return curve[-1] * 100 if not climbs(arch.archid) else 30.0


def _momentum_epochs(tmp_path, with_history):
    so = SearchObjectives()
    so.add_objective("acc", Curves(with_history), higher_is_better=True)
    searcher = BeeColonySearch(DigitSpace(seed=3), so, str(tmp_path), num_iters=3, colony_size=6, employee_ratio=0.5,
                               budget=4, momentum_epochs=12, seed=5)
    searcher.progress = False
    results = searcher.search()
    granted = defaultdict(list)
    for entry in results.results:
        for archid, bee, extra in zip(entry["archid"], entry["bee"], entry.get("momentum_epochs", [None] * 99)):
            if bee == "momentum":
                granted["climbing" if climbs(archid) else "plateau"].append(extra)
    evaluated = {"climbing": set(), "plateau": set()}
    for entry in results.results:
        for archid in entry["archid"]:
            evaluated["climbing" if climbs(archid) else "plateau"].add(archid)
    return {k: sum(granted[k]) / max(1, len(evaluated[k])) for k in evaluated}, evaluated


def test_momentum_epochs_go_to_the_best_momentum_not_the_best_fitness(tmp_path):
    per_candidate, evaluated = _momentum_epochs(tmp_path / "history", with_history=True)
    assert evaluated["climbing"] and evaluated["plateau"]
    assert momentum_score(CLIMBING, 0.0) > 2 * momentum_score(PLATEAU, 0.0)
    assert per_candidate["climbing"] > 2 * per_candidate["plateau"]  # the low-fitness climbers get them
    # without a history (what every evaluator gave before) the score falls back to the fitness
    fallback, _ = _momentum_epochs(tmp_path / "none", with_history=False)
    assert fallback["plateau"] > fallback["climbing"]


def test_momentum_record_is_hivenas_definition():
    assert momentum_record([0.1, 0.2, 0.5, 0.6]) == pytest.approx([0.1, 0.2, 3.0, 1 / 3])
    assert momentum_record([0.5, 0.5, 0.7]) == [0.5, 0.5, 0.0]  # a zero previous gain gives 0


class OneEpoch(ModelEvaluator):
    """One epoch per candidate; with ``act`` it reports what ACT-stopped training reports."""

    def __init__(self, act: bool) -> None:
        self.act = act

    @overrides
    def evaluate(self, arch, budget=None):
        arch.metadata["epochs_trained"] = 1
        if self.act:
            arch.metadata["act_stopped"] = True
        return float(sum(digits_of(arch)))


@pytest.mark.parametrize("act", [False, True])
def test_act_abandon_fires_only_when_act_stopped_the_candidate(tmp_path, act):
    so = SearchObjectives()
    so.add_objective("acc", OneEpoch(act), higher_is_better=True)
    searcher = BeeColonySearch(DigitSpace(seed=1), so, str(tmp_path), num_iters=1, colony_size=4, employee_ratio=0.5,
                               abandonment_limit=20, seed=1)
    searcher.progress = False
    searcher.search()
    abandoned = [s.center is None and s.current is not None for s in searcher.sources]
    assert abandoned == [act] * len(searcher.sources)


# ---- NASInterface over the real chain space and partial_training on synthetic data ---------------------------
@pytest.fixture(scope="module")
def interface(tmp_path_factory):
    space = build_component("search_spaces", "hivenas_chain", {"depth": 2, "ops": ["conv3x3_4", "identity"]}, seed=1)
    trainer = build_component("evaluators", "partial_training", {
        "dataset": {"name": "synthetic"}, "epochs": 3, "progress_bar": False, "batch_size": 64,
        "checkpoint_dir": str(tmp_path_factory.mktemp("ckpt"))}, seed=1)
    return HiveNasInterface(space, trainer, full_train_epochs=2)


def test_nas_interface_evaluate_returns_hivenas_record(interface):
    candidate = interface.sample()
    assert candidate.startswith("input|") and candidate.endswith("|output") and interface.is_minimize is False
    neighbour = interface.get_neighbor(candidate)
    assert neighbour != candidate and neighbour.count("|") == candidate.count("|")
    record = interface.evaluate(candidate)
    assert set(record) == {"fitness", "epochs", "filename", "params", "momentum"}
    assert 0 <= record["fitness"] <= 1 and record["epochs"] == 3 and record["params"] > 0
    assert record["filename"].endswith(".pt") and math.isfinite(record["momentum"])
    more = interface.momentum_eval(candidate, record["filename"], 1)
    assert more["epochs"] == 1 and more["filename"] == record["filename"]  # continued, not retrained
    # the momentum the colony ranks by: over one new epoch, HiveNAS's record is that epoch's accuracy
    assert more["momentum"] == pytest.approx(more["fitness"], abs=1e-6)
    custom = interface.train_custom_arch(candidate, epochs=1)
    assert custom["epochs"] == 1 and custom["filename"] is None


def test_fully_train_best_model_from_arch_saves_the_model_and_returns_its_file(interface, tmp_path):
    import json

    import torch

    scored = {}
    for _ in range(2):
        candidate = interface.sample()
        scored[candidate] = interface.evaluate(candidate, budget=1 / 3)["fitness"]
    (tmp_path / "pareto.json").write_text(json.dumps([{"archid": a, "val_acc": v} for a, v in scored.items()]))
    full = HiveNasInterface(interface.search_space, interface.eval_strategy, full_train_epochs=2,
                            results_dir=str(tmp_path))
    record = full.fully_train_best_model(from_arch=True)
    assert record["epochs"] == 2 and record["filename"].startswith(str(tmp_path / "fully_trained"))
    best = max(scored, key=scored.get)
    model = interface.search_space.from_description({"chain": best})
    model.arch.load_state_dict(torch.load(record["filename"], weights_only=True)["model"])


def test_partial_training_records_the_per_epoch_validation_history(interface):
    candidate = interface.sample()
    model = interface.search_space.from_description({"chain": candidate})
    score = interface.eval_strategy.evaluate(model)
    history = model.metadata["history"]
    assert len(history) == 3 and history[-1] == pytest.approx(score, abs=1e-6)
    assert model.metadata["history_from_epoch"] == 0 and "act_stopped" not in model.metadata
