"""What makes two experiments the same search: ``--resume`` continues a run only when the
experiment's identity matches the one its store recorded."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, Sequence

__all__ = ["fingerprint", "identity"]


def identity(spec: Dict[str, Any], budget: Sequence[str] = ()) -> Dict[str, Any]:
    """What must not change for ``--resume`` to continue a run: the searcher's budget-only
    settings (``budget``, e.g. ``num_iters``: a finished search continues with a larger one, as an
    Optuna study does) are left out, and so are where the run is written and read from, and the
    trackers (they watch a search without changing it: one may be added on ``--resume``)."""
    material = {k: v for k, v in spec.items() if k not in ("output_dir", "base_dir", "trackers")}
    searcher = material.get("searcher")
    if budget and isinstance(searcher, dict) and isinstance(searcher.get("params"), dict):
        params = {k: v for k, v in searcher["params"].items() if k not in budget}
        material["searcher"] = {**searcher, "params": params}
    return material


def fingerprint(spec: Dict[str, Any], budget: Sequence[str] = ()) -> str:
    """A hash of ``identity(spec, budget)``: what the store keeps to recognise its experiment."""
    return hashlib.sha256(json.dumps(identity(spec, budget), sort_keys=True, default=str).encode()).hexdigest()
