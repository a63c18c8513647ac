"""image_folder: PNG/JPEG class folders via Pillow, checked when built, decoded once into the cache."""
import json
import os
import pickle
import shutil

import numpy as np
import pytest
import torch

from .data_files import image_tree
from nas_datasets import ImageFolder
from nas_kernel.testing import check_dataset


def test_folder_is_scanned_resized_split_and_standardised(tmp_path):
    image_tree(tmp_path / "imgs")
    d = ImageFolder("imgs", size=[8, 6], seed=3, base_dir=str(tmp_path))
    assert d.classes == ["cat", "dog", "emu"] and d.num_classes == 3
    assert d.input_shape == (3, 8, 6) and d.sizes() == {"train": 14, "val": 4, "test": 0}
    X, y = d.get_train()
    assert X.shape == (14, 3, 8, 6) and abs(float(X.mean())) < 1e-4
    means = [float(X[y == k].mean()) for k in range(3)]
    assert means == sorted(means)  # brighter class folders are later classes: labels follow folder names
    assert [r["status"] for r in check_dataset(d)] == ["passed"] * 5


def test_val_and_test_folders_and_greyscale(tmp_path):
    image_tree(tmp_path / "train", mode="L")
    image_tree(tmp_path / "val", per_class=2, mode="L", seed=1)
    image_tree(tmp_path / "test", classes=("cat", "emu"), per_class=1, mode="L", seed=2)
    d = ImageFolder(str(tmp_path / "train"), size=5, val_root=str(tmp_path / "val"), test_root=str(tmp_path / "test"))
    assert d.input_shape == (1, 5, 5) and d.sizes() == {"train": 18, "val": 6, "test": 2}
    assert d.get_test()[1].tolist() == [0, 2]  # labels are the training folder's classes
    forced = ImageFolder(str(tmp_path / "train"), size=5, channels=3)
    assert forced.input_shape == (3, 5, 5) and forced.get_val()[0].shape[1] == 3


def test_decoded_once_into_the_output_dir_and_read_back_without_the_images(tmp_path):
    image_tree(tmp_path / "imgs")
    out = tmp_path / "run"
    d = ImageFolder("imgs", size=8, base_dir=str(tmp_path), output_dir=str(out))
    assert not out.exists()  # building it writes nothing
    blob = pickle.dumps(d)
    assert len(blob) < 5_000
    X, _ = d.get_train()
    entries = [e for e in os.listdir(out / "data_cache") if not e.endswith(".lock")]
    assert len(entries) == 1
    source = json.loads((out / "data_cache" / entries[0] / "source.json").read_text())
    assert source["images"] == 18 and source["decoded_by_pid"] == os.getpid()
    shutil.rmtree(tmp_path / "imgs")  # a second process (a worker) reads the cache, never the images
    again = pickle.loads(blob)
    assert torch.equal(again.get_train()[0], X)
    assert isinstance(again._arrays()["train"][0], np.memmap)


def test_a_changed_folder_gets_a_new_cache_entry(tmp_path):
    image_tree(tmp_path / "imgs")
    ImageFolder(str(tmp_path / "imgs"), size=4, output_dir=str(tmp_path / "run")).get_train()
    image_tree(tmp_path / "imgs", seed=9)  # same names, new pixels
    ImageFolder(str(tmp_path / "imgs"), size=4, output_dir=str(tmp_path / "run")).get_train()
    entries = [e for e in os.listdir(tmp_path / "run" / "data_cache") if not e.endswith(".lock")]
    assert len(entries) == 2


def test_bad_folders_are_one_message_naming_the_parameter(tmp_path):
    image_tree(tmp_path / "one", classes=("cat",))
    with pytest.raises(ValueError, match=r"root: .*one has 1 class folder\(s\) with images \(cat\); a classifier "
                                         "needs one sub-folder per class and at least two classes"):
        ImageFolder(str(tmp_path / "one"))
    image_tree(tmp_path / "mixed", modes={("dog", 2): "L"})
    with pytest.raises(ValueError, match=r"root: images have mixed channel counts: 1 \(.*dog/2.jpg\), 3 \(.*\); "
                                         "set channels: 1 or 3"):
        ImageFolder(str(tmp_path / "mixed"))
    assert ImageFolder(str(tmp_path / "mixed"), channels=3).input_shape[0] == 3
    image_tree(tmp_path / "broken")
    (tmp_path / "broken" / "dog" / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"root: cannot read .*bad.png as an image"):
        ImageFolder(str(tmp_path / "broken"))
    image_tree(tmp_path / "val", classes=("cat", "yak"))
    with pytest.raises(ValueError, match="val_root: .* has class folder\\(s\\) yak that the training folder lacks"):
        ImageFolder(str(tmp_path / "mixed"), val_root=str(tmp_path / "val"), channels=3)
    with pytest.raises(ValueError, match="root: no such folder"):
        ImageFolder("absent", base_dir=str(tmp_path))
    with pytest.raises(ValueError, match="size must be a positive integer or \\[height, width\\]"):
        ImageFolder(str(tmp_path / "mixed"), size=[0, 4])
    with pytest.raises(ValueError, match="channels must be 1, 3 or null"):
        ImageFolder(str(tmp_path / "mixed"), channels=2)
