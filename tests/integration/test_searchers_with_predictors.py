"""nas-searchers with nas-predictors' surrogates: BANANAS's default surrogate (the registered
`mlp_ensemble`), a Gaussian process's variance for expected improvement, and a stochastic
surrogate guiding local search reproducibly (moved from nas-searchers' tests, which use the
kernel's reference predictor)."""
from nas_predictors import BoostedTreesPredictor, GaussianProcessPredictor
from nas_searchers import LocalSearch, MoBananasSearch
from nas_searchers.testing.digit_space import DigitSpace, objectives
from nas_searchers.testing.settings import build


def test_bananas_defaults_work(tmp_path):
    searcher = MoBananasSearch(DigitSpace(), objectives(multi=True), str(tmp_path / "run"))
    searcher.progress = False
    # the default surrogate is the MLP ensemble: keep its cost small here
    searcher.surrogate_model.num_tr_steps = 50
    searcher.num_iters = 3
    results = searcher.search()
    assert results.iteration_num >= 2


def test_bananas_takes_any_predictor_and_records_predictions(tmp_path):
    searcher = build("bananas", DigitSpace(), objectives(multi=True), tmp_path, num_iters=3,
                     surrogate_model=GaussianProcessPredictor(max_optimizer_iters=10), acquisition="ei")
    results = searcher.search()
    last = results.results[-1]
    assert "Predicted acc mean" in last and "Predicted acc var" in last
    assert "Predicted size mean" not in last  # cheap objectives are computed, not predicted
    assert all(v >= 0 for v in last["Predicted acc var"])


def test_model_guided_local_search_with_boosted_trees_is_seeded(tmp_path):
    def run(out):
        searcher = LocalSearch(DigitSpace(1), objectives(), str(out), num_iters=60, init_num_models=5,
                               surrogate_model=BoostedTreesPredictor(num_ensemble_members=2, n_estimators=20, seed=1),
                               surrogate_min_points=5, seed=1)
        searcher.progress = False
        return [a for e in searcher.search().results for a in e["archid"]]

    assert run(tmp_path / "a") == run(tmp_path / "b")
