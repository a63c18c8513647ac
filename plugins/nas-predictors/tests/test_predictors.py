"""Every predictor: the kernel's conformance kit, (N, T) shapes, non-negative variance, seeded,
better than predicting the mean on a smooth function, failed (NaN) targets ignored, bad parameters
refused."""
import numpy as np
import pytest

from nas_kernel import MeanVar, Predictor
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.testing import parametrize_with_checks, with_inputs
from nas_predictors.testing import random_dags
from nas_predictors import (BoostedTreesPredictor, GaussianProcessPredictor, GCNPredictor, PredictiveDNNEnsemble,
                            RandomForestPredictor)

FAST = {
    "mlp_ensemble": lambda seed=1: PredictiveDNNEnsemble(num_ensemble_members=4, num_layers=2, width=32, lr=3e-3,
                                                         num_tr_steps=300, seed=seed),
    "gaussian_process": lambda seed=1: GaussianProcessPredictor(seed=seed),
    "random_forest": lambda seed=1: RandomForestPredictor(n_estimators=30, seed=seed),
    "boosted_trees": lambda seed=1: BoostedTreesPredictor(num_ensemble_members=3, n_estimators=60,
                                                          learning_rate=0.1, seed=seed),
}


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 4))
    y = np.stack([np.sin(2 * x[:, 0]) + x[:, 1] ** 2, x[:, 2] - 0.5 * x[:, 3]], axis=1)
    return x, y


def graphs():
    """``(X, y, X_new)`` of random graphs: the graph predictor reads only that layout."""
    x, y = random_dags(30, seed=8)
    return x[:24], y[:24], x[24:]


@parametrize_with_checks([FAST[name]() for name in sorted(FAST)]
                         + [with_inputs(GCNPredictor(num_ensemble_members=2, num_tr_steps=5), data=graphs())])
def test_conformance(component, check):
    check(component)


@pytest.fixture(params=sorted(FAST))
def make(request):
    return FAST[request.param]


def test_shapes_and_variance(make):
    x, y = data(60)
    out = make().fit(x, y).predict(x[:7])
    assert isinstance(out, MeanVar)
    assert out.mean.shape == (7, 2) and out.var.shape == (7, 2)
    assert (out.var >= 0).all() and np.isfinite(out.mean).all()


def test_one_dimensional_target_gives_one_column(make):
    x, y = data(40)
    out = make().fit(x, y[:, 0]).predict(x[:3])
    assert out.mean.shape == (3, 1) and out.var.shape == (3, 1)


def test_same_seed_same_prediction(make):
    x, y = data(50)
    a = make(seed=3).fit(x, y).predict(x[:5])
    b = make(seed=3).fit(x, y).predict(x[:5])
    np.testing.assert_allclose(a.mean, b.mean)
    np.testing.assert_allclose(a.var, b.var)


def test_beats_the_mean_predictor(make):
    x, y = data(150)
    xt, yt = data(100, seed=1)
    mean = make().fit(x, y).predict(xt).mean
    model_mse = ((mean - yt) ** 2).mean(axis=0)
    baseline_mse = ((y.mean(axis=0) - yt) ** 2).mean(axis=0)
    assert (model_mse < 0.5 * baseline_mse).all(), (model_mse, baseline_mse)


def test_failed_targets_are_ignored(make):
    x, y = data(50)
    y = y.copy()
    y[::5, 1] = np.nan
    out = make().fit(x, y).predict(x)
    assert np.isfinite(out.mean).all() and np.isfinite(out.var).all()


def test_predict_before_fit_is_an_error(make):
    with pytest.raises(RuntimeError, match="before fit"):
        make().predict(np.zeros((2, 4)))


@pytest.mark.parametrize("factory,kwargs,param", [
    (PredictiveDNNEnsemble, {"num_ensemble_members": 0}, "num_ensemble_members"),
    (PredictiveDNNEnsemble, {"lr": -1}, "lr"),
    (PredictiveDNNEnsemble, {"device": "tpu"}, "device"),
    (GaussianProcessPredictor, {"nu": 3}, "nu"),
    (RandomForestPredictor, {"n_estimators": 1}, "n_estimators"),
    (RandomForestPredictor, {"max_features": 2.0}, "max_features"),
    (BoostedTreesPredictor, {"num_ensemble_members": 0}, "num_ensemble_members"),
    (BoostedTreesPredictor, {"learning_rate": 0}, "learning_rate"),
    (BoostedTreesPredictor, {"subsample": 1.5}, "subsample"),
    (BoostedTreesPredictor, {"max_depth": 0}, "max_depth"),
])
def test_bad_parameters_name_the_parameter(factory, kwargs, param):
    with pytest.raises(ValueError, match=param):
        factory(**kwargs)


#: the torch predictors, each with rows it can fit (the graph predictor needs graphs)
TORCH = {
    "mlp_ensemble": (lambda **kw: PredictiveDNNEnsemble(num_tr_steps=5, **kw), lambda: data(30)),
    "gcn": (lambda **kw: GCNPredictor(num_ensemble_members=2, num_tr_steps=5, **kw),
            lambda: random_dags(30, seed=7)),
}


