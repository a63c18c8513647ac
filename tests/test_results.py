"""SearchResults and the Pareto rule: Archai's semantics, computed incrementally."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_kernel import SearchObjectives, SearchResults
from nas_kernel.pareto import non_dominated_sorting, pareto_front_indices
from toy import Distance, Size, ToySpace, _model


def brute_force_front(points):
    """Archai's rule, written the slow obvious way."""
    uniq = {}
    for i, p in enumerate(points):
        if not np.isnan(p).any():
            uniq.setdefault(tuple(p), i)
    front = []
    for p, i in uniq.items():
        if not any(q != p and all(a <= b for a, b in zip(q, p)) for q in uniq):
            front.append(i)
    return sorted(front)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.sampled_from([0.0, 1.0, np.nan])),
                min_size=1, max_size=40))
def test_incremental_front_equals_the_definition(rows):
    points = np.array(rows, dtype=float)
    assert pareto_front_indices(points) == brute_force_front(points)


def test_duplicates_only_first_is_on_the_front_and_nan_never():
    points = np.array([[1.0, 1.0], [1.0, 1.0], [np.nan, 0.0], [0.0, 2.0]])
    assert pareto_front_indices(points) == [0, 3]


def test_non_dominated_sorting_covers_every_point_once():
    points = np.array([[1, 1], [2, 2], [0, 3], [3, 0], [np.nan, 1], [2, 2]], dtype=float)
    fronts = non_dominated_sorting(points)
    assert fronts[0] == [0, 2, 3] and fronts[1] == [1, 5] and fronts[-1] == [4]
    assert sorted(itertools.chain(*fronts)) == list(range(len(points)))


def make_results(iterations):
    so = SearchObjectives()
    so.add_objective("distance", Distance(), higher_is_better=False)
    so.add_objective("size", Size(), higher_is_better=True, compute_intensive=False)
    results = SearchResults(ToySpace(), so)
    for xs in iterations:
        models = [_model(x) for x in xs]
        results.add_iteration_results(models, so.eval_all_objs(models), {"parent": ["p"] * len(xs)})
    return results


def test_search_state_columns_follow_archai_and_is_pareto_is_over_all_iterations(tmp_path):
    results = make_results([[4000, 5000], [6000, 5000]])
    df = results.get_search_state_df()
    assert list(df.columns) == ["archid", "distance", "size", "parent", "iteration_num",
                                "search_walltime_hours", "is_pareto"]
    assert df["iteration_num"].tolist() == [0, 0, 1, 1]
    # 5000 (distance 0) and 6000 (bigger size) are on the front; the duplicate 5000 is not flagged
    assert df["is_pareto"].tolist() == [False, True, True, False]
    path = tmp_path / "state.csv"
    results.save_search_state(str(path))
    assert path.read_text().splitlines()[0] == "archid,distance,size,parent,iteration_num,search_walltime_hours,is_pareto"


def test_pareto_frontier_over_an_iteration_range():
    results = make_results([[5000], [6000], [7000]])
    assert [m.archid for m in results.get_pareto_frontier()["models"]] == ["x5000", "x6000", "x7000"]
    front = results.get_pareto_frontier(start_iteration=1, end_iteration=2)
    assert [m.archid for m in front["models"]] == ["x6000"] and front["iteration_nums"].tolist() == [1]
    assert results.all_evaluated_objs["size"].dtype == np.float32


def test_mismatched_columns_are_refused():
    results = make_results([])
    with pytest.raises(ValueError, match="lacks objective"):
        results.add_iteration_results([_model(1)], {"distance": [1.0]})
    with pytest.raises(ValueError, match="has 2 values for 1 models"):
        results.add_iteration_results([_model(1)], {"distance": [1.0], "size": [1.0, 2.0]})


def test_pareto_models_and_plots_are_written_with_safe_names(tmp_path):
    results = make_results([[5000, 6000], [7000]])
    saved = results.save_pareto_frontier_models(str(tmp_path / "models"))
    assert sorted(p.rsplit("/", 1)[1] for p in saved) == ["x5000", "x6000", "x7000"]
    plots = results.save_all_2d_pareto_evolution_plots(str(tmp_path / "plots"))
    assert [p.rsplit("/", 1)[1] for p in plots] == ["pareto_distance_vs_size.png"]
    assert (tmp_path / "plots" / "pareto_distance_vs_size.png").stat().st_size > 1000


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.sampled_from([0.0, 1.0, 2.0, np.nan])),
                min_size=1, max_size=30))
def test_front_ranks_follow_the_dominance_definition(rows):
    from nas_kernel.pareto import front_ranks

    points = np.array(rows, dtype=float)
    ranks = front_ranks(points)
    ok = [i for i in range(len(points)) if not np.isnan(points[i]).any()]

    def dominates(a, b):
        return bool(np.all(points[a] <= points[b]) and np.any(points[a] < points[b]))

    for i in ok:
        assert not any(dominates(j, i) for j in ok if ranks[j] >= ranks[i])  # nothing in its front or later beats it
        if ranks[i] > 0:
            assert any(dominates(j, i) for j in ok if ranks[j] == ranks[i] - 1)  # the previous front does
    assert all(ranks[i] > max([ranks[j] for j in ok], default=-1) for i in range(len(points)) if i not in ok)
