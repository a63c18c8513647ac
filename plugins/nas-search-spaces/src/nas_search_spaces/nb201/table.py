"""The NAS-Bench-201 table shipped with this package (``data/nb201.csv.gz``; sources, columns and
licences in the package README). Loaded with the csv module and numpy (no pandas import) and
cached per process and per file, because benchmark runs query it thousands of times."""
from __future__ import annotations

import csv
import gzip
import io
import os
import threading
from importlib import resources
from typing import Dict, List, Optional

import numpy as np

TEXT_COLUMNS = ("arch_str",)
INT_COLUMNS = ("index", "iso_group")
NUM_ARCHS = 15625

_CACHE: Dict[tuple, "Nb201Table"] = {}
_LOCK = threading.RLock()  # re-entrant: the NATS-Bench directory reader loads the shipped table inside


class Nb201Table:
    """Columns of the table as numpy arrays, row ``i`` = architecture index ``i``."""

    def __init__(self, header: List[str], rows: List[List[str]], source: str) -> None:
        self.source = source
        self.columns: Dict[str, np.ndarray] = {}
        by_column = list(zip(*rows))
        for name, values in zip(header, by_column):
            if name in TEXT_COLUMNS:
                continue
            dtype = np.int64 if name in INT_COLUMNS else np.float64
            self.columns[name] = np.array(values, dtype=dtype)
        self.arch_str: List[str] = list(by_column[header.index("arch_str")])
        if len(self.arch_str) != NUM_ARCHS or not np.array_equal(self.columns["index"], np.arange(NUM_ARCHS)):
            raise ValueError(f"{source}: expected {NUM_ARCHS} rows ordered by index 0..{NUM_ARCHS - 1}")
        self.index_of: Dict[str, int] = {s: i for i, s in enumerate(self.arch_str)}
        self.iso_group: np.ndarray = self.columns["iso_group"]
        self.representatives: List[int] = sorted(set(self.iso_group.tolist()))

    @property
    def metric_names(self) -> List[str]:
        return [c for c in self.columns if c not in INT_COLUMNS]

    def value(self, index: int, column: str) -> float:
        return float(self.columns[column][index])

    def __len__(self) -> int:
        return len(self.arch_str)


def default_location() -> str:
    return str(resources.files("nas_search_spaces").joinpath("data/nb201.csv.gz"))


#: the official NATS-Bench topology directory (what Archai's ``natsbench_location`` names)
NATSBENCH_DIR = "NATS-tss-v1_0-3ffb9-simple"


def load_nb201_table(location: Optional[str] = None) -> Nb201Table:
    """The table at ``location``, parsed once per process and file version: a table file
    (``.csv`` or ``.csv.gz``; default: the packaged copy), or the official NATS-Bench topology
    directory (``NATS-tss-v1_0-3ffb9-simple``, or a folder holding it), read by
    ``nas_search_spaces.nb201.natsbench_files``. Anything else is one ValueError saying so."""
    path = os.path.realpath(location or default_location())
    if os.path.isdir(path):
        return _load_natsbench_dir(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"natsbench_location {path!r}: no such file or directory")
    return _cached(path, path, _read)


def _cached(path: str, stamp_file: str, load) -> Nb201Table:
    """One table per (path, version of ``stamp_file``): a rewritten file is read again."""
    stat = os.stat(stamp_file)
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        table = _CACHE.get(key)
        if table is None:
            table = _CACHE[key] = load(path)
    return table


def _load_natsbench_dir(path: str) -> Nb201Table:
    from nas_search_spaces.nb201.natsbench_files import META, NatsbenchDirTable, is_natsbench_dir

    if not is_natsbench_dir(path) and is_natsbench_dir(os.path.join(path, NATSBENCH_DIR)):
        path = os.path.join(path, NATSBENCH_DIR)
    if not is_natsbench_dir(path):
        raise ValueError(f"natsbench_location {path!r}: a directory without {META}; expected the NATS-Bench "
                         f"topology directory ({NATSBENCH_DIR}) or a table file (.csv / .csv.gz)")
    return _cached(path, os.path.join(path, META), NatsbenchDirTable)


def _read(path: str) -> Nb201Table:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        reader = csv.reader(io.StringIO(raw.decode("utf-8")))
        header = next(reader)
    except (OSError, EOFError, UnicodeDecodeError, StopIteration, csv.Error):
        header = []
    missing = {"index", "arch_str", "iso_group"} - set(header)
    if missing:
        raise ValueError(f"natsbench_location {path!r}: not a NAS-Bench-201 table (missing columns "
                         f"{sorted(missing)}) and not the NATS-Bench topology directory ({NATSBENCH_DIR})")
    return Nb201Table(header, list(reader), path)
