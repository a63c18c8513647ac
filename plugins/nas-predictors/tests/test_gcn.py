"""The graph predictor: it learns from how nodes are wired, extra features reach its head, it is
seeded, and rows that are not graphs are refused with the layout."""
import numpy as np
import pytest
from scipy.stats import kendalltau

from nas_predictors.testing import random_dags
from nas_predictors import GCNPredictor

FAST = dict(num_ensemble_members=3, num_layers=2, width=32, num_tr_steps=300)


def test_it_ranks_unseen_graphs_by_a_property_of_their_wiring():
    x, y = random_dags(300, seed=1)
    xt, yt = random_dags(200, seed=2)
    out = GCNPredictor(**FAST, seed=1).fit(x, y).predict(xt)
    assert out.mean.shape == (200, 1) and (out.var >= 0).all() and (out.var > 0).any()
    assert kendalltau(out.mean[:, 0], yt)[0] > 0.6


def test_extra_features_after_the_graph_reach_the_head():
    x, _ = random_dags(200, seed=3)
    rng = np.random.default_rng(3)
    extra = rng.uniform(-1, 1, size=(200, 2))
    y = np.stack([3 * extra[:, 0] + 90, extra[:, 1] ** 2], axis=1)  # the graphs carry nothing about y
    rows = np.concatenate([x, extra], axis=1)
    out = GCNPredictor(**FAST, seed=2).fit(rows[:150], y[:150]).predict(rows[150:])
    assert out.mean.shape == (50, 2)
    assert kendalltau(out.mean[:, 0], y[150:, 0])[0] > 0.8
    assert abs(out.mean[:, 0].mean() - y[150:, 0].mean()) < 1.0  # back on the target's scale


def test_same_seed_same_prediction_and_failed_targets_ignored():
    x, y = random_dags(80, seed=4)
    y[::7] = np.nan
    a = GCNPredictor(**FAST, seed=5).fit(x, y).predict(x[:9])
    b = GCNPredictor(**FAST, seed=5).fit(x, y).predict(x[:9])
    np.testing.assert_array_equal(a.mean, b.mean)
    assert np.isfinite(a.mean).all()


def test_rows_that_do_not_follow_the_graph_layout_are_refused():
    with pytest.raises(ValueError, match="node count"):
        GCNPredictor(**FAST).fit(np.random.default_rng(0).uniform(size=(20, 4)), np.arange(20.0))
    x, y = random_dags(10, seed=6)
    with pytest.raises(ValueError, match="needs at least"):
        GCNPredictor(**FAST).fit(x[:, :20], y)
    with pytest.raises(RuntimeError, match="before fit"):
        GCNPredictor().predict(x)


@pytest.mark.parametrize("kwargs,param", [({"num_layers": 0}, "num_layers"), ({"lr": 0}, "lr"),
                                          ({"weight_decay": -1}, "weight_decay"),
                                          ({"target_transform": "log"}, "target_transform"),
                                          ({"device": "tpu"}, "device")])
def test_bad_parameters_name_the_parameter(kwargs, param):
    with pytest.raises(ValueError, match=param):
        GCNPredictor(**kwargs)
