"""What crosses a process boundary for parallel evaluation, and how one job runs on the far side.

A model travels as a fresh ``ArchaiModel(arch, archid, metadata)``: the module is built in the
parent (a lazy ``builder`` is often a closure that cannot be pickled) and the parent's object is
not sent. Payloads are pickled with cloudpickle when it is installed (it comes with Ray), which
also handles classes and functions defined in ``__main__`` or a notebook; plain pickle
otherwise. The worker sends back the value, the metadata the evaluator wrote (e.g.
``epochs_trained``) and the error text of a failed job.
"""
from __future__ import annotations

import pickle
import traceback
from typing import Any, Dict, Optional, Tuple

from nas_kernel.api import ArchaiModel

Outcome = Tuple[Optional[float], Dict[str, Any], Optional[str]]


def dumps(obj: Any) -> bytes:
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def loads(blob: bytes) -> Any:
    # only ever called on bytes this package produced in the parent process of the same user
    return pickle.loads(blob)


def wire_model(model: ArchaiModel) -> ArchaiModel:
    """A picklable copy of ``model`` for a worker: built arch, archid, metadata (no builder)."""
    return ArchaiModel(model.arch, model.archid, dict(model.metadata))


_IN_WORKER = False


def in_worker() -> bool:
    """True inside a process_pool worker or a Ray task (evaluators turn their progress bars off)."""
    return _IN_WORKER


def run_job(evaluator: Any, model: ArchaiModel, budget: Optional[float]) -> Outcome:
    """Evaluate, never raising: a failure becomes ``(None, metadata, error text)``."""
    global _IN_WORKER
    _IN_WORKER = True
    try:
        value = evaluator.evaluate(model, budget)
        value = None if value is None else float(value)
        return value, dict(model.metadata), None
    except Exception as exc:  # the job failed; the worker lives on
        return None, dict(model.metadata), f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"


def set_torch_threads(n: Optional[int]) -> None:
    if n is not None:
        import torch

        torch.set_num_threads(int(n))
