"""What each algorithm promises beyond the common contract."""

import numpy as np
import pytest
from overrides import overrides

from nas_searchers.testing.digit_space import (TRAP, DigitSpace, TwoPeaks, best_archid, digits_of, model_of,
                                               objectives)
from nas_searchers import (BeeColonySearch, LocalSearch, MoBananasSearch, RegularizedEvolutionSearch,
                           SuccessiveHalvingSearch)
from nas_kernel.testing.reference import NeighbourMean
from nas_searchers.testing.settings import build


def rows(results, column="archid"):
    return [v for entry in results.results for v in entry[column]]


def test_local_search_keeps_walking_after_local_optima(tmp_path):
    searcher = build("local_search", DigitSpace(), objectives(), tmp_path, num_iters=80)
    results = searcher.search()
    assert results.iteration_num == 80, searcher.stop_reason  # Archai's stops when its front is exhausted
    assert best_archid() in rows(results)
    assert searcher.stop_reason is None


def test_local_search_full_neighbourhood_is_best_improvement(tmp_path):
    searcher = build("local_search", DigitSpace(), objectives(), tmp_path, num_iters=3, mutations_per_parent=None,
                     neighbour_patience=300)
    results = searcher.search()
    first, second = results.results[0], results.results[1]
    head = second["parent"][0]
    assert set(second["parent"]) == {head} and head == first["archid"][int(np.argmax(first["acc"]))]
    neighbours = {"d" + head[1:1 + i] + str(v) + head[2 + i:] for i in range(4) for v in range(6)} - {head}
    assert set(second["archid"]) == neighbours - set(first["archid"])  # every unseen neighbour at once


@pytest.mark.parametrize("name,params", [
    ("local_search", dict(mutations_per_parent=1, neighbour_patience=300)),
    ("regularized_evolution", dict(pareto_sample_size=50, history_size=50, tournaments_per_iter=1,
                                   crossover_prob=0.0)),
    ("evolution_pareto", dict(min_parents=1, num_crossovers=0, num_random_mix=0)),
])
def test_a_used_up_local_optimum_is_left_by_a_two_move_kick(tmp_path, name, params):
    from nas_kernel import SearchObjectives

    space = DigitSpace()
    start = tmp_path / "trap.json"
    space.save_arch(model_of(TRAP), str(start))
    objs = SearchObjectives()
    objs.add_objective("acc", TwoPeaks(), higher_is_better=True)
    searcher = build(name, space, objs, tmp_path / "out", num_iters=22, init_num_models=1,
                     initial_population_paths=[str(start)], **params)
    results = searcher.search()
    moves = [sum(a != b for a, b in zip(digits_of(model_of(a[1:])), TRAP)) for a in rows(results)]
    far = next(i for i, m in enumerate(moves) if m > 1)
    assert moves[:far] == [0] + [1] * (far - 1) and far >= 15  # the trap, then its neighbourhood
    assert moves[far] == 2  # then kicked two moves away from the trap, not sent to a random model
    if name == "local_search":  # it enumerates the neighbourhood: all 20 come first
        assert far == 21
    else:
        assert rows(results, "parent")[far] == model_of(TRAP).archid


def test_successive_halving_grows_budgets_by_the_factor(tmp_path):
    objs = objectives(budget_bonus=0.01)
    searcher = build("successive_halving", DigitSpace(), objs, tmp_path, num_iters=4, init_num_models=8,
                     init_budget=1.0, budget_multiplier=2.0)
    results = searcher.search()
    budgets = [entry["budget"] for entry in results.results]
    assert [len(b) for b in budgets] == [8, 4, 2, 1]
    assert [b[0] for b in budgets] == [1.0, 2.0, 4.0, 8.0]
    calls = objs.objectives["acc"]["evaluator"].calls
    assert sorted({b for _, b in calls}) == [1.0, 2.0, 4.0, 8.0]  # the budget reached the evaluator
    survivors = set(results.results[1]["archid"])
    assert survivors <= set(results.results[0]["archid"])


def test_bananas_refuses_a_non_predictor(tmp_path):
    with pytest.raises(ValueError, match="surrogate_model"):
        MoBananasSearch(DigitSpace(), objectives(), str(tmp_path), surrogate_model="mlp")


@pytest.mark.parametrize("acquisition", ["ei", "ucb", "thompson"])
def test_bananas_acquisitions_find_the_optimum(tmp_path, acquisition):
    searcher = build("bananas", DigitSpace(), objectives(), tmp_path, num_iters=12, acquisition=acquisition)
    results = searcher.search()
    assert max(rows(results, "acc")) >= 99.0


def colony(tmp_path, **params):
    defaults = dict(num_iters=6, colony_size=4, employee_ratio=0.5)
    searcher = BeeColonySearch(DigitSpace(), objectives(), str(tmp_path), seed=2, **{**defaults, **params})
    searcher.progress = False
    return searcher


