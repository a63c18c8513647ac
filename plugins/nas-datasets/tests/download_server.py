"""Small archives in the official formats (CIFAR-10/100 tar.gz of pickled batches, MNIST's gzipped
IDX files, ImageNet16's pickled batches) and a local HTTP server on 127.0.0.1 that serves them,
honours Range requests, counts requests, and can drop a transfer halfway, answer 404, stream
slowly, or never answer at all."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import pickle
import socket
import struct
import tarfile
import threading
import time
from typing import Dict, Tuple

import numpy as np


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _batch(n: int, classes: int, seed: int, label_key: str = "labels", side: int = 32, first: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    batch = {b"data": rng.integers(0, 256, (n, 3 * side * side), dtype=np.uint8),
             label_key.encode(): [int(v) for v in rng.integers(first, first + classes, n)]}
    return pickle.dumps(batch, protocol=2)


def _tar_gz(members: Dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def cifar10_archive(n: int = 20) -> bytes:
    members = {f"cifar-10-batches-py/data_batch_{i}": _batch(n, 10, i) for i in range(1, 6)}
    members["cifar-10-batches-py/test_batch"] = _batch(n, 10, 9)
    return _tar_gz(members)


def cifar100_archive(n: int = 60) -> bytes:
    return _tar_gz({"cifar-100-python/train": _batch(n, 100, 1, "fine_labels"),
                    "cifar-100-python/test": _batch(n // 2, 100, 2, "fine_labels")})


def imagenet16_batches(folder: str, n: int = 40) -> None:
    """The user's ImageNet16 files: labels 1..1000 drawn from 1..240, so half are past 120."""
    os.makedirs(folder, exist_ok=True)
    for i in range(1, 11):
        with open(os.path.join(folder, f"train_data_batch_{i}"), "wb") as f:
            f.write(_batch(n, 240, i, side=16, first=1))
    with open(os.path.join(folder, "val_data"), "wb") as f:
        f.write(_batch(n, 240, 99, side=16, first=1))


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def mnist_files(n: int = 30) -> Dict[str, bytes]:
    rng = np.random.default_rng(0)
    return {"train-images-idx3-ubyte.gz": idx_gz(rng.integers(0, 256, (n, 28, 28))),
            "train-labels-idx1-ubyte.gz": idx_gz(rng.integers(0, 10, n)),
            "t10k-images-idx3-ubyte.gz": idx_gz(rng.integers(0, 256, (n // 2, 28, 28))),
            "t10k-labels-idx1-ubyte.gz": idx_gz(rng.integers(0, 10, n // 2))}


class FileServer:
    """Serves ``files`` (name -> bytes) under ``/<mode>/<name>``: ``ok``, ``drop`` (the first
    request for a file stops halfway), ``slow`` (about a second per file), ``missing`` (404)."""

    def __init__(self, files: Dict[str, bytes]) -> None:
        self.files = files
        self.requests: Dict[Tuple[str, str], int] = {}
        self.ranges: Dict[str, int] = {}
        self.dropped = set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                _, mode, name = self.path.split("/", 2)
                server.requests[(mode, name)] = server.requests.get((mode, name), 0) + 1
                data = server.files.get(name)
                if mode == "missing" or data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                if self.headers.get("Range"):
                    start = int(self.headers["Range"].split("=")[1].split("-")[0])
                    server.ranges[name] = start
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "drop" and name not in server.dropped:
                    server.dropped.add(name)
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                step = max(1, len(body) // 10)
                for i in range(0, len(body), step):
                    self.wfile.write(body[i:i + step])
                    if mode == "slow":
                        time.sleep(0.1)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers (the kernel's backlog completes them)."""

    def __enter__(self) -> "SilentServer":
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
