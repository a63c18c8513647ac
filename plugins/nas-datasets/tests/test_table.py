"""The ``table`` dataset: CSV and Parquet through pandas, categorical columns one-hot encoded and
numeric ones standardised with the training split only, and bad tables refused through the real
``nas search`` with one exit-2 line naming the key."""
import os

import numpy as np
import pandas as pd
import pytest

from nas_datasets.table import Table

from .searching import nas_search


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame({"size": rng.normal(50, 10, n), "colour": rng.choice(["red", "green", "blue"], n),
                         "smoker": rng.choice([True, False], n), "label": rng.choice(["yes", "no"], n),
                         "price": rng.normal(3.0, 1.0, n)})


def test_csv_rows_are_encoded_with_the_training_split_only(tmp_path, frame):
    frame.to_csv(tmp_path / "t.csv", index=False)
    table = Table("t.csv", target="label", features=["size", "colour", "smoker"], base_dir=str(tmp_path))
    assert table.feature_names == ["size", "colour=blue", "colour=green", "colour=red", "smoker=False", "smoker=True"]
    assert (table.input_shape, table.num_classes, table.classes, table.task) == ((6,), 2, ["no", "yes"], "classification")
    X, y = table.get_train()
    Xv, _ = table.get_val()
    assert str(X.dtype) == "torch.float32" and str(y.dtype) == "torch.int64" and len(y) == 160 and len(Xv) == 40
    assert abs(float(X[:, 0].mean())) < 1e-5 and abs(float(X[:, 0].std(unbiased=False)) - 1) < 1e-4
    assert abs(float(Xv[:, 0].mean())) > 1e-3  # the validation rows were not used for the statistics
    assert set(X[:, 1:4].sum(1).tolist()) == {1.0}  # one colour each


def test_parquet_regression_targets_are_floats_standardised_on_training(tmp_path, frame):
    frame.to_parquet(tmp_path / "t.parquet")
    table = Table(str(tmp_path / "t.parquet"), target="price", task="regression", test_fraction=0.1)
    X, y = table.get_train()
    assert str(y.dtype) == "torch.float32" and abs(float(y.mean())) < 1e-5 and table.num_classes == 1
    assert table.input_shape == (8,) and table.sizes() == {"train": 140, "val": 40, "test": 20}
    clone = __import__("pickle").loads(__import__("pickle").dumps(table))  # pickles as its path: reads again
    assert clone._splits is None and np.array_equal(clone.get_val()[1].numpy(), table.get_val()[1].numpy())


EXPERIMENT = """\
output_dir: run
search_space: {{name: integers}}
objectives:
  - {{name: score, higher_is_better: true, evaluator: {{name: nearest_mean, params: {{dataset: {{name: table, params: {params}}}}}}}}}
searcher: {{name: sampling, params: {{num_iters: 1}}}}
"""


@pytest.mark.parametrize("params, message", [
    ("{path: t.csv, target: cost}", "key 'objectives[0].evaluator.params.dataset.params': dataset 'table' refused its "
     "parameters: target: no column 'cost' in {dir}/t.csv; its columns are: size, colour, smoker, label, price"),
    ("{path: t.csv, target: label, task: regression}", "key 'objectives[0].evaluator.params.dataset.params': dataset "
     "'table' refused its parameters: target: column 'label' is not numeric (it holds 'yes'); task: regression "
     "needs numbers (or use task: classification)"),
], ids=["no-such-target", "text-target-for-regression"])
def test_a_bad_table_is_one_line_exit_2(tmp_path, frame, params, message):
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "experiment.yaml").write_text(EXPERIMENT.format(params=params))
    done = nas_search("experiment.yaml", tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"nas: error: experiment.yaml: {message.format(dir=tmp_path)}"]
    assert not os.path.exists(tmp_path / "run")


def test_arrays_take_float_targets_for_regression_and_name_the_setting_otherwise(tmp_path):
    from nas_datasets.arrays import Arrays

    rng = np.random.default_rng(1)
    np.savez(tmp_path / "r.npz", X=rng.normal(size=(50, 4)).astype("float32"), y=rng.normal(size=50))
    data = Arrays("r.npz", task="regression", base_dir=str(tmp_path))
    X, y = data.get_train()
    assert str(y.dtype) == "torch.float32" and data.num_classes == 1 and data.task == "regression" and len(y) == 40
    with pytest.raises(ValueError, match=r"path: y holds float64 values; labels must be integers \(class indices "
                                         r"0..K-1\), or set task: regression for float targets"):
        Arrays("r.npz", base_dir=str(tmp_path))
