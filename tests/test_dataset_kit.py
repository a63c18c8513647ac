"""The dataset-provider contract and its kit checks: a good provider passes every check, and each
check fails, naming the provider, on one broken on purpose for exactly that check."""
import pickle

import pytest
import torch

from nas_kernel import DatasetProvider
from nas_kernel import testing as kit
from nas_kernel.api.dataset import get_split, input_shape, split_sizes, torch_dataset
from nas_kernel.testing import CheckFailed


class Blobs(DatasetProvider):
    """Two seeded Gaussian blobs of 1x4x4 images; a test split of 6."""

    def __init__(self, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.num_classes, self.input_shape = 2, (1, 4, 4)
        self._data = {s: (torch.randn(n, 1, 4, 4, generator=g), torch.arange(n) % 2)
                      for s, n in (("train", 20), ("val", 8), ("test", 6))}

    def get_train(self):
        return self._data["train"]

    def get_val(self):
        return self._data["val"]

    def get_test(self):
        return self._data["test"]


class DuckTyped:
    """Only the two reading methods and num_classes: the shape older providers have."""

    def __init__(self) -> None:
        self.num_classes = 3
        self._x, self._y = torch.zeros(9, 5), torch.arange(9) % 3

    def get_train(self):
        return self._x, self._y

    def get_val(self):
        return self._x[:3], self._y[:3]


class IntInputs(Blobs):
    def get_train(self):
        X, y = super().get_train()
        return X.to(torch.int64), y


class LabelTooLarge(Blobs):
    def get_val(self):
        X, y = super().get_val()
        return X, y + 1  # labels 1..2 with num_classes 2


class WrongSizes(Blobs):
    def sizes(self):
        return {"train": 20, "val": 8, "test": 0}


class ShapeLies(Blobs):
    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.input_shape = (4, 4)


class OtherSamples(Blobs):
    def torch_dataset(self, split):
        from torch.utils.data import TensorDataset

        X, y = self.get_split(split)
        return TensorDataset(X.flip(0), y.flip(0))


class Unpicklable(Blobs):
    def __getstate__(self):
        raise TypeError("holds an open file")


def test_good_providers_pass_every_check():
    for provider in (Blobs(), DuckTyped()):
        results = kit.check_dataset(provider)
        assert [r["status"] for r in results] == ["passed"] * 5


def test_duck_typed_objects_count_as_providers_and_get_the_defaults():
    duck = DuckTyped()
    assert isinstance(duck, DatasetProvider) and not isinstance(object(), DatasetProvider)
    assert input_shape(duck) == (5,)
    assert split_sizes(duck) == {"train": 9, "val": 3, "test": 0}
    with pytest.raises(ValueError, match="no test split"):
        get_split(duck, "test")
    assert len(torch_dataset(duck, "val")) == 3
    with pytest.raises(ValueError, match="split must be one of"):
        get_split(duck, "validation")


BROKEN_PROVIDERS = [
    (IntInputs(), "check_splits_are_float_and_int64_tensors", "float32"),
    (ShapeLies(), "check_splits_are_float_and_int64_tensors", "input_shape says"),
    (LabelTooLarge(), "check_labels_within_num_classes", "allows 0..1"),
    (WrongSizes(), "check_sizes_match_splits", "test=0"),
    (OtherSamples(), "check_torch_dataset_matches_tensors", "differs from row"),
    (Unpicklable(), "check_pickle_roundtrip_keeps_data", "does not pickle"),
]


@pytest.mark.parametrize("broken, check, message", BROKEN_PROVIDERS)
def test_each_check_catches_its_breakage(broken, check, message):
    with pytest.raises(CheckFailed, match=message) as info:
        getattr(kit, check)(broken)
    assert type(broken).__name__ in str(info.value)
    results = {r["check_name"]: r["status"] for r in kit.check_dataset(broken, on_fail=None)}
    assert results[check] == "failed"


def test_expected_failures_and_non_providers():
    results = kit.check_dataset(Unpicklable(), expected_failed_checks={
        "check_pickle_roundtrip_keeps_data": "keeps a file handle"})
    assert {r["status"] for r in results} == {"passed", "xfail"}
    with pytest.raises(TypeError, match=r"object is not a dataset \(DatasetProvider\)"):
        kit.check_dataset(object())
    assert kit.dataset_checks(object()) == []


def test_provider_pickles_and_reads_the_same():
    blobs = Blobs(seed=3)
    copy = pickle.loads(pickle.dumps(blobs))
    assert torch.equal(copy.get_val()[0], blobs.get_val()[0])
