"""Latency lookup tables: built once on the target device, read by the ``latency_table`` evaluator.

A table is a JSON file (safe to load: no objects) holding, for one search space configuration,
the milliseconds of every distinct block (:mod:`nas_edge.block_contract`) and a fixed part.

A block timed alone pays the runtime's per-call cost (a Python call into torch, an onnxruntime
``run``: tens of microseconds, a large share of a small block) that a whole network pays once. So
that cost is measured on its own (a one-element ReLU) and taken off every block.

Every block, and the ``calibration`` random architectures timed end to end, are timed together in
interleaved rounds (:func:`nas_edge.timing.interleaved_ms`; at least ``rounds`` of them, lasting at
least ``seconds``): on a shared machine a core's speed changes in episodes of up to seconds, and
timing each thing in one go compares things timed in different episodes. Before the timed rounds,
untimed rounds of the same runs go for a third of ``seconds``: a fresh process (which is what
``nas latency-table build`` is) timed eager torch differently in its first half minute, and a
table built first thing ranked 100 networks at Spearman 0.90 where one built the same way two
minutes later in the same process ranked them at 0.99 (one thread, this project's CPU, 2026-12-07;
with the settling rounds, tables built first thing ranked at 0.975-0.982 in four runs of
``tests/benchmarks/latency_table.py``). The calibration architectures then fit the two numbers
that turn a sum of blocks into a network's latency, by least
squares: a **scale** (a block inside a network does not run as it does alone, repeated on the same
input with its weights in cache, and on a busy machine a short block finds an undisturbed moment
more easily than a whole network: on this project's CPU the scale came out between 1.0 and 1.5) and
the **fixed part** (the per-call cost once, the input's first copy). Both are folded into the table,
so a block's ``ms`` is its scaled time alone (``alone_ms`` less ``call_ms``, times ``scale``) and a
prediction is still the sum of the blocks' ``ms`` plus ``fixed_ms``. With fewer than 3 calibration
architectures, or a fit that is not plausible (a scale outside 1/4 to 4), the scale is 1 and the
fixed part the median of what the networks take beyond the sum of their blocks (``fit``:
``"offset"``; ``"least_squares"`` otherwise).

With it, the device, the libraries and the timing settings it was built with, so a table
carried to another device, or read with other settings, is recognised. Tables written before
``rounds``, ``scale`` and ``fit`` existed are read as they are: the sum of their blocks plus their
fixed part.
"""
from __future__ import annotations

import datetime
import json
import os
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from nas_kernel.toolbox.params import check_int, check_number
from nas_edge.device_info import describe, fingerprint, library_versions
from nas_edge.timing import TimingSettings, interleaved_ms, runner

FORMAT = "nas-edge-latency-table"
VERSION = 1
MAX_TABLE_BYTES = 64 << 20
#: interleaved rounds of every block and calibration network (see nas_edge.timing.interleaved_ms)
DEFAULT_ROUNDS = 10
#: ... lasting at least this long per timed run of the settings (30 s at the default 15 runs): several
#: of a shared machine's episodes
SECONDS_PER_SAMPLE = 2.0
MIN_SCALE, MAX_SCALE = 0.25, 4.0
#: untimed interleaved rounds of everything before the timed ones, for at least this share of
#: ``seconds`` (10 s at the default 30; one round when ``seconds`` is 0)
SETTLE_SHARE = 1 / 3


def build_table(space: Any, space_spec: Dict[str, Any], settings: TimingSettings, *, calibration: int = 8,
                rounds: Optional[int] = None, seconds: Optional[float] = None,
                progress: Optional[Callable[[int, int], None]] = None) -> Dict[str, Any]:
    """Time every block of ``space``'s universe, then ``calibration`` random architectures end to
    end, all together in interleaved rounds of the settings' warm-up and timed runs (at least
    ``rounds``, by default :data:`DEFAULT_ROUNDS`, and more until ``seconds`` have passed; by
    default :data:`SECONDS_PER_SAMPLE` per timed run of the settings: 30 s at the default 15), fit
    the scale and the fixed part (module docstring), and return the table (a JSON-able dict).
    ``space_spec`` is how to rebuild the space (``{"name", "params", ...}``), recorded as is."""
    import torch

    started = time.perf_counter()
    rounds = check_int("rounds", DEFAULT_ROUNDS if rounds is None else rounds, 1)
    universe = space.latency_block_universe()
    total = len(universe) + calibration
    seconds = check_number("seconds", SECONDS_PER_SAMPLE * settings.samples if seconds is None else seconds, 0)
    call_ms = interleaved_ms([runner(torch.nn.ReLU(), torch.randn(1, 1, 1, 1), settings)], settings, rounds)[0]
    runners = []
    for i, block in enumerate(universe):
        runners.append(runner(*space.build_latency_block(block), settings))
        if progress:
            progress(i + 1, total)
    models = [space.random_sample() for _ in range(calibration)]
    for j, model in enumerate(models):
        runners.append(runner(model.arch, torch.randn(*space.latency_input_shape(model)), settings))
        if progress:
            progress(len(universe) + j + 1, total)
    interleaved_ms(runners, settings, 1, seconds * SETTLE_SHARE)  # settling rounds, discarded (module docstring)
    figures = interleaved_ms(runners, settings, rounds, seconds)
    del runners
    alone = dict(zip((b["key"] for b in universe), figures))
    measured = figures[len(universe):]
    net_of = {b["key"]: max(0.0, alone[b["key"]] - call_ms) for b in universe}
    rows = []
    for model, ms in zip(models, measured):
        rows.append({"archid": model.archid, "measured_ms": ms,
                     "blocks_ms": sum(net_of[b["key"]] for b in space.latency_blocks(model))})
        model.clear()
    scale, fixed, fit = fit_scale(rows)
    blocks: Dict[str, Dict[str, Any]] = {}
    for block in universe:
        blocks[block["key"]] = {"ms": scale * net_of[block["key"]], "alone_ms": alone[block["key"]],
                                "block": {k: v for k, v in block.items() if k != "key"}}
    return {"format": FORMAT, "version": VERSION, "unit": "ms", "space": space_spec,
            "device": fingerprint(settings.device), "libraries": library_versions(settings.runtime),
            "settings": settings.to_dict(), "rounds": rounds, "seconds": seconds, "fixed_ms": fixed, "scale": scale,
            "fit": fit, "call_ms": call_ms, "blocks": blocks, "calibration": rows,
            "build_seconds": time.perf_counter() - started,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def fit_scale(rows: List[Dict[str, Any]]) -> Tuple[float, float, str]:
    """``(scale, fixed_ms, fit)`` so that ``scale * blocks_ms + fixed_ms`` predicts ``measured_ms``
    of the calibration ``rows``: a least-squares line through 3 rows or more, unless its scale is
    outside 1/4 to 4 (too few or too alike rows); otherwise scale 1 and the median difference."""
    if len(rows) >= 3:
        try:
            scale, fixed = statistics.linear_regression([r["blocks_ms"] for r in rows],
                                                        [r["measured_ms"] for r in rows])
        except statistics.StatisticsError:  # every row's blocks sum to the same
            scale = None
        if scale is not None and MIN_SCALE <= scale <= MAX_SCALE:
            return scale, fixed, "least_squares"
    fixed = statistics.median(r["measured_ms"] - r["blocks_ms"] for r in rows) if rows else 0.0
    return 1.0, fixed, "offset"


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
