"""Latency lookup tables: built once on the target device, read by the ``latency_table`` evaluator.

A table is a JSON file (safe to load: no objects) holding, for one search space configuration,
the milliseconds of every distinct block (:mod:`nas_edge.block_contract`) and a fixed part.

A block timed alone pays the runtime's per-call cost (a Python call into torch, an onnxruntime
``run``: tens of microseconds, a large share of a small block) that a whole network pays once. So
that cost is measured on its own (a one-element ReLU) and taken off every block; the fixed part is
the median, over a few random architectures timed end to end, of what the whole network takes
beyond the sum of its blocks (that per-call cost once, the input's first copy, cache effects
between blocks). With
it, the device, the libraries and the timing settings it was built with, so a table carried to
another device, or read with other settings, is recognised.
"""
from __future__ import annotations

import datetime
import json
import os
import statistics
import time
from typing import Any, Callable, Dict, List, Optional

from nas_edge.device_info import describe, fingerprint, library_versions
from nas_edge.timing import TimingSettings, measure_ms

FORMAT = "nas-edge-latency-table"
VERSION = 1
MAX_TABLE_BYTES = 64 << 20


def build_table(space: Any, space_spec: Dict[str, Any], settings: TimingSettings, *, calibration: int = 8,
                progress: Optional[Callable[[int, int], None]] = None) -> Dict[str, Any]:
    """Time every block of ``space``'s universe, then ``calibration`` random architectures end to
    end, and return the table (a JSON-able dict). ``space_spec`` is how to rebuild the space
    (``{"name", "params", ...}``), recorded as is."""
    import torch

    started = time.perf_counter()
    universe = space.latency_block_universe()
    call_ms = measure_ms(torch.nn.ReLU(), torch.randn(1, 1, 1, 1), settings)
    blocks: Dict[str, Dict[str, Any]] = {}
    for i, block in enumerate(universe):
        module, example = space.build_latency_block(block)
        alone = measure_ms(module, example, settings)
        blocks[block["key"]] = {"ms": max(0.0, alone - call_ms), "alone_ms": alone,
                                "block": {k: v for k, v in block.items() if k != "key"}}
        if progress:
            progress(i + 1, len(universe) + calibration)
    rows = []
    for j in range(calibration):
        model = space.random_sample()
        measured = measure_ms(model.arch, torch.randn(*space.latency_input_shape(model)), settings)
        summed = sum(blocks[b["key"]]["ms"] for b in space.latency_blocks(model))
        rows.append({"archid": model.archid, "measured_ms": measured, "blocks_ms": summed})
        if progress:
            progress(len(universe) + j + 1, len(universe) + calibration)
    fixed = statistics.median(r["measured_ms"] - r["blocks_ms"] for r in rows) if rows else 0.0
    return {"format": FORMAT, "version": VERSION, "unit": "ms", "space": space_spec,
            "device": fingerprint(settings.device), "libraries": library_versions(settings.runtime),
            "settings": settings.to_dict(), "fixed_ms": fixed, "call_ms": call_ms, "blocks": blocks, "calibration": rows,
            "build_seconds": time.perf_counter() - started,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def save_table(table: Dict[str, Any], path: str) -> None:
    """Write atomically: a table is either whole or absent."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(table, f, indent=1, sort_keys=True)
    os.replace(partial, path)


def load_table(path: str) -> Dict[str, Any]:
    """A table read and checked; FileNotFoundError or ValueError naming the file otherwise."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"latency table {path!r} does not exist (build one with `nas latency-table build "
                                "EXPERIMENT.yaml -o TABLE`)")
    if os.path.getsize(path) > MAX_TABLE_BYTES:
        raise ValueError(f"latency table {path!r} is too large to be a table")
    try:
        with open(path, "r", encoding="utf-8") as f:
            table = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path!r} is not a latency table ({exc})") from None
    if not isinstance(table, dict) or table.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a latency table (no 'format: {FORMAT}')")
    if table.get("version") != VERSION:
        raise ValueError(f"latency table {path!r} has version {table.get('version')!r}; this nas-edge reads "
                         f"version {VERSION}")
    for key, kind in (("space", dict), ("device", dict), ("settings", dict), ("blocks", dict),
                      ("fixed_ms", (int, float)), ("libraries", dict)):
        if not isinstance(table.get(key), kind):
            raise ValueError(f"latency table {path!r}: {key!r} is missing or malformed")
    for key, row in table["blocks"].items():
        if not isinstance(row, dict) or not isinstance(row.get("ms"), (int, float)):
            raise ValueError(f"latency table {path!r}: block {key!r} has no 'ms'")
    return table


def mismatches(table: Dict[str, Any], expected: Dict[str, Any]) -> List[str]:
    """What differs between the table and this machine (for the table's own device) or the
    settings asked for (``expected``: setting -> value, only those given)."""
    problems = []
    settings = table["settings"]
    for key, value in expected.items():
        if settings.get(key) != value:
            problems.append(f"{key} is {settings.get(key)!r} in the table, {value!r} here")
    device = str(settings.get("device", "cpu"))
    here = _fingerprint_here(device)
    if here is None:
        problems.append(f"it was built on {device}, which this machine does not have")
    elif here != table["device"]:
        problems.append(f"it was built on [{describe(table['device'])}], this machine's {device} is [{describe(here)}]")
    return problems


def _fingerprint_here(device: str) -> Optional[Dict[str, str]]:
    if device.startswith("cuda"):
        from nas_kernel.toolbox.devices import cuda_device_count

        index = int(device.split(":", 1)[1]) if ":" in device else 0
        if index >= cuda_device_count():
            return None
    return fingerprint(device)


def predict_ms(table: Dict[str, Any], blocks: List[Dict[str, Any]]) -> float:
    """Sum of the blocks' milliseconds plus the table's fixed part; KeyError naming a block the
    table does not hold."""
    rows = table["blocks"]
    total = float(table["fixed_ms"])
    for block in blocks:
        row = rows.get(block["key"])
        if row is None:
            raise KeyError(block["key"])
        total += float(row["ms"])
    return total
