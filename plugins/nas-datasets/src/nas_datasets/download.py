"""Fetching a data set's official files once, checked against their published checksums.

Why each step: a file is written to ``NAME.part`` and renamed into place only once its MD5 matches
the published one, so a reader never sees a half-written or corrupted file; an interrupted
transfer is resumed from the bytes already in ``.part`` (an HTTP ``Range`` request; a server that
ignores it sends the whole file again); two processes fetching into the same folder take an
exclusive lock per file, and the second one finds the file in place when it gets the lock. A
``mirror`` replaces the base URL only: the checksums still apply. Every failure is a
``DownloadError`` (a ``ValueError``: ``nas search`` exit 2) naming the file and what to do.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import socket
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

CHUNK = 1 << 20
#: seconds without a byte before a transfer counts as stalled, and tries per file
TIMEOUT, TRIES = 60.0, 3


class DownloadError(ValueError):
    """A file could not be fetched or did not match its checksum (nothing is left in its place)."""


@dataclass(frozen=True)
class Remote:
    """One published file: its name (under the base URL and on disk) and its published MD5."""

    filename: str
    md5: str


@dataclass(frozen=True)
class Source:
    """Where a data set's files are published; ``unpack`` names the folder a ``.tar.gz`` holds."""

    name: str
    base_url: str
    files: Tuple[Remote, ...]
    unpack: Optional[str] = None


def md5_of(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def locked(path: str) -> Iterator[None]:
    """An exclusive lock on ``path`` (a lock file beside the data) across processes."""
    import fcntl

    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def fetch(source: Source, root: str, *, mirror: Optional[str] = None, timeout: float = TIMEOUT,
          tries: int = TRIES) -> List[str]:
    """Every file of ``source`` in ``root`` (downloaded from ``mirror`` or the official base URL
    when missing), checked; a ``.tar.gz`` is unpacked once. Returns the files' paths."""
    os.makedirs(root, exist_ok=True)
    base = (mirror or source.base_url).rstrip("/") + "/"
    paths = []
    for remote in source.files:
        target = os.path.join(root, remote.filename)
        with locked(os.path.join(root, f".{remote.filename}.lock")):
            if not os.path.isfile(target):
                _download(base + remote.filename, target, remote, timeout=timeout, tries=tries)
            if source.unpack and not os.path.isdir(os.path.join(root, source.unpack)):
                _unpack(target, root, source.unpack)
        paths.append(target)
    return paths


def _download(url: str, target: str, remote: Remote, *, timeout: float, tries: int) -> None:
    part = target + ".part"
    last: Optional[BaseException] = None
    for _ in range(max(1, tries)):
        try:
            _transfer(url, part, timeout)
            break
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # the part is already whole (or longer): check it below
                break
            raise DownloadError(f"cannot download {remote.filename} from {url}: HTTP {exc.code} {exc.reason}. "
                                f"{_advice(target)}") from None
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError) as exc:
            last = exc  # dropped or stalled: try again from the bytes already kept
    else:
        reason = getattr(last, "reason", last)
        raise DownloadError(f"cannot download {remote.filename} from {url} after {max(1, tries)} tries: {reason}. "
                            f"{_advice(target)}") from None
    got = md5_of(part)
    if got != remote.md5:
        os.remove(part)
        raise DownloadError(f"{remote.filename} from {url} does not match its published checksum: expected MD5 "
                            f"{remote.md5}, got {got}; the file was removed. {_advice(target)}")
    os.replace(part, target)


def _transfer(url: str, part: str, timeout: float) -> None:
    """Append the rest of ``url`` to ``part`` (a Range request when some of it is there)."""
    have = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http/https base URLs)
        resumed = have and response.status == 206
        expected = response.headers.get("Content-Length")
        with open(part, "ab" if resumed else "wb") as out:
            received = 0
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                received += len(block)
        if expected is not None and received < int(expected):
            raise ConnectionError(f"connection closed after {received} of {expected} bytes")


def _unpack(archive: str, root: str, folder: str) -> None:
    """Extract ``archive`` beside it and move its ``folder`` into place in one rename."""
    scratch = tempfile.mkdtemp(prefix=".unpack-", dir=root)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(scratch, filter="data")  # no absolute paths, links out, devices
        unpacked = os.path.join(scratch, folder)
        if not os.path.isdir(unpacked):
            raise DownloadError(f"{archive} does not hold the folder {folder!r}")
        os.replace(unpacked, os.path.join(root, folder))
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


def _advice(target: str) -> str:
    return (f"Set the dataset's `mirror` to another base URL, or put the file there yourself ({target}) "
            "and leave `download` off.")


# ---- the official sources ----------------------------------------------------------------------
CIFAR10 = Source("cifar10", "https://www.cs.toronto.edu/~kriz",
                 (Remote("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),), unpack="cifar-10-batches-py")
CIFAR100 = Source("cifar100", "https://www.cs.toronto.edu/~kriz",
                  (Remote("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85"),), unpack="cifar-100-python")
MNIST = Source("mnist", "https://ossci-datasets.s3.amazonaws.com/mnist", (
    Remote("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    Remote("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    Remote("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    Remote("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")))
FASHION_MNIST = Source("fashion_mnist", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com", (
    Remote("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    Remote("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    Remote("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
    Remote("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")))
