"""Digits, synthetic data and the provider interface."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from nas_datasets import ArrayDataset, Digits, Synthetic
from nas_datasets.digits import load_digits_arrays
from nas_datasets.splits import split_indices


def test_packaged_digits_equal_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = load_digits_arrays()
    ref = datasets.load_digits()
    assert X.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(X.reshape(1797, 64), ref.data)
    np.testing.assert_array_equal(y, ref.target)


def test_digits_interface_and_standardisation():
    d = Digits(seed=0)
    X, y = d.get_train()
    assert X.dtype == torch.float32 and y.dtype == torch.int64
    assert tuple(X.shape[1:]) == d.input_shape == (1, 8, 8) and d.num_classes == 10
    assert abs(float(X.mean())) < 1e-4 and abs(float(X.std()) - 1) < 1e-2
    sizes = d.sizes()
    assert sum(sizes.values()) == 1797 and sizes["val"] == 359 and sizes["test"] == 180
    assert set(y.tolist()) == set(range(10))


def test_digits_split_is_deterministic_from_seed_and_disjoint():
    a, b, c = Digits(seed=3), Digits(seed=3), Digits(seed=4)
    assert torch.equal(a.get_val()[0], b.get_val()[0])
    assert not torch.equal(a.get_val()[0], c.get_val()[0])
    rest, val, test = split_indices(1797, (0.2, 0.1), 3)
    assert not set(rest) & set(val) and not set(val) & set(test) and len(rest) + len(val) + len(test) == 1797


def test_digits_without_test_split():
    d = Digits(test_fraction=0.0)
    assert d.sizes()["test"] == 0
    with pytest.raises(ValueError, match="no test split"):
        d.get_test()


@pytest.mark.parametrize("kwargs, word", [({"val_fraction": 0}, "val_fraction"), ({"test_fraction": 1.5}, "test_fraction")])
def test_digits_rejects_bad_fractions(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Digits(**kwargs)


def test_provider_pickles_small_without_tensor_cache():
    d = Digits()
    d.get_train()
    blob = pickle.dumps(d)
    assert len(blob) < 200_000  # uint8 arrays, not the float tensors
    again = pickle.loads(blob)
    assert torch.equal(again.get_train()[0], d.get_train()[0])


def test_synthetic_shapes_seed_and_learnable_signal():
    s = Synthetic(input_shape=[3, 4, 4], num_classes=3, num_train=60, num_val=30, num_test=0, seed=5)
    X, y = s.get_train()
    assert X.shape == (60, 3, 4, 4) and s.num_classes == 3 and s.input_shape == (3, 4, 4)
    assert torch.equal(X, Synthetic(input_shape=[3, 4, 4], num_classes=3, num_train=60, num_val=30, num_test=0,
                                    seed=5).get_train()[0])
    flat = Synthetic(input_shape=[16], num_classes=2, seed=1)
    assert flat.get_val()[0].shape == (64, 16)
    # class means are separated: nearest-mean on train stats classifies val well above chance
    Xt, yt = (t.numpy() for t in s.get_train())
    Xv, yv = (t.numpy() for t in s.get_val())
    means = np.stack([Xt[yt == k].mean(0) for k in range(3)])
    pred = ((Xv[:, None] - means[None]) ** 2).reshape(30, 3, -1).sum(-1).argmin(1)
    assert (pred == yv).mean() > 0.6


@pytest.mark.parametrize("kwargs, word", [({"num_classes": 1}, "num_classes"), ({"input_shape": [0, 2]}, "input_shape"),
                                          ({"num_val": 0}, "num_val")])
def test_synthetic_validates(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Synthetic(**kwargs)


def test_array_dataset_checks_shapes():
    with pytest.raises(ValueError, match="sample shapes"):
        ArrayDataset((np.zeros((2, 1, 4)), np.zeros(2)), (np.zeros((2, 1, 5)), np.zeros(2)), num_classes=2)


def test_importing_the_package_and_plugin_is_cheap():
    code = ("import sys, nas_datasets, nas_datasets.plugin; "
            "bad = [m for m in ('torch', 'sklearn') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_digits_does_not_import_sklearn():
    code = "import sys; from nas_datasets import Digits; Digits().get_train(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_built_in_providers_pass_the_kit():
    from nas_kernel.testing import check_dataset

    for provider in (Digits(seed=2), Synthetic(input_shape=[2, 4, 4], num_classes=3, num_train=30, num_val=9),
                     Synthetic(input_shape=[7], num_classes=2, num_test=0)):
        assert [r["status"] for r in check_dataset(provider)] == ["passed"] * 5
