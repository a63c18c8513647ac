"""Loading CIFAR's python-pickle batches without letting a crafted file run code.

A pickle can name any importable callable and call it while loading. The CIFAR batches only need
numpy's array-reconstruction helpers (plus ``_codecs.encode``, which protocol-2 pickles use for
raw bytes), so :class:`RestrictedUnpickler` resolves exactly those names and refuses every other
global with :class:`pickle.UnpicklingError`. Everything else in a batch is plain dicts, lists,
ints and bytes, which pickle builds without any global lookup.
"""
from __future__ import annotations

import codecs
import io
import pickle

import numpy as np


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


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` knows only the numpy array helpers listed above."""

    def find_class(self, module: str, name: str):
        try:
            return _allowed()[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: a CIFAR batch only contains numpy arrays, "
                "lists, numbers and bytes") from None


def load_batch(path: str):
    """Unpickle one batch file (Python 2 batches need ``encoding='bytes'``)."""
    with open(path, "rb") as f:
        data = f.read()
    return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
