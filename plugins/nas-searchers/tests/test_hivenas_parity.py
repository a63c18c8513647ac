"""HiveNAS semantics as its code relies on them: momentum epochs follow momentum (read from the
per-epoch history partial_training records) and ACT-only abandonment. NASInterface's calls over
the real chain space and partial_training: tests/integration/test_hivenas_interface.py."""
from __future__ import annotations

from collections import defaultdict

import pytest
from overrides import overrides

from nas_searchers.testing.digit_space import DigitSpace, digits_of
from nas_kernel import ModelEvaluator, SearchObjectives
from nas_searchers.bee_colony import BeeColonySearch
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
