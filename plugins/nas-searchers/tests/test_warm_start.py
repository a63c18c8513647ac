"""Zero-cost warm start and move proposal: the initial population is the proxy's best of a
random pool, proxy scores are not queries, mutations prefer what the proxy ranks higher, and
searches stay seeded and resumable. Also BANANAS's encoding by name."""
import numpy as np
import pytest
from overrides import overrides

from nas_searchers.testing.digit_space import TARGET, DigitSpace, digits_of, objectives
from nas_kernel import MeanVar, ModelEvaluator, Predictor
from nas_kernel.testing.reference import NeighbourMean
from nas_searchers import EvolutionParetoSearch, LocalSearch, MoBananasSearch, RegularizedEvolutionSearch

POOL = 60
SEARCHERS = {
    "regularized_evolution": (RegularizedEvolutionSearch, {"num_iters": 8, "init_num_models": 5,
                                                           "pareto_sample_size": 3, "history_size": 10}),
    "evolution_pareto": (EvolutionParetoSearch, {"num_iters": 4, "init_num_models": 5, "num_random_mix": 1,
                                                 "num_crossovers": 1}),
    "local_search": (LocalSearch, {"num_iters": 6, "init_num_models": 5}),
    "bananas": (MoBananasSearch, {"num_iters": 3, "init_num_models": 5, "num_parents": 2,
                                  "mutations_per_parent": 3, "num_candidates": 2}),
}


