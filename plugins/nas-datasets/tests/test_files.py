"""CIFAR-10 and MNIST from tiny fake files written in the real formats."""
import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from nas_datasets import Cifar10, Mnist
from nas_datasets.safe_pickle import load_batch


def write_cifar(folder, n=20, keys=bytes, protocol=2):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        batch = {keys(b"data" if keys is bytes else "data"): rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 keys(b"labels" if keys is bytes else "labels"): [int(v) for v in rng.integers(0, 10, n)],
                 keys(b"batch_label" if keys is bytes else "batch_label"): name.encode()}
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(batch, f, protocol=protocol)


@pytest.mark.parametrize("protocol", [2, 5])
def test_cifar10_loads_batches(tmp_path, protocol):
    write_cifar(tmp_path / "cifar-10-batches-py", protocol=protocol)
    d = Cifar10(root=str(tmp_path), seed=0, val_fraction=0.2)
    X, y = d.get_train()
    assert tuple(X.shape) == (80, 3, 32, 32) and d.sizes() == {"train": 80, "val": 20, "test": 20}
    assert d.input_shape == (3, 32, 32) and d.num_classes == 10
    assert abs(float(X.mean())) < 1e-3
    assert Cifar10(root=str(tmp_path), max_train=10).sizes()["train"] == 10


def test_cifar10_str_keys_work_too(tmp_path):
    write_cifar(tmp_path, keys=str, protocol=4)
    assert Cifar10(root=str(tmp_path)).sizes()["test"] == 20


def test_cifar10_missing_files_named(tmp_path):
    write_cifar(tmp_path)
    os.remove(tmp_path / "data_batch_3")
    with pytest.raises(FileNotFoundError, match="data_batch_3") as info:
        Cifar10(root=str(tmp_path))
    assert "test_batch" in str(info.value) and "download: true" in str(info.value)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar_unpickler_refuses_code(tmp_path):
    path = tmp_path / "evil"
    path.write_bytes(pickle.dumps({b"data": Boom()}))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load (posix|os)\.system: not one of the"):
        load_batch(str(path))


def write_idx(path, array, gz=False):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def write_mnist(folder, n=30, gz=False):
    rng = np.random.default_rng(1)
    write_idx(folder / "train-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), gz)
    write_idx(folder / "train-labels-idx1-ubyte", rng.integers(0, 10, n), gz)
    write_idx(folder / "t10k-images-idx3-ubyte", rng.integers(0, 256, (10, 28, 28)), gz)
    write_idx(folder / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 10), gz)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx(tmp_path, gz):
    write_mnist(tmp_path, gz=gz)
    d = Mnist(root=str(tmp_path), seed=2, val_fraction=0.2)
    X, y = d.get_train()
    assert tuple(X.shape) == (24, 1, 28, 28) and d.sizes() == {"train": 24, "val": 6, "test": 10}
    assert d.input_shape == (1, 28, 28)


def test_mnist_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        Mnist(root=str(tmp_path))
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05ab")
    with pytest.raises(ValueError, match="header says"):
        Mnist(root=str(tmp_path))
