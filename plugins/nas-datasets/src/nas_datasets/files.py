"""Reading the user's array files safely, with messages that name the parameter at fault.

``.npy`` files are memory-mapped (``mmap_mode="r"``): opening one reads its header only, and
samples are read from disk when a batch needs them, so a file larger than memory still works on
the DataLoader path. ``.npz`` archives are zip files whose members numpy cannot map; they are read
whole (use ``.npy`` pairs for large data). Nothing is ever unpickled (``allow_pickle=False``).
"""
from __future__ import annotations

import os
from typing import Dict, Optional, Sequence

import numpy as np


def resolve_path(value, base_dir: Optional[str], what: str, folder: bool = False) -> str:
    """``value`` as an absolute path to an existing file (a folder when ``folder``); relative ones
    are taken from ``base_dir`` (the experiment file's folder) so workers with another working
    directory find the same file."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a file path, got {value!r}")
    path = os.path.expanduser(value)
    if not os.path.isabs(path):
        path = os.path.join(base_dir or os.getcwd(), path)
    path = os.path.normpath(path)
    if not os.path.exists(path):
        where = f" (relative paths are read from {base_dir or os.getcwd()})" if not os.path.isabs(value) else ""
        raise ValueError(f"{what}: no such {'folder' if folder else 'file'} {path}{where}")
    if os.path.isdir(path) != folder:
        raise ValueError(f"{what}: {path} is {'a file, expected a folder' if folder else 'a folder, expected a file'}")
    return path


def read_npy(path: str, what: str) -> np.ndarray:
    """The array in ``path``, memory-mapped."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{what}: cannot read {path} as a .npy array ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{what}: {path} is an .npz archive; name it in place of the X/y pair, or give a .npy file")
    return array


def read_npz(path: str, what: str, required: Sequence[str], optional: Sequence[str] = ()) -> Dict[str, np.ndarray]:
    """The named members of the archive ``path`` (``required`` ones must be there)."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{what}: cannot read {path} as an .npz archive ({exc})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{what}: {path} holds a single array; an .npz archive with X and y was expected "
                         "(or give {X: file.npy, y: file.npy})")
    with archive:
        names = set(archive.files)
        missing = [k for k in required if k not in names]
        if missing:
            raise ValueError(f"{what}: {path} has no array {' or '.join(repr(k) for k in missing)} "
                             f"(it holds {', '.join(sorted(names)) or 'nothing'})")
        try:
            return {k: archive[k] for k in list(required) + [k for k in optional if k in names]}
        except ValueError as exc:  # e.g. an object array, which would need pickle
            raise ValueError(f"{what}: cannot read {path} ({exc})") from None


def check_inputs(X: np.ndarray, what: str) -> None:
    """``X`` must be numbers shaped ``(N, C, H, W)`` or ``(N, features)``."""
    if X.ndim not in (2, 4):
        raise ValueError(f"{what}: X has shape {X.shape}; expected (N, C, H, W) images or (N, features) rows")
    if X.dtype == np.bool_ or not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise ValueError(f"{what}: X holds {X.dtype} values; expected integer or floating-point numbers")
    if len(X) == 0:
        raise ValueError(f"{what}: X has no samples")


def check_labels(y: np.ndarray, n: int, what: str) -> np.ndarray:
    """``y`` as int64: one integer label per sample, none negative."""
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{what}: y has shape {y.shape}; expected ({n},), one label per sample of X")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what}: y holds {y.dtype} values; labels must be integers (class indices 0..K-1)")
    y = np.asarray(y, dtype=np.int64)
    if y.min() < 0:
        raise ValueError(f"{what}: labels out of range: found {int(y.min())}; labels are class indices 0..K-1")
    return y
