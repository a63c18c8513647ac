"""arrays: the user's .npz / .npy files, checked when built, memory-mapped, pickled as paths."""
import os
import pickle

import numpy as np
import pytest
import torch

from .data_files import blobs
from nas_datasets import Arrays
from nas_kernel.testing import check_dataset


@pytest.fixture
def folder(tmp_path):
    X, y = blobs(150)
    np.savez(tmp_path / "all.npz", X=X[:100], y=y[:100], X_val=X[100:130], y_val=y[100:130], X_test=X[130:],
             y_test=y[130:])
    np.savez(tmp_path / "train.npz", X=X[:100], y=y[:100])
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    return tmp_path


def test_one_npz_with_its_own_val_and_test(folder):
    d = Arrays(path="all.npz", base_dir=str(folder))
    assert d.sizes() == {"train": 100, "val": 30, "test": 20}
    assert d.num_classes == 3 and d.input_shape == (1, 6, 6)
    X, y = d.get_train()
    assert abs(float(X.mean())) < 1e-4 and abs(float(X.std()) - 1) < 1e-2  # standardised with train stats
    np.testing.assert_array_equal(d.get_test()[1].numpy(), np.load(folder / "all.npz")["y_test"])
    assert [r["status"] for r in check_dataset(d)] == ["passed"] * 5


def test_npy_pair_is_memory_mapped_split_by_seed_and_pickled_as_paths(folder):
    d = Arrays(train={"X": "X.npy", "y": "y.npy"}, val_fraction=0.2, seed=4, base_dir=str(folder))
    X_source = d._arrays()["train"][0]
    assert isinstance(X_source, np.memmap)
    assert d.sizes() == {"train": 120, "val": 30, "test": 0}
    same, other = (Arrays(train={"X": "X.npy", "y": "y.npy"}, seed=s, base_dir=str(folder)) for s in (4, 5))
    assert torch.equal(d.get_val()[1], same.get_val()[1]) and not torch.equal(d.get_val()[0], other.get_val()[0])
    train_rows, val_rows = d._arrays()["train"][2], d._arrays()["val"][2]
    assert not set(train_rows) & set(val_rows) and len(train_rows) + len(val_rows) == 150
    blob = pickle.dumps(d)
    assert len(blob) < 3_000 and str(folder / "X.npy").encode() in blob
    again = pickle.loads(blob)
    assert torch.equal(again.get_val()[0], d.get_val()[0])
    assert [r["status"] for r in check_dataset(d)] == ["passed"] * 5


def test_a_large_npy_is_read_by_rows_not_whole(tmp_path):
    n = 4000  # 12 MB of uint8 images
    X = np.lib.format.open_memmap(tmp_path / "big_X.npy", mode="w+", dtype=np.uint8, shape=(n, 3, 32, 32))
    X[:] = np.arange(n, dtype=np.uint8)[:, None, None, None]
    X.flush()
    del X
    np.save(tmp_path / "big_y.npy", np.arange(n) % 10)
    d = Arrays(train={"X": str(tmp_path / "big_X.npy"), "y": str(tmp_path / "big_y.npy")}, standardize=False)
    assert os.path.getsize(tmp_path / "big_X.npy") > 12_000_000 and len(pickle.dumps(d)) < 3_000
    samples = d.torch_dataset("train")
    rows = d._arrays()["train"][2]
    batch = samples.__getitems__([5, 0, 3])
    for (x, label), i in zip(batch, (5, 0, 3)):
        assert x.shape == (3, 32, 32) and x.dtype == torch.float32
        assert float(x[0, 0, 0]) == rows[i] % 256 and int(label) == rows[i] % 10
    assert not d._cache  # the DataLoader path never converted the split whole


def test_relative_paths_follow_base_dir_and_absolute_paths_work_anywhere(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    assert Arrays(path=str(folder / "all.npz")).sizes()["val"] == 30
    with pytest.raises(ValueError, match=r"path: no such file .*all.npz \(relative paths are read from"):
        Arrays(path="all.npz")
    assert Arrays(train="train.npz", val={"X": "X.npy", "y": "y.npy"}, base_dir=str(folder)).sizes()["val"] == 150


def test_rows_without_standardising_and_explicit_num_classes(folder):
    d = Arrays(path="all.npz", standardize=False, num_classes=5, base_dir=str(folder))
    assert d.num_classes == 5
    np.testing.assert_allclose(d.get_val()[0].numpy(), np.load(folder / "all.npz")["X_val"])


def write(folder, name, **arrays):
    np.savez(folder / name, **arrays)
    return name


@pytest.mark.parametrize("params, says", [
    ({"path": "missing.npz"}, "path: no such file"),
    ({"path": "X.npy"}, "path: .*X.npy holds a single array"),
    ({"path": "bad_key.npz"}, "path: .*bad_key.npz has no array 'y' \\(it holds X, labels\\)"),
    ({"path": "bad_shape.npz"}, r"path: X has shape \(10, 3, 4\); expected \(N, C, H, W\) images or \(N, features\)"),
    ({"path": "bad_len.npz"}, r"path: y has shape \(9,\); expected \(10,\)"),
    ({"path": "float_labels.npz"}, "path: y holds float64 values; labels must be integers"),
    ({"path": "negative.npz"}, "path: labels out of range: found -1"),
    ({"path": "all.npz", "num_classes": 2}, r"path: labels out of range: found 2, but num_classes=2 allows 0..1"),
    ({"path": "one_class.npz"}, "path: every training label is 0; a classifier needs at least two classes"),
    ({"path": "half_val.npz"}, "path \\(X_val, y_val\\): .*has X_val but not its partner"),
    ({"path": "val_shape.npz"}, r"path \(X_val, y_val\): samples of shape \(5,\), but the training samples are \(4,\)"),
    ({"path": "text.npz"}, "path: X holds <U1 values"),
    ({"train": {"X": "X.npy", "y": "nope.npy"}}, "train.y: no such file"),
    ({"train": {"X": "X.npy"}}, "train must be an .npz path or a mapping"),
    ({"train": "train.npz", "path": "all.npz"}, "either path .* or train"),
    ({}, "path .* or train is required"),
    ({"path": "all.npz", "val": "train.npz"}, "val and test go with train"),
    ({"path": "all.npz", "val_fraction": 1.0}, "val_fraction must be in"),
])
def test_bad_data_is_one_message_naming_the_parameter(folder, params, says):
    write(folder, "bad_key.npz", X=np.zeros((4, 2)), labels=np.zeros(4, int))
    write(folder, "bad_shape.npz", X=np.zeros((10, 3, 4)), y=np.zeros(10, int))
    write(folder, "bad_len.npz", X=np.zeros((10, 3)), y=np.zeros(9, int))
    write(folder, "float_labels.npz", X=np.zeros((3, 2)), y=np.array([0.0, 1.0, 1.0]))
    write(folder, "negative.npz", X=np.zeros((3, 2)), y=np.array([0, -1, 1]))
    write(folder, "one_class.npz", X=np.zeros((5, 2)), y=np.zeros(5, int))
    write(folder, "half_val.npz", X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]), X_val=np.zeros((2, 2)))
    write(folder, "val_shape.npz", X=np.zeros((4, 4)), y=np.array([0, 1, 0, 1]), X_val=np.zeros((2, 5)),
          y_val=np.array([0, 1]))
    write(folder, "text.npz", X=np.array([["a", "b"], ["c", "d"]]), y=np.array([0, 1]))
    with pytest.raises(ValueError, match=says):
        Arrays(base_dir=str(folder), **params)