def test_bee_colony_phases_and_counts(tmp_path):
    searcher = colony(tmp_path)
    results = searcher.search()
    assert searcher.num_employees == 2 and searcher.num_onlookers == 2
    bees = rows(results, "bee")
    assert bees[:2] == ["employee 0", "employee 1"]
    assert any(b.startswith("onlooker") for b in bees)
    assert results.iteration_num <= 6 * 2


def test_bee_colony_per_area_trials_abandon_sources(tmp_path):
    searcher = colony(tmp_path, abandonment_limit=2, num_iters=4)
    abandoned = []
    original = searcher._scouts

    def scouts():
        abandoned.append(sum(s.trials >= searcher.abandonment_limit for s in searcher.sources))
        original()

    searcher._scouts = scouts
    searcher.search()
    assert sum(abandoned) > 0  # each source gets >= 2 evaluations per iteration: per_area abandons


def test_bee_colony_since_improvement_resets_trials(tmp_path):
    searcher = colony(tmp_path, trial_counter="since_improvement", abandonment_limit=50, num_iters=3)
    searcher.search()
    assert any(s.trials < 3 * 3 for s in searcher.sources)


class TinySpace(DigitSpace):
    """Four architectures (two binary digits): every neighbourhood is soon exhausted."""

    @overrides
    def mutate(self, arch):
        digits = [int(c) for c in arch.archid[1:3]]
        pos = self.rng.randrange(2)
        digits[pos] = 1 - digits[pos]
        return model_of(digits + [0, 0])

    @overrides
    def random_sample(self):
        return model_of([self.rng.randrange(2), self.rng.randrange(2), 0, 0])


@pytest.mark.parametrize("count", [True, False])
def test_bee_colony_cache_hits_count_as_trials(tmp_path, count):
    searcher = BeeColonySearch(TinySpace(), objectives(), str(tmp_path), num_iters=5, colony_size=4,
                               employee_ratio=0.5, abandonment_limit=100, count_cache_hits=count)
    searcher.progress = False
    searcher.search()
    evaluations = sum(len(e["archid"]) for e in searcher.results.results)
    trials = sum(s.trials for s in searcher.sources)
    if count:  # every bee's visit counts: evaluations and cache hits alike
        assert trials > evaluations
    else:
        assert trials <= evaluations


def test_bee_colony_momentum_evaluates_at_higher_budgets(tmp_path):
    objs = objectives(budget_bonus=0.1)
    searcher = BeeColonySearch(DigitSpace(), objs, str(tmp_path), num_iters=3, colony_size=4, employee_ratio=0.5,
                               budget=3, momentum_epochs=4, seed=4)
    searcher.progress = False
    results = searcher.search()
    budgets = [b for entry in results.results for b in (entry.get("budget") or [])]
    assert 3.0 in budgets and any(b > 3.0 for b in budgets)
    calls = objs.objectives["acc"]["evaluator"].calls
    assert len(calls) == len(set(calls))


def test_bee_colony_momentum_needs_a_budget(tmp_path):
    with pytest.raises(ValueError, match="budget"):
        BeeColonySearch(DigitSpace(), objectives(), str(tmp_path), momentum_epochs=3)


@pytest.mark.parametrize("factory,kwargs,param", [
    (RegularizedEvolutionSearch, {"pareto_sample_size": 0}, "pareto_sample_size"),
    (RegularizedEvolutionSearch, {"crossover_prob": 2.0}, "crossover_prob"),
    (LocalSearch, {"restart": "never"}, "restart"),
    (SuccessiveHalvingSearch, {"budget_multiplier": 1.0}, "budget_multiplier"),
    (MoBananasSearch, {"acquisition": "pi", "surrogate_model": NeighbourMean()}, "acquisition"),
    (BeeColonySearch, {"trial_counter": "forever"}, "trial_counter"),
    (BeeColonySearch, {"employee_ratio": 0.01}, "employee_ratio"),
    (BeeColonySearch, {"objective": "nope"}, "objective"),
])
def test_bad_parameters_name_the_parameter(tmp_path, factory, kwargs, param):
    with pytest.raises(ValueError, match=param):
        factory(DigitSpace(), objectives(), str(tmp_path), **kwargs)


@pytest.mark.parametrize("name", ["successive_halving", "bee_colony", "local_search"])
def test_resume_replays_without_new_evaluations(tmp_path, name):
    first = objectives()
    build(name, DigitSpace(), first, tmp_path).search()
    again = objectives()
    searcher = build(name, DigitSpace(), again, tmp_path)
    searcher.resume = True
    searcher.search()
    assert again.objectives["acc"]["evaluator"].calls == []
