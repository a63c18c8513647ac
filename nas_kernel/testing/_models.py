"""Looking at models without changing them: snapshots for "must not modify" checks and weight
comparison that works for torch modules (``state_dict``) and for plain Python architectures."""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional

import numpy as np

from nas_kernel.api import ArchaiModel


def weights_of(arch: Any) -> Any:
    """Numpy copies of ``arch.state_dict()`` when it has one, else a deep copy of ``arch``."""
    state_dict = getattr(arch, "state_dict", None)
    if callable(state_dict):
        return {k: np.array(v.detach().cpu().numpy() if hasattr(v, "detach") else v, copy=True)
                for k, v in state_dict().items()}
    return copy.deepcopy(arch)


def weights_difference(a: Any, b: Any) -> Optional[str]:
    """None when equal, else a short description of the first difference."""
    if isinstance(a, dict) and isinstance(b, dict) and all(isinstance(v, np.ndarray) for v in a.values()):
        if set(a) != set(b):
            return f"parameter names differ: {sorted(set(a) ^ set(b))[:5]}"
        for key in a:
            if a[key].shape != b[key].shape:
                return f"{key!r} has shape {a[key].shape} vs {b[key].shape}"
            if not np.array_equal(a[key], b[key], equal_nan=a[key].dtype.kind == "f"):
                return f"{key!r} differs"
        return None
    return None if a == b else f"{a!r:.80} vs {b!r:.80}"


def snapshot(model: ArchaiModel) -> Dict[str, Any]:
    """What a move must leave untouched: archid, metadata, and (if built) the weights."""
    built = model.is_built
    arch = model.arch if built else None
    return {"archid": model.archid, "metadata": copy.deepcopy(model.metadata), "built": built,
            "arch_is_none": built and arch is None,
            "weights": weights_of(arch) if built and arch is not None else None}


def snapshot_difference(before: Dict[str, Any], model: ArchaiModel) -> Optional[str]:
    """None when ``model`` still matches ``before``, else what changed."""
    if model.archid != before["archid"]:
        return f"archid changed {before['archid']!r} -> {model.archid!r}"
    if model.metadata != before["metadata"]:
        return f"metadata changed {before['metadata']!r} -> {model.metadata!r}"
    if before["arch_is_none"] and (not model.is_built or model.arch is not None):
        return "its cleared arch (None) was rebuilt or replaced"
    if before["weights"] is not None:
        diff = weights_difference(before["weights"], weights_of(model.arch))
        if diff:
            return f"its weights changed ({diff})"
    return None