class Closeness(ModelEvaluator):
    """A cheap proxy that agrees with the accuracy's ranking, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    @overrides
    def evaluate(self, model, budget=None):
        self.calls += 1
        return -float(sum(abs(a - b) for a, b in zip(digits_of(model), TARGET)))


def build(name, tmp_path, seed=1, **overrides):
    factory, params = SEARCHERS[name]
    params = {**params, **overrides}
    if name == "bananas":
        params["surrogate_model"] = NeighbourMean(seed=seed)
    objs = objectives()
    searcher = factory(DigitSpace(seed), objs, str(tmp_path), seed=seed, **params)
    searcher.progress = False
    return searcher, objs


def first_pool(seed, n):
    space, seen, pool = DigitSpace(seed), set(), []
    while len(pool) < n:
        model = space.random_sample()
        if model.archid not in seen:
            seen.add(model.archid)
            pool.append(model)
    return pool


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_warm_start_starts_from_the_proxys_best_of_a_pool(tmp_path, name):
    proxy = Closeness()
    searcher, objs = build(name, tmp_path, seed=4, warm_start=proxy, warm_start_pool=POOL)
    results = searcher.search()
    first = results.results[0]["archid"]
    scores = {m.archid: proxy.evaluate(m) for m in first_pool(4, POOL)}
    expected = sorted(scores, key=lambda a: -scores[a])[:5]
    assert list(first) == expected
    # proxy scores are no queries: the accuracy saw only what the results list
    queried = [a for entry in results.results for a in entry["archid"]]
    assert [a for a, _ in objs.objectives["acc"]["evaluator"].calls] == queried
    assert searcher.warm_start.evaluations >= POOL and searcher.warm_start.seconds >= 0


def test_warm_start_helps_on_a_proxy_that_agrees():
    import tempfile

    def best_after(warm):
        bests = []
        for seed in range(1, 6):
            with tempfile.TemporaryDirectory() as out:
                kwargs = {"warm_start": Closeness(), "warm_start_pool": 200} if warm else {}
                searcher, _ = build("regularized_evolution", out, seed=seed, num_iters=3, **kwargs)
                results = searcher.search()
                bests.append(max(v for entry in results.results for v in entry["acc"]))
        return np.mean(bests)

    assert best_after(True) > best_after(False)


@pytest.mark.parametrize("name", ["regularized_evolution", "evolution_pareto", "local_search"])
def test_proxy_moves_prefer_children_the_proxy_ranks_higher(tmp_path, name):
    def mean_child_score(moves):
        proxy = Closeness()
        searcher, _ = build(name, tmp_path / f"{name}{moves}", seed=2, warm_start=proxy, warm_start_pool=20,
                            proxy_moves=moves)
        results = searcher.search()
        children = [m for entry in results.results[1:] for m in entry["models"]]
        return np.mean([Closeness().evaluate(m) for m in children])

    assert mean_child_score(4) > mean_child_score(1)


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_warm_started_search_is_seeded_and_resumes_without_new_evaluations(tmp_path, name):
    a, _ = build(name, tmp_path / "a", seed=3, warm_start=Closeness(), warm_start_pool=30, proxy_moves=2)
    b, _ = build(name, tmp_path / "b", seed=3, warm_start=Closeness(), warm_start_pool=30, proxy_moves=2)
    rows_a = [x for e in a.search().results for x in e["archid"]]
    rows_b = [x for e in b.search().results for x in e["archid"]]
    assert rows_a == rows_b
    again, objs = build(name, tmp_path / "a", seed=3, warm_start=Closeness(), warm_start_pool=30, proxy_moves=2)
    again.resume = True
    replayed = [x for e in again.search().results for x in e["archid"]]
    assert replayed == rows_a
    assert objs.objectives["acc"]["evaluator"].calls == []


@pytest.mark.parametrize("kwargs,param", [
    ({"warm_start": "synflow"}, "warm_start"),
    ({"warm_start_pool": 0}, "warm_start_pool"),
    ({"proxy_moves": 3}, "proxy_moves"),
    ({"warm_start": Closeness(), "proxy_moves": 0}, "proxy_moves"),
])
@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_bad_warm_start_parameters_name_the_parameter(tmp_path, name, kwargs, param):
    with pytest.raises(ValueError, match=param):
        build(name, tmp_path, **kwargs)


def test_bananas_refuses_an_encoding_the_space_does_not_offer(tmp_path):
    """(an encoding taken by name on a space that offers it: tests/integration/test_searchers_on_nb201.py)"""
    with pytest.raises(ValueError, match="encoding"):
        build("bananas", tmp_path, encoding="path")  # the digit space offers only its default


class Oracle(Predictor):
    """Predicts the accuracy exactly from the one-hot digits: the ideal surrogate."""

    @overrides
    def fit(self, encoded_archs, y):
        self.targets = np.asarray(y).shape[1]
        return self

    @overrides
    def predict(self, encoded_archs):
        digits = np.asarray(encoded_archs).reshape(len(encoded_archs), len(TARGET), -1).argmax(axis=2)
        minimised = np.abs(digits - np.array(TARGET)).sum(axis=1, keepdims=True) - 100.0
        return MeanVar(minimised, np.zeros_like(minimised))


def queries_to_target(tmp_path, surrogate, seed):
    searcher = LocalSearch(DigitSpace(seed), objectives(), str(tmp_path / f"{seed}{type(surrogate).__name__}"),
                           num_iters=60, init_num_models=5, surrogate_model=surrogate, surrogate_min_points=5,
                           seed=seed)
    searcher.progress = False
    rows = [a for e in searcher.search().results for a in e["archid"]]
    target = "d" + "".join(map(str, TARGET))
    return rows.index(target) if target in rows else len(rows), rows


def test_model_guided_local_search_walks_neighbourhoods_best_predicted_first(tmp_path):
    guided = [queries_to_target(tmp_path, Oracle(), s)[0] for s in (1, 2, 3)]
    plain = [queries_to_target(tmp_path, None, s)[0] for s in (1, 2, 3)]
    assert all(g < p for g, p in zip(guided, plain)), (guided, plain)


def test_model_guided_local_search_refuses_a_non_predictor_and_an_unknown_encoding(tmp_path):
    """(seeded with a stochastic predictor: tests/integration/test_searchers_with_predictors.py)"""
    with pytest.raises(ValueError, match="surrogate_model"):
        LocalSearch(DigitSpace(), objectives(), str(tmp_path), surrogate_model="boosted_trees")
    with pytest.raises(ValueError, match="encoding"):
        LocalSearch(DigitSpace(), objectives(), str(tmp_path), encoding="path")
