"""Downloads against a local HTTP server on 127.0.0.1 serving small archives in the official
formats (their checksums are passed the way the official ones are: a ``Source`` of ``Remote``
files): success, a wrong checksum, a dropped connection resumed, a 404, a server that never
answers, two processes at once; and the providers' ``download``/``mirror`` parameters."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from .download_server import (FileServer, SilentServer, cifar100_archive, cifar10_archive, imagenet16_batches, md5,
                           mnist_files)
from nas_datasets.cifar10 import Cifar10
from nas_datasets.cifar100 import Cifar100
from nas_datasets.download import MNIST, DownloadError, Remote, Source, fetch
from nas_datasets.fashion_mnist import FashionMnist
from nas_datasets.imagenet16 import ImageNet16
from nas_datasets.mnist import Mnist
from nas_kernel.testing import check_dataset

CIFAR10_TGZ = cifar10_archive()
CIFAR100_TGZ = cifar100_archive()
MNIST_FILES = mnist_files()
FILES = {"cifar-10-python.tar.gz": CIFAR10_TGZ, "cifar-100-python.tar.gz": CIFAR100_TGZ, **MNIST_FILES}


def source(base, name="cifar-10-python.tar.gz", digest=None, unpack="cifar-10-batches-py"):
    return Source("test", base, (Remote(name, digest or md5(FILES[name])),), unpack=unpack)


@pytest.fixture(scope="module")
def server():
    with FileServer(FILES) as running:
        yield running


def leftovers(root):
    return sorted(n for n in os.listdir(root) if not n.startswith(".") or n.endswith(".part"))


def test_an_archive_is_fetched_checked_unpacked_and_read_once(server, tmp_path):
    root = str(tmp_path / "cifar10")
    fetch(source(server.url + "/ok"), root)
    assert leftovers(root) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]
    data = Cifar10(root=root, download=True, mirror=server.url + "/missing")  # there already: no request
    assert data.num_classes == 10 and data.input_shape == (3, 32, 32) and data.sizes()["test"] == 20
    fetch(source(server.url + "/ok"), root)
    assert server.requests[("ok", "cifar-10-python.tar.gz")] == 1 and ("missing", "cifar-10-python.tar.gz") not in (
        server.requests)


def test_a_wrong_checksum_names_the_file_and_both_digests_and_leaves_nothing(server, tmp_path):
    root = tmp_path / "bad"
    with pytest.raises(DownloadError) as info:
        fetch(source(server.url + "/ok", digest="0" * 32), str(root))
    message = str(info.value)
    assert "cifar-10-python.tar.gz" in message and "0" * 32 in message and md5(CIFAR10_TGZ) in message
    assert leftovers(root) == []


def test_a_connection_dropped_halfway_is_resumed_with_a_range_request(server, tmp_path):
    root = tmp_path / "resumed"
    fetch(source(server.url + "/drop", "cifar-100-python.tar.gz", unpack="cifar-100-python"), str(root))
    assert server.ranges["cifar-100-python.tar.gz"] == len(CIFAR100_TGZ) // 2  # went on from the kept half
    data = Cifar100(root=str(root))
    assert data.num_classes == 100 and data.sizes()["test"] == 30
    check_dataset(data)  # the kit's dataset checks


def test_a_404_is_a_clear_error(server, tmp_path):
    with pytest.raises(DownloadError, match=r"cifar-10-python.tar.gz from .*/missing/.*: HTTP 404"):
        fetch(source(server.url + "/missing"), str(tmp_path / "404"))
    assert leftovers(tmp_path / "404") == []


def test_a_server_that_never_answers_times_out(tmp_path):
    with SilentServer() as silent:
        with pytest.raises(DownloadError, match="after 2 tries: .*timed out"):
            fetch(source(silent.url), str(tmp_path / "silent"), timeout=0.5, tries=2)
    assert not (tmp_path / "silent" / "cifar-10-python.tar.gz").exists()


def test_two_processes_at_once_download_once_and_both_read(server, tmp_path):
    root = tmp_path / "shared"
    script = textwrap.dedent(f"""
        from nas_datasets.cifar10 import Cifar10
        from nas_datasets.download import Remote, Source, fetch
        fetch(Source("test", {server.url + '/slow'!r}, (Remote("cifar-10-python.tar.gz", {md5(CIFAR10_TGZ)!r}),),
                     unpack="cifar-10-batches-py"), {str(root)!r})
        print(Cifar10(root={str(root)!r}).sizes()["test"])
        """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    assert [out.strip() for out, _ in outs] == ["20", "20"]
    assert server.requests[("slow", "cifar-10-python.tar.gz")] == 1


def test_the_providers_fetch_from_a_mirror_against_the_published_checksums(server, tmp_path):
    """The generated files are not the official ones: the published MD5s reject them (exit 2 through
    ``nas search``), and nothing is left behind."""
    from nas_kernel.components import build_component
    from nas_kernel.experiment.errors import ConfigError

    root = str(tmp_path / "mnist")
    with pytest.raises(ConfigError) as info:
        build_component("datasets", "mnist", {"root": root, "download": True, "mirror": server.url + "/ok"})
    assert "train-images-idx3-ubyte.gz" in str(info.value) and MNIST.files[0].md5 in str(info.value)
    assert md5(MNIST_FILES["train-images-idx3-ubyte.gz"]) in str(info.value) and leftovers(root) == []
    with pytest.raises(DownloadError, match="cifar-10-python.tar.gz .* expected MD5 c58f30108f718f92721af3b95e74349a"):
        Cifar10(root=str(tmp_path / "c10"), download=True, mirror=server.url + "/ok")


def test_mnist_and_fashion_mnist_read_the_fetched_files(server, tmp_path):
    for cls in (Mnist, FashionMnist):
        root = str(tmp_path / cls.__name__)
        fetch(Source("test", server.url + "/ok", tuple(Remote(n, md5(d)) for n, d in MNIST_FILES.items())), root)
        data = cls(root=root, download=True, mirror=server.url + "/missing")  # all there: nothing fetched
        assert data.input_shape == (1, 28, 28) and data.sizes()["test"] == 15 and data.name == cls.source.name
    check_dataset(data)


def test_imagenet16_keeps_its_first_classes_from_the_users_batches(tmp_path):
    imagenet16_batches(str(tmp_path))
    data = ImageNet16(root=str(tmp_path))
    X, y = data.get_train()
    assert data.num_classes == 120 and tuple(X.shape[1:]) == (3, 16, 16)
    assert 0 <= int(y.min()) and int(y.max()) < 120
    total = sum(data.sizes().values())
    assert 0 < total < 11 * 40  # labels past 120 were left out
    check_dataset(data)
    with open(tmp_path / "val_data", "wb") as f:  # a crafted batch is refused, not run
        f.write(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with pytest.raises(Exception, match="refusing to load os.system"):
        ImageNet16(root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="train_data_batch_1"):
        ImageNet16(root=str(tmp_path / "none"))
    assert np.isfinite(X.numpy()).all()
