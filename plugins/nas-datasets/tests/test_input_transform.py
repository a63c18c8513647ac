"""The preprocessing a provider applies is stated by ``input_transform()`` (the dataset contract):
applying it to ``raw_split()`` gives exactly the tensors the provider feeds a model."""
import numpy as np
import torch

from .data_files import image_tree
from nas_datasets import ImageFolder
from nas_datasets.digits import Digits
from nas_kernel.api.dataset import DatasetProvider, input_transform


def _apply(transform, raw):
    shape = (1, -1) + (1,) * (raw.ndim - 2)
    mean = np.asarray(transform["mean"], dtype=np.float32).reshape(shape)
    std = np.asarray(transform["std"], dtype=np.float32).reshape(shape)
    return (raw.astype(np.float32) - mean) / std


def test_digits_transform_reproduces_the_provider_tensors():
    digits = Digits(seed=2)
    transform = input_transform(digits)
    assert transform["input_shape"] == [1, 8, 8] and transform["channel_order"] is None
    assert "0..16" in transform["raw"] and len(transform["mean"]) == 1
    for split in ("train", "val", "test"):
        raw, labels = digits.raw_split(split)
        X, y = digits.get_split(split)
        assert raw.dtype == np.uint8 and np.array_equal(labels, y.numpy())
        assert torch.equal(torch.from_numpy(_apply(transform, raw)), X)


def test_image_folder_transform_names_size_and_channel_order(tmp_path):
    image_tree(tmp_path / "imgs")
    folder = ImageFolder("imgs", size=[8, 6], seed=3, base_dir=str(tmp_path))
    transform = folder.input_transform()
    assert transform["input_shape"] == [3, 8, 6] and transform["size"] == [8, 6]
    assert transform["channel_order"] == "RGB" and len(transform["mean"]) == len(transform["std"]) == 3
    raw, _ = folder.raw_split("val")
    assert torch.equal(torch.from_numpy(_apply(transform, raw)), folder.get_val()[0])


def test_a_provider_without_its_own_transform_says_inputs_are_fed_as_they_are():
    class Plain(DatasetProvider):
        num_classes, input_shape = 2, (3,)

        def get_train(self):
            return torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)

        def get_val(self):
            return self.get_train()

    transform = input_transform(Plain())
    assert transform["input_shape"] == [3] and transform["mean"] is None and transform["std"] is None
