"""python: a function of the user's, imported from the experiment's folder, called again in workers."""
import pickle

import pytest
import torch

from .data_files import factory_module
from nas_datasets import PythonFunction
from nas_kernel import DatasetProvider
from nas_kernel.testing import check_dataset


@pytest.fixture
def folder(tmp_path):
    factory_module(tmp_path, "h13_user_data")
    return str(tmp_path)


def test_a_mapping_with_num_classes(folder):
    d = PythonFunction("h13_user_data:make", params={"n": 90}, base_dir=folder)
    assert isinstance(d, DatasetProvider) and d.num_classes == 3 and d.input_shape == (8,)
    assert d.sizes() == {"train": 60, "val": 30, "test": 0}
    assert [r["status"] for r in check_dataset(d)] == ["passed"] * 5


def test_pairs_only_train_and_a_provider(folder):
    pairs = PythonFunction("h13_user_data:pairs", base_dir=folder)
    assert pairs.sizes()["val"] == 10 and pairs.num_classes == 2
    split = PythonFunction("h13_user_data:only_train", val_fraction=0.5, seed=2, base_dir=folder)
    assert split.sizes() == {"train": 15, "val": 15, "test": 0}
    wrapped = PythonFunction("h13_user_data:provider", base_dir=folder)
    assert wrapped.input_shape == (5,) and wrapped.sizes()["test"] == 64
    assert [r["status"] for r in check_dataset(wrapped)] == ["passed"] * 5


def test_pickles_as_the_reference_and_rebuilds_the_same_data(folder):
    d = PythonFunction("h13_user_data:make", params={"n": 3000}, seed=1, base_dir=folder)
    X, _ = d.get_train()
    blob = pickle.dumps(d)
    assert len(blob) < 1_000 < X.numel() * 4
    assert torch.equal(pickle.loads(blob).get_train()[0], X)


@pytest.mark.parametrize("function, params, says", [
    ("h13_user_data", None, "function must be 'package.module:function'"),
    ("h13_absent_module:make", None, "function: cannot import 'h13_absent_module'"),
    ("h13_user_data:absent", None, "function: module 'h13_user_data' has no 'absent'"),
    ("h13_user_data:make", {"colour": 1}, "function: h13_user_data:make\\(\\*\\*params\\) failed: TypeError"),
    ("h13_user_data:not_data", None, "must return a dataset provider, \\(train, val\\[, test\\]\\)"),
    ("h13_user_data:float_labels", None, "function train: y holds float64 values; labels must be integers"),
])
def test_bad_functions_are_one_message(folder, function, params, says):
    with pytest.raises(ValueError, match=says):
        PythonFunction(function, params=params, base_dir=folder)
