"""partial_training and the zero-cost proxies on nas-datasets' providers: the default dataset, a
user's memory-mapped .npy files read as tensors or through the DataLoader, and data that travels
to workers as its paths (moved from nas-evaluators' tests, which run without nas-datasets)."""
import pickle

import numpy as np
import pytest
import torch

from nas_datasets import Synthetic
from nas_evaluators.testing.models import cnn_model
from nas_kernel.api import ArchaiModel
from nas_kernel.components import build_component
from nas_evaluators import PartialTraining, ProcessPoolEvaluator
from nas_evaluators.batches import choose_loader, release_loaders, split_bytes


def test_default_dataset_and_synthetic_provider():
    ev = PartialTraining(epochs=1, progress_bar=False)  # embedded digits
    assert 0 <= ev.evaluate(cnn_model(4)) <= 1
    synth = Synthetic(input_shape=[1, 8, 8], num_classes=10, num_train=64, num_val=32, seed=0)
    assert 0 <= PartialTraining(synth, epochs=1, progress_bar=False).evaluate(cnn_model(4)) <= 1


@pytest.fixture(scope="module")
def npy_data(tmp_path_factory):
    """1x8x8 images of 10 classes in a memory-mapped .npy pair (400 digits, as a user's files)."""
    folder = tmp_path_factory.mktemp("npy")
    digits = build_component("datasets", "digits", {"test_fraction": 0.0})
    X, y = digits._arrays()["train"][:2]
    np.save(folder / "X.npy", X[:400])
    np.save(folder / "y.npy", y[:400])
    return build_component("datasets", "arrays", {"train": {"X": "X.npy", "y": "y.npy"}}, base_dir=str(folder))


def train(data, **kw):
    kw = {"epochs": 1, "batch_size": 32, "device": "cpu", "progress_bar": False, **kw}
    model = cnn_model(8)
    return PartialTraining(data, **kw).evaluate(model), model.metadata


def test_tensors_and_dataloader_train_the_same_model(npy_data):
    tensors, meta_t = train(npy_data, loader="tensors", act_beta=0.1)
    loaded, meta_l = train(npy_data, loader="dataloader", act_beta=0.1)
    assert (meta_t["loader"], meta_l["loader"]) == ("tensors", "dataloader")
    assert tensors == loaded
    crop_t, _ = train(npy_data, loader="tensors", random_crop=2, horizontal_flip=True)
    crop_l, _ = train(npy_data, loader="dataloader", random_crop=2, horizontal_flip=True)
    assert crop_t == crop_l != tensors


def test_loader_workers_are_spawned_once_and_give_the_same_scores(npy_data):
    ev = PartialTraining(npy_data, epochs=2, batch_size=32, device="cpu", progress_bar=False, loader="dataloader",
                         num_workers=1, eval_split="val")  # epoch 2's new order reaches the kept worker
    try:
        first, second = (ev.evaluate(ArchaiModel(cnn_model(8).arch, f"m{i}")) for i in range(2))
    finally:
        release_loaders()
    alone = [PartialTraining(npy_data, epochs=2, batch_size=32, device="cpu", progress_bar=False,
                             loader="tensors").evaluate(ArchaiModel(cnn_model(8).arch, f"m{i}")) for i in range(2)]
    assert [first, second] == alone


def test_auto_chooses_by_size(npy_data):
    size = split_bytes(npy_data)
    assert size == (npy_data.sizes()["train"] + npy_data.sizes()["val"]) * 64 * 4
    assert choose_loader("auto", npy_data, "cpu", memory=size * 4) == "tensors"
    assert choose_loader("auto", npy_data, "cpu", memory=size * 3) == "dataloader"
    assert choose_loader("tensors", npy_data, "cpu", memory=1) == "tensors"
    assert choose_loader("auto", npy_data, "cpu") == "tensors"  # a few hundred kB on this host


def test_bad_loader_settings_are_refused(npy_data):
    rows = build_component("datasets", "synthetic", {"input_shape": [6], "num_classes": 2})
    with pytest.raises(ValueError, match=r"random_crop and horizontal_flip need images \(C, H, W\); .* \(6,\)"):
        PartialTraining(rows, random_crop=2)
    with pytest.raises(ValueError, match="loader must be one of 'auto', 'tensors', 'dataloader'"):
        PartialTraining(npy_data, loader="stream")
    with pytest.raises(ValueError, match="num_workers must be >= 0"):
        PartialTraining(npy_data, num_workers=-1)
    with pytest.raises(ValueError, match="random_crop must be >= 0"):
        PartialTraining(npy_data, random_crop=-1)


def test_a_pool_job_carries_the_paths_not_the_data(tmp_path):
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(20_000, 1, 8, 8))
    X[:] = 1.0
    X.flush()
    np.save(tmp_path / "y.npy", np.arange(20_000) % 10)
    big = build_component("datasets", "arrays", {"train": {"X": "X.npy", "y": "y.npy"}}, base_dir=str(tmp_path))
    pool = ProcessPoolEvaluator(PartialTraining(big, device="cpu"), num_workers=2)
    assert (tmp_path / "X.npy").stat().st_size > 5_000_000
    assert len(pool._evaluator_blob) < 5_000  # the evaluator and its dataset: paths and settings



def test_zero_cost_minibatch_reads_only_its_rows(npy_data):
    from nas_evaluators.batches import rows_of
    from nas_evaluators.zero_cost import Synflow

    fresh = pickle.loads(pickle.dumps(npy_data))  # as a worker gets it: paths, no arrays, no tensors
    idx = torch.tensor([7, 0, 3])
    X, y = rows_of(fresh, "train", idx)
    assert not fresh._cache  # the split was never converted whole
    full_X, full_y = npy_data.get_train()
    assert torch.equal(X, full_X[idx]) and torch.equal(y, full_y[idx])
    proxy = Synflow(fresh, batch_size=8, device="cpu")
    assert np.isfinite(proxy.evaluate(cnn_model(4))) and not fresh._cache
