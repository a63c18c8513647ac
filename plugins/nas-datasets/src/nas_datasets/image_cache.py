"""Decoded images kept as ``.npy`` arrays, so a folder of images is decoded once per run.

The entry's name is a hash of the files (names, sizes, modification times) and of the decoding
settings, so an edited folder gets a new entry instead of stale pixels. The first process to need
an entry decodes it under an exclusive lock while others wait, and publishes it with one atomic
rename; every later epoch, worker or resumed run memory-maps it.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from typing import List, Optional, Tuple

import numpy as np

from nas_datasets.image_files import decode

Files = List[Tuple[str, int, int, int, int]]  # image_files.scan: path, label, channels, bytes, mtime


def entry_name(root: str, files: Files, size: Tuple[int, int], channels: int) -> str:
    listing = [[rel, label, nbytes, mtime] for rel, label, _, nbytes, mtime in files]
    text = json.dumps({"root": root, "size": list(size), "channels": channels, "files": listing})
    return "images-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def decode_all(root: str, files: Files, size: Tuple[int, int], channels: int, out: Optional[np.ndarray] = None):
    """``(X uint8 (N, channels, H, W), y int64 (N,))`` of ``files``, decoded into ``out`` if given."""
    X = out if out is not None else np.empty((len(files), channels) + tuple(size), dtype=np.uint8)
    for i, (rel, *_) in enumerate(files):
        path = os.path.join(root, rel)
        try:  # every pixel is read here: a file whose header was fine can still be cut short
            X[i] = decode(path, size, channels)
        except (OSError, ValueError, SyntaxError) as exc:
            raise ValueError(f"cannot decode {path}: {exc}; replace or remove the file") from None
    return X, np.array([f[1] for f in files], dtype=np.int64)


def _load(entry: str):
    return (np.load(os.path.join(entry, "X.npy"), mmap_mode="r", allow_pickle=False),
            np.load(os.path.join(entry, "y.npy"), allow_pickle=False))


def cached_arrays(cache_dir: str, root: str, files: Files, size: Tuple[int, int], channels: int):
    """The decoded ``(X, y)`` of ``files`` from ``cache_dir``, decoding them first if no process has."""
    entry = os.path.join(cache_dir, entry_name(root, files, size, channels))
    done = os.path.join(entry, "source.json")
    if os.path.exists(done):
        return _load(entry)
    os.makedirs(cache_dir, exist_ok=True)
    with open(entry + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits here, then finds the entry
        try:
            if not os.path.exists(done):
                tmp = f"{entry}.tmp-{os.getpid()}"
                shutil.rmtree(tmp, ignore_errors=True)
                os.makedirs(tmp)
                X = np.lib.format.open_memmap(os.path.join(tmp, "X.npy"), mode="w+", dtype=np.uint8,
                                              shape=(len(files), channels) + tuple(size))
                try:
                    _, y = decode_all(root, files, size, channels, out=X)
                except ValueError:  # a bad image: no half-decoded entry is left behind
                    del X
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise
                X.flush()
                del X
                np.save(os.path.join(tmp, "y.npy"), y)
                with open(os.path.join(tmp, "source.json"), "w", encoding="utf-8") as f:
                    json.dump({"root": root, "images": len(files), "size": list(size), "channels": channels,
                               "decoded_by_pid": os.getpid()}, f)
                os.replace(tmp, entry)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return _load(entry)
