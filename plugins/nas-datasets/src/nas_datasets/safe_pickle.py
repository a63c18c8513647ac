"""Loading CIFAR's python-pickle batches without letting a crafted file run code.

A pickle can name any importable callable and call it while loading. The CIFAR batches only need
numpy's array-reconstruction helpers (plus ``_codecs.encode``, which protocol-2 pickles use for
raw bytes), so the kernel's restricted unpickler is given exactly those names and refuses every
other global with ``pickle.UnpicklingError``. Everything else in a batch is plain dicts, lists,
ints and bytes, which pickle builds without any global lookup.
"""
from __future__ import annotations

import codecs

import numpy as np

from nas_kernel.toolbox.safe_pickle import restricted_loads


def _allowed():
    from numpy._core import multiarray, numeric  # numpy >= 2 (numpy.core is a deprecated alias)

    reconstruct, frombuffer = multiarray._reconstruct, numeric._frombuffer
    return {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): reconstruct,  # pickles written by numpy 1.x
        ("numpy._core.multiarray", "_reconstruct"): reconstruct,
        ("numpy.core.numeric", "_frombuffer"): frombuffer,
        ("numpy._core.numeric", "_frombuffer"): frombuffer,
        ("_codecs", "encode"): codecs.encode,
    }


def load_batch(path: str):
    """Unpickle one batch file (Python 2 batches need ``encoding='bytes'``); any global outside
    the numpy helpers above is refused with ``pickle.UnpicklingError``."""
    with open(path, "rb") as f:
        data = f.read()
    return restricted_loads(data, _allowed(), encoding="bytes")
