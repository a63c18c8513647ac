"""The official NATS-Bench topology files (``NATS-tss-v1_0-3ffb9-simple``) as a table.

That directory holds ``meta.pickle.pbz2`` (the 15,625 cell strings in index order) and one
``{index:06d}.pickle.pbz2`` per architecture (bz2-compressed pickles of plain dicts: per
training schedule ``"12"`` / ``"200"``, per ``(dataset, seed)``, the accuracies after every epoch,
parameters and FLOPs). Archai users point ``natsbench_location`` at it, so it is read here, never
with ``pickle.load``: the restricted unpickler knows only the three constructors the format uses.

Reading every architecture file takes minutes, so an architecture's numbers are read the first
time one of them is asked for (``Nb201Table.value``); ``NatsbenchDirTable.load_all()`` reads them
all. The columns are the shipped table's, computed as it was: 200-epoch test accuracy averaged
over seeds (``ori-test`` for CIFAR-10, ``x-test`` for CIFAR-100 and ImageNet16-120), 12-epoch
validation/test accuracies, parameters and FLOPs of the 12-epoch records. ``iso_group`` (which
cells compute the same function) comes from the shipped table by cell string; latencies are not
part of NATS-Bench and are absent.
"""
from __future__ import annotations

import bz2
import collections
import os
import threading
from typing import Dict, List, Optional

import numpy as np

from nas_kernel.toolbox.safe_pickle import restricted_loads
from nas_search_spaces.nb201.table import NUM_ARCHS, Nb201Table

META = "meta.pickle.pbz2"
#: (column stem, schedule, NATS-Bench dataset, evaluation set, average over seeds)
_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16": "ImageNet16-120"}
_TEST_SET_200 = {"cifar10": "ori-test", "cifar100": "x-test", "imagenet16": "x-test"}


def _allowed():
    from numpy._core import multiarray

    return {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "scalar"): multiarray.scalar,  # files written with numpy 1.x
        ("numpy._core.multiarray", "scalar"): multiarray.scalar,
    }


def is_natsbench_dir(path: str) -> bool:
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, META))


def read_pbz2(path: str):
    """One file of the format, decompressed and unpickled with the restricted unpickler."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        data = bz2.decompress(raw)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a bz2-compressed NATS-Bench file ({exc})") from None
    return restricted_loads(data, _allowed())


def _last(acc: dict, prefix: str, epochs: int) -> Optional[float]:
    value = acc.get(f"{prefix}@{epochs - 1}")
    return None if value is None else float(value)


def _mean(values: List[Optional[float]]) -> float:
    found = [v for v in values if v is not None]
    return float(np.mean(found)) if found else float("nan")


def columns_of(record: dict) -> Dict[str, float]:
    """The shipped table's metric columns from one architecture file."""
    out: Dict[str, float] = {}
    short, full = record.get("12", {}).get("all_results", {}), record.get("200", {}).get("all_results", {})
    for stem, name in _DATASETS.items():
        test_set = _TEST_SET_200[stem]
        out[f"{stem}_test_acc"] = _mean([_last(r["eval_acc1es"], test_set, r["epochs"])
                                         for (ds, _), r in full.items() if ds == name])
        valid_name = "cifar10-valid" if stem == "cifar10" else name
        out[f"{stem}_valid_acc_12ep"] = _mean([_last(r["eval_acc1es"], "x-valid", r["epochs"])
                                               for (ds, _), r in short.items() if ds == valid_name])
        out[f"{stem}_test_acc_12ep"] = _mean([_last(r["eval_acc1es"], "ori-test" if stem == "cifar10" else "x-test",
                                                    r["epochs"]) for (ds, _), r in short.items() if ds == name])
        cost = next((r for (ds, _), r in short.items() if ds == name), None)
        out[f"params_mb_{stem}"] = float(cost["params"]) if cost else float("nan")
        out[f"flops_m_{stem}"] = float(cost["flop"]) if cost else float("nan")
    return out


class NatsbenchDirTable(Nb201Table):
    """An ``Nb201Table`` over an official NATS-Bench directory; rows are read on first use."""

    def __init__(self, path: str) -> None:
        from nas_search_spaces.nb201.table import load_nb201_table

        meta = read_pbz2(os.path.join(path, META))
        archs = meta.get("meta_archs") if isinstance(meta, dict) else None
        if not isinstance(archs, list) or len(archs) != NUM_ARCHS or not all(isinstance(a, str) for a in archs):
            raise ValueError(f"{path}: {META} does not list the {NUM_ARCHS} NATS-Bench topology cells")
        shipped = load_nb201_table()
        try:
            iso = [int(shipped.iso_group[shipped.index_of[a]]) for a in archs]
        except KeyError as exc:
            raise ValueError(f"{path}: {META} names a cell that is not a NAS-Bench-201 cell: {exc}") from None
        metric_names = list(columns_of({}))
        header = ["index", "arch_str", "iso_group"] + metric_names
        rows = [[i, a, g] + [float("nan")] * len(metric_names) for i, (a, g) in enumerate(zip(archs, iso))]
        super().__init__(header, rows, path)
        self.directory = path
        self._read: set = set()
        self._lock = threading.Lock()

    def arch_file(self, index: int) -> str:
        return os.path.join(self.directory, f"{int(index):06d}.pickle.pbz2")

    def _ensure(self, index: int) -> None:
        if index in self._read:
            return
        with self._lock:
            if index in self._read:
                return
            path = self.arch_file(index)
            if not os.path.isfile(path):
                raise ValueError(f"{self.directory}: no file for architecture {index} ({os.path.basename(path)})")
            record = read_pbz2(path)
            if not isinstance(record, dict):
                raise ValueError(f"{path}: expected a mapping of training schedules, got {type(record).__name__}")
            for name, value in columns_of(record).items():
                self.columns[name][index] = value
            self._read.add(index)

    def value(self, index: int, column: str) -> float:
        self._ensure(int(index))
        return super().value(index, column)

    def load_all(self) -> None:
        """Read every architecture file now (minutes for the full benchmark)."""
        for index in range(len(self)):
            self._ensure(index)
