"""What a model page shows beyond the store: the architecture's description from the run's own
search space, and the files other commands saved for it (Pareto arch files, ``nas train-best``
weights and ONNX).

The space is rebuilt from the run's ``experiment.yaml`` through the kernel
(``build_component``), once per run, and only when a model page is first asked for. File names
come from ``safe_filename(archid)`` joined with ``inside`` — the archid is never a path.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Dict, Optional, Tuple

from nas_dashboard.queries import read_experiment
from nas_dashboard.runs import Run
from nas_kernel.paths import inside, safe_filename
from nas_kernel.run_files import PARETO_MODELS, SAVED_EXPERIMENT, TRAIN_BEST, WEIGHTS_SUFFIX

# kind -> (folder in the run, suffix after safe_filename(archid)); the only files ever served
FILES: Dict[str, Tuple[str, str]] = {
    "arch": (PARETO_MODELS, ""),
    "weights": (PARETO_MODELS, WEIGHTS_SUFFIX),
    "trained_arch": (TRAIN_BEST, ".arch"),
    "trained_weights": (TRAIN_BEST, WEIGHTS_SUFFIX),
    "onnx": (TRAIN_BEST, ".onnx"),
}

_SPACES: Dict[str, Tuple[Any, Optional[str]]] = {}
_LOCK = threading.Lock()


def file_path(run: Run, kind: str, archid: str) -> Optional[str]:
    """The saved file of ``kind`` for ``archid`` if it exists inside the run, else None."""
    if kind not in FILES:
        return None
    folder, suffix = FILES[kind]
    try:
        path = inside(os.path.join(run.path, folder), safe_filename(archid) + suffix)
    except ValueError:
        return None
    return path if os.path.isfile(path) else None


def saved_files(run: Run, archid: str) -> Dict[str, Dict[str, Any]]:
    out = {}
    for kind in FILES:
        path = file_path(run, kind, archid)
        if path is not None:
            out[kind] = {"name": os.path.basename(path), "bytes": os.path.getsize(path)}
    return out


def search_space(run: Run) -> Tuple[Any, Optional[str]]:
    """(space, None) or (None, why not) for the run's search space, built once per run."""
    with _LOCK:
        if run.path not in _SPACES:
            _SPACES[run.path] = _build_space(run)
        return _SPACES[run.path]


def _build_space(run: Run) -> Tuple[Any, Optional[str]]:
    spec = read_experiment(run)
    comp = (spec or {}).get("search_space")
    if not isinstance(comp, dict) or not isinstance(comp.get("name"), str):
        return None, f"the run saved no {SAVED_EXPERIMENT} with a search_space"
    from nas_kernel.components import build_component

    seed = spec.get("seed") if isinstance(spec.get("seed"), int) else 0
    try:
        return build_component("search_spaces", comp["name"], comp.get("params") or {}, seed=seed,
                               source=os.path.join(run.path, SAVED_EXPERIMENT)), None
    except Exception as exc:  # a missing plugin or a bad file: the page says so, the rest still works
        return None, f"cannot rebuild search space {comp['name']!r}: {exc}"


def describe(run: Run, archid: str) -> Dict[str, Any]:
    """``{"description": ..., "source": ...}`` or ``{"description": None, "error": ...}``."""
    space, why = search_space(run)
    if space is None:
        return {"description": None, "error": why}
    from nas_kernel.api import ArchaiModel

    arch_file = file_path(run, "arch", archid)
    try:
        if arch_file is not None:
            model, source = space.load_arch(arch_file), "pareto_models arch file"
        else:
            model, source = ArchaiModel(None, archid), "archid"
        description = space.describe(model)
    except Exception as exc:  # spaces whose archid is a hash cannot describe a bare archid
        return {"description": None, "error": f"{type(space).__name__} cannot describe {archid!r}: {exc}"}
    return {"description": _plain(description), "source": source}


def _plain(value: Any) -> Any:
    """A description as JSON can carry it (tuples, numpy scalars and the like made plain)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)