@pytest.mark.parametrize("name", sorted(TORCH))
@pytest.mark.parametrize("device", ["cpu", "auto", "cuda"])
def test_torch_predictors_follow_the_shared_device_rule(name, device):
    import torch

    make, rows = TORCH[name]
    if device == "cuda" and not torch.cuda.is_available():  # never a silent CPU run
        with pytest.raises(ValueError, match="^device is 'cuda' but torch sees no CUDA device"):
            make(device=device)
        with pytest.raises(ValueError, match="no CUDA device"):
            make(device="cpu").to_cuda()
        return
    x, y = rows()
    model = make(device=device).fit(x, y)
    expected = "cpu" if device == "cpu" or not torch.cuda.is_available() else "cuda"
    assert model._weights[0].device.type == expected
    assert model.predict(x).mean.shape == (30, 1 if y.ndim == 1 else y.shape[1])


def test_defaults_work():
    x, y = data(20)
    for factory in (GaussianProcessPredictor, RandomForestPredictor, BoostedTreesPredictor):
        assert factory().fit(x, y).predict(x).mean.shape == (20, 2)


def test_plugin_registers_every_predictor():
    import nas_predictors.plugin as plugin

    manager = make_plugin_manager(entrypoints=False)
    manager.register(plugin, name="predictors")
    names = manager.registry.names("predictors")
    assert names == ["boosted_trees", "gaussian_process", "gcn", "mlp_ensemble", "random_forest"]
    for name in names:
        factory = manager.registry.get("predictors", name).load()
        assert isinstance(factory(), Predictor)


def test_boosted_trees_members_differ_so_variance_is_informative():
    x, y = data(80)
    far = np.full((3, 4), 3.0)  # outside the training range
    out = BoostedTreesPredictor(num_ensemble_members=4, n_estimators=40, seed=2).fit(x, y).predict(
        np.concatenate([x[:3], far]))
    assert (out.var > 0).any()
    single = BoostedTreesPredictor(num_ensemble_members=1, n_estimators=40, seed=2).fit(x, y).predict(x[:3])
    assert np.all(single.var == 0)


def test_rank_gauss_keeps_the_order_and_maps_training_targets_back():
    from nas_predictors.data import RankGauss

    rng = np.random.default_rng(4)
    y = np.concatenate([rng.normal(90, 2, size=(95, 1)), np.full((5, 1), 10.0)])  # a chance-level tail
    scale = RankGauss(y)
    z = scale.forward(y)
    assert abs(z.mean()) < 0.05 and 0.9 < z.std() < 1.01  # normal scores, not raw accuracies
    order = np.argsort(y[:, 0], kind="stable")
    assert np.all(np.diff(z[order, 0]) >= 0)
    np.testing.assert_allclose(scale.back(np.sort(z, axis=0))[5:], np.sort(y, axis=0)[5:], atol=1e-9)
    beyond = scale.back(np.array([[z.max() + 1.0], [z.min() - 1.0]]))
    assert beyond[0, 0] > y.max() and beyond[1, 0] < y.min()  # extended past the ends, still monotone


@pytest.mark.parametrize("transform", ["rank_gauss", "standardize"])
def test_boosted_trees_predict_on_the_target_scale_under_either_transform(transform):
    x, y = data(120, seed=5)
    y = 90 + 3 * y
    out = BoostedTreesPredictor(num_ensemble_members=3, n_estimators=80, target_transform=transform,
                                seed=1).fit(x, y).predict(x)
    assert out.mean.shape == y.shape and np.all(out.var >= 0)
    assert abs(out.mean.mean() - y.mean()) < 1.0  # accuracies, not normal scores
    from scipy.stats import kendalltau

    assert kendalltau(out.mean[:, 0], y[:, 0])[0] > 0.7


def test_rank_gauss_lifts_the_ranking_when_a_tail_dominates_the_squared_loss():
    """A few chance-level rows (as in NAS-Bench-201) pull a squared-loss fit toward them; fitting
    the ranks ranks the held-out rows better."""
    from scipy.stats import kendalltau

    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, size=(600, 6))
    y = 90 + np.sin(3 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.3 * x[:, 3]
    y[x[:, 4] > 0.8] = 10.0  # 10 % of the rows collapse to chance level
    taus = {}
    for transform in ("rank_gauss", "standardize"):
        model = BoostedTreesPredictor(num_ensemble_members=2, n_estimators=150, target_transform=transform,
                                      seed=3).fit(x[:200], y[:200])
        good = y[200:] > 50
        taus[transform] = kendalltau(model.predict(x[200:][good]).mean[:, 0], y[200:][good])[0]
    assert taus["rank_gauss"] > taus["standardize"]


def test_boosted_trees_refuse_an_unknown_target_transform():
    with pytest.raises(ValueError, match="target_transform"):
        BoostedTreesPredictor(target_transform="log")
