"""The behaviour every searcher owes its users, checked on each one with a tiny budget: the
kernel's conformance kit, then what the kit does not cover."""
import math
import os

import pandas as pd
import pytest

from nas_searchers.testing.digit_space import DigitSpace, best_archid, objectives
from nas_kernel.testing import parametrize_with_checks
from nas_searchers.testing.settings import TINY, build

NAMES = sorted(TINY)


def tiny(name):
    """The kit's searcher factory: ``make(output_dir)`` builds ``name`` anew on the digit space."""
    def make(output_dir):
        return build(name, DigitSpace(seed=1), objectives(multi=True), output_dir, seed=1)

    make.__qualname__ = make.__name__ = f"tiny_{name}"
    return make


@parametrize_with_checks([tiny(name) for name in NAMES])
def test_conformance(component, check):
    check(component)


def run(name, tmp_path, sub="run", seed=1, objs=None, **overrides):
    searcher = build(name, DigitSpace(seed=seed), objs or objectives(multi=True), tmp_path / sub, seed=seed,
                     **overrides)
    return searcher, searcher.search()


def state(path):
    return pd.read_csv(os.path.join(path, "search_state.csv")).drop(columns=["search_walltime_hours"])


@pytest.mark.parametrize("name", NAMES)
def test_tiny_budget_runs_and_exports(name, tmp_path):
    searcher, results = run(name, tmp_path)
    df = state(tmp_path / "run")
    assert len(df) > 0 and {"archid", "acc", "size"} <= set(df.columns)
    assert results.iteration_num >= 2
    assert searcher.rng is not None


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_run(name, tmp_path):
    run(name, tmp_path, "a", seed=5)
    run(name, tmp_path, "b", seed=5)
    pd.testing.assert_frame_equal(state(tmp_path / "a"), state(tmp_path / "b"))


@pytest.mark.parametrize("name", NAMES)
def test_on_start_iteration_fires_each_iteration(name, tmp_path):
    searcher = build(name, DigitSpace(), objectives(), tmp_path / "run")
    calls = []
    searcher.subscribe_start_iteration(calls.append)
    results = searcher.search()
    assert calls == list(range(1, len(calls) + 1))
    assert results.iteration_num <= len(calls) <= results.iteration_num + 1


@pytest.mark.parametrize("name", NAMES)
def test_constraints_are_respected(name, tmp_path):
    _, results = run(name, tmp_path, objs=objectives(constraint=(0, 10)))
    sizes = [v for entry in results.results for v in entry["size"]]
    assert sizes and all(0 <= s <= 10 for s in sizes)


@pytest.mark.parametrize("name", NAMES)
def test_constraints_rejecting_everything_end_the_search(name, tmp_path):
    from nas_kernel.loop import SearchFailed

    searcher = build(name, DigitSpace(), objectives(constraint=(-5, -1)), tmp_path / "run")
    searcher.sampling_patience = 3
    with pytest.raises(SearchFailed, match="no candidate"):
        searcher.search()


@pytest.mark.parametrize("name", NAMES)
def test_never_evaluates_an_archid_twice_at_one_budget(name, tmp_path):
    objs = objectives(multi=True)
    run(name, tmp_path, objs=objs, num_iters=TINY[name][1]["num_iters"] * 2)
    calls = objs.objectives["acc"]["evaluator"].calls
    assert len(calls) == len(set(calls)) > 0


@pytest.mark.parametrize("name", NAMES)
def test_failed_evaluations_never_win(name, tmp_path):
    objs = objectives(fail=[best_archid()])
    searcher, results = run(name, tmp_path, objs=objs, num_iters=TINY[name][1]["num_iters"] * 3)
    front = results.get_pareto_frontier()
    assert best_archid() not in [m.archid for m in front["models"]]
    assert all(not math.isnan(v) for v in front["evaluation_results"]["acc"])


@pytest.mark.parametrize("name", [n for n in NAMES if n != "bananas"])  # bananas' default surrogate is
def test_defaults_work(name, tmp_path):  # nas-predictors': tests/integration/test_searchers_with_predictors.py
    factory = TINY[name][0]
    searcher = factory(DigitSpace(), objectives(multi=True), str(tmp_path / "run"))
    searcher.progress = False
    results = searcher.search()
    assert results.iteration_num >= 2


def test_every_searcher_is_registered_under_its_name():
    import nas_searchers.plugin as plugin
    from nas_kernel import Searcher
    from nas_kernel.plugins import make_plugin_manager

    manager = make_plugin_manager(entrypoints=False)
    manager.register(plugin, name="searchers")
    assert manager.registry.names("searchers") == NAMES
    for name in NAMES:
        assert issubclass(manager.registry.get("searchers", name).load(), Searcher)
