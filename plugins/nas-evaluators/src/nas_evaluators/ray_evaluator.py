"""Evaluate candidates as Ray tasks (``ray``), on a local Ray or a cluster.

Install with ``pip install nas-evaluators[ray]``. ``address=None`` starts a private local Ray
(3-8 s, ~0.4 GB) and shuts it down on ``close()``; ``"auto"`` or ``"ray://host:10001"`` joins a
running cluster and leaves it running. The inner evaluator is put in Ray's object store once;
each ``send`` submits one task. A task whose worker dies, that raises, or that is still running
when ``timeout`` expires gives None for its model, and the search goes on.

Ray sets ``OMP_NUM_THREADS`` from the task's CPUs but a reused worker keeps whatever torch set
before, so every task sets torch's thread count itself (``torch_threads``).

Classes and functions the tasks need must be importable on the workers (Ray pickles them by
reference) or defined in ``__main__`` (pickled by value). Ray binds to the machine's network
address and enables token authentication by default; keep it enabled unless, as in this
package's tests, Ray runs in a loopback-only network namespace (``RAY_AUTH_MODE=disabled``).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, AsyncModelEvaluator
from nas_kernel.params import check_int
from nas_evaluators.inputs import check_threads
from nas_evaluators.transport import run_job, set_torch_threads, wire_model

log = logging.getLogger(__name__)


def _ray_job(evaluator, model, budget, torch_threads):
    """The body of one Ray task."""
    set_torch_threads(torch_threads)
    return run_job(evaluator, model, budget)


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ImportError("the 'ray' evaluator needs Ray: please run `pip install nas-evaluators[ray]`") from None
    return ray


class RayParallelEvaluator(AsyncModelEvaluator):
    """Run ``evaluator`` (a picklable ModelEvaluator) as Ray tasks.

    Args:
        evaluator: the inner evaluator (Archai passes it first, positionally, as ``obj``); in YAML
            ``evaluator: {name: partial_training, params: {...}}``.
        timeout: seconds ``fetch_all`` waits for the batch; tasks still running then are
            cancelled and give None (Archai's semantics). None waits for all.
        force_stop: cancel timed-out tasks with ``force=True`` (kills their worker process).
        address: None starts a local Ray; ``"auto"`` or a ``ray://`` URL joins a cluster.
        num_cpus, num_gpus: resources each task reserves.
        max_retries: times Ray re-runs a task whose worker died (exceptions are not retried).
        torch_threads: torch intra-op threads inside each task.
        local_num_cpus: CPUs of a local Ray started here (None: all cores).
        init_kwargs: extra ``ray.init`` keyword arguments (e.g. ``{"_temp_dir": "/tmp/r"}``).
    """

    def __init__(self, evaluator: Any, timeout: Optional[float] = None, force_stop: bool = False,
                 address: Optional[str] = None, num_cpus: float = 1.0, num_gpus: float = 0.0,
                 max_retries: int = 0, torch_threads: Optional[int] = 1, local_num_cpus: Optional[int] = None,
                 init_kwargs: Optional[Dict[str, Any]] = None) -> None:
        if not hasattr(evaluator, "evaluate"):
            raise ValueError(f"evaluator must be a ModelEvaluator, got {type(evaluator).__name__}")
        if timeout is not None and not float(timeout) > 0:
            raise ValueError(f"timeout must be positive seconds or None, got {timeout}")
        if not float(num_cpus) >= 0 or not float(num_gpus) >= 0:
            raise ValueError(f"num_cpus and num_gpus must be >= 0, got {num_cpus}, {num_gpus}")
        self.evaluator = evaluator
        self.timeout = None if timeout is None else float(timeout)
        self.force_stop = bool(force_stop)
        self.address = address
        self.num_cpus, self.num_gpus = float(num_cpus), float(num_gpus)
        self.max_retries = check_int("max_retries", max_retries, 0)
        self.torch_threads = check_threads(torch_threads, "torch_threads")
        self.local_num_cpus = None if local_num_cpus is None else check_int("local_num_cpus", local_num_cpus, 1)
        self.init_kwargs = dict(init_kwargs or {})
        self._started_ray = False
        self._evaluator_ref = None
        self._remote = None
        self._jobs: List[Any] = []
        self.last_errors: Dict[str, str] = {}

    def _ensure_ray(self):
        ray = _import_ray()
        if not ray.is_initialized():
            kwargs = dict(self.init_kwargs)
            if self.address is None:  # options that only a new local instance accepts
                kwargs.setdefault("include_dashboard", False)
                kwargs.setdefault("num_cpus", self.local_num_cpus)
            ray.init(address=self.address, **kwargs)
            self._started_ray = True
        if self._remote is None:
            self._evaluator_ref = ray.put(self.evaluator)
            self._remote = ray.remote(_ray_job).options(num_cpus=self.num_cpus, num_gpus=self.num_gpus,
                                                        max_retries=self.max_retries, retry_exceptions=False)
        return ray

    @overrides
    def send(self, arch: ArchaiModel, budget: Optional[float] = None):
        model = arch  # Archai names the parameter ``arch``; the body says model
        self._ensure_ray()
        ref = self._remote.remote(self._evaluator_ref, wire_model(model), budget, self.torch_threads)
        self._jobs.append((model, ref))

    @overrides
    def fetch_all(self):
        jobs, self._jobs = self._jobs, []
        if not jobs:
            return []
        ray = self._ensure_ray()
        refs = [ref for _, ref in jobs]
        done = set(refs)
        if self.timeout is not None:
            ready, pending = ray.wait(refs, num_returns=len(refs), timeout=self.timeout)
            done = set(ready)
            for ref in pending:
                ray.cancel(ref, force=self.force_stop)
        results, self.last_errors = [], {}
        for model, ref in jobs:
            if ref not in done:
                self.last_errors[model.archid] = f"timed out after {self.timeout:g} s (task cancelled)"
                results.append(None)
                continue
            try:
                value, metadata, error = ray.get(ref)
            except Exception as exc:  # worker died, task cancelled, object lost...
                value, metadata, error = None, {}, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if metadata:
                model.metadata.update(metadata)
            if error:
                self.last_errors[model.archid] = error
            results.append(value)
        for archid, error in self.last_errors.items():
            log.warning("ray: evaluation of %s failed: %s", archid, error.splitlines()[0])
        return results

    def close(self) -> None:
        """Shut down the local Ray this evaluator started (a joined cluster keeps running)."""
        self._jobs = []
        self._remote = self._evaluator_ref = None
        if self._started_ray:
            ray = _import_ray()
            if ray.is_initialized():
                ray.shutdown()
            self._started_ray = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
