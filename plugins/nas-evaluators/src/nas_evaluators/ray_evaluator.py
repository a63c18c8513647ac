"""Evaluate candidates as Ray tasks (``ray``), on a local Ray or a cluster.

Install with ``pip install nas-evaluators[ray]``. ``address=None`` starts a private local Ray
(3-8 s, ~0.4 GB) and shuts it down on ``close()``; ``"auto"`` (the ``RAY_ADDRESS`` environment
variable when set, else the cluster ``ray start`` runs on this machine) or ``"HOST:PORT"`` /
``"ray://host:10001"`` joins a running cluster and leaves it running. A cluster that is not up
yet is waited for up to ``start_timeout`` seconds, then the search fails with one clear error
instead of hanging.

The inner evaluator is put in Ray's object store once; each model is one task that reserves
``num_cpus`` / ``num_gpus`` (fractions allowed). ``max_in_flight`` caps how many tasks are
submitted at once, so a large batch does not flood a shared cluster: the rest wait here and are
submitted as tasks finish. A task whose worker or node dies is re-run by Ray up to
``max_retries`` times (on any node with the resources, so a lost node's tasks move to the
survivors); after that, or when it raises, or when it is still running at ``timeout``, its model
gets a failed evaluation with the reason, and the search goes on. Each result's metadata names
the node that computed it (``ray_node``).

Ray sets ``OMP_NUM_THREADS`` from the task's CPUs but a reused worker keeps whatever torch set
before, so every task sets torch's thread count itself (``torch_threads``).

Classes and functions the tasks need must be importable on the workers (Ray pickles them by
reference) or defined in ``__main__`` (pickled by value). Ray binds to the machine's network
address and enables token authentication by default; keep it enabled unless, as in this
package's tests, Ray runs in a loopback-only network namespace (``RAY_AUTH_MODE=disabled``).
"""
from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, AsyncModelEvaluator
from nas_kernel.toolbox.devices import pin_process
from nas_kernel.toolbox.params import check_int, check_number
from nas_evaluators.inputs import check_threads
from nas_evaluators.transport import run_job, set_torch_threads, wire_model

log = logging.getLogger(__name__)


class ClusterUnavailable(RuntimeError):
    """The Ray cluster could not be started or joined within ``start_timeout``."""


def _ray_job(evaluator, model, budget, torch_threads):
    """The body of one Ray task."""
    import ray

    set_torch_threads(torch_threads)
    place_task(ray.get_gpu_ids())
    value, metadata, error = run_job(evaluator, model, budget)
    metadata["ray_node"] = ray.get_runtime_context().get_node_id()
    return value, metadata, error


def place_task(gpu_ids) -> str:
    """Pin the task's process to what Ray reserved for it (``gpu_ids``: ``ray.get_gpu_ids()``).

    With a GPU, Ray already made it the only visible one: every component of the job runs there
    (``nas_kernel.toolbox.devices.placed``), also when the driver that built it has no GPU. Without one
    the task runs on the CPU, also on a node that has GPUs: ``auto`` (resolved where the driver
    ran) would otherwise take ``cuda:0``, a GPU Ray gave to some other task. Ray reuses worker
    processes, so every task pins again."""
    return pin_process("cuda:0" if gpu_ids else "cpu", environment={})


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ImportError("the 'ray' evaluator needs Ray: please run `pip install nas-evaluators[ray]`") from None
    return ray


@dataclass
class _Job:
    model: ArchaiModel
    budget: Optional[float]
    ref: Any = None
    done: bool = False


class RayParallelEvaluator(AsyncModelEvaluator):
    """Run ``evaluator`` (a picklable ModelEvaluator) as Ray tasks.

    Args:
        evaluator: the inner evaluator (Archai passes it first, positionally, as ``obj``); in YAML
            ``evaluator: {name: partial_training, params: {...}}``.
        timeout: seconds ``fetch_all`` waits for the batch; tasks still running then are
            cancelled and give None (Archai's semantics). None waits for all.
        force_stop: cancel timed-out tasks with ``force=True`` (kills their worker process).
        address: None starts a local Ray; ``"auto"`` (``RAY_ADDRESS`` if set, else the local
            ``ray start`` cluster), ``"HOST:PORT"`` or a ``ray://`` URL joins a cluster.
        num_cpus, num_gpus: resources each task reserves; fractions allowed (``num_gpus: 0.25``
            puts four tasks on one GPU).
        max_in_flight: most tasks submitted at once (None: the whole batch).
        max_retries: times Ray re-runs a task whose worker or node died (exceptions raised by the
            evaluator are not retried: they are the candidate's result).
        start_timeout: seconds to wait for the cluster to come up (joining) or Ray to start
            (local) before failing with ``ClusterUnavailable``.
        torch_threads: torch intra-op threads inside each task.
        local_num_cpus: CPUs of a local Ray started here (None: all cores).
        init_kwargs: extra ``ray.init`` keyword arguments (e.g. ``{"_temp_dir": "/tmp/r"}``).
    """

    def __init__(self, evaluator: Any, timeout: Optional[float] = None, force_stop: bool = False,
                 address: Optional[str] = None, num_cpus: float = 1.0, num_gpus: float = 0.0,
                 max_in_flight: Optional[int] = None, max_retries: int = 0, start_timeout: float = 60.0,
                 torch_threads: Optional[int] = 1, local_num_cpus: Optional[int] = None,
                 init_kwargs: Optional[Dict[str, Any]] = None) -> None:
        if not hasattr(evaluator, "evaluate"):
            raise ValueError(f"evaluator must be a ModelEvaluator, got {type(evaluator).__name__}")
        self.evaluator = evaluator
        self.timeout = None if timeout is None else check_number("timeout", timeout, 0, low_open=True)
        self.force_stop = bool(force_stop)
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ValueError(f"address must be null, 'auto', 'HOST:PORT' or a ray:// URL, got {address!r}")
        self.address = address
        self.num_cpus = check_number("num_cpus", num_cpus, 0)
        self.num_gpus = check_number("num_gpus", num_gpus, 0)
        self.max_in_flight = None if max_in_flight is None else check_int("max_in_flight", max_in_flight, 1)
        self.max_retries = check_int("max_retries", max_retries, 0)
        self.start_timeout = check_number("start_timeout", start_timeout, 0, low_open=True)
        self.torch_threads = check_threads(torch_threads, "torch_threads")
        self.local_num_cpus = None if local_num_cpus is None else check_int("local_num_cpus", local_num_cpus, 1)
        self.init_kwargs = dict(init_kwargs or {})
        self._started_ray = False
        self._evaluator_ref = None
        self._remote = None
        self._jobs: List[_Job] = []
        self.last_errors: Dict[str, str] = {}

    # ---- connecting ------------------------------------------------------------------------
    def _ensure_ray(self):
        ray = _import_ray()
        if not ray.is_initialized():
            self._connect(ray)
        if self._remote is None:
            self._evaluator_ref = ray.put(self.evaluator)
            self._remote = ray.remote(_ray_job).options(num_cpus=self.num_cpus, num_gpus=self.num_gpus,
                                                        max_retries=self.max_retries, retry_exceptions=False)
        return ray

    def _connect(self, ray) -> None:
        """``ray.init``, retried until ``start_timeout`` while the cluster is not up yet."""
        kwargs = dict(self.init_kwargs)
        if self.address is None:  # options that only a new local instance accepts
            kwargs.setdefault("include_dashboard", False)
            kwargs.setdefault("num_cpus", self.local_num_cpus)
        deadline = time.monotonic() + self.start_timeout
        last = ""
        while True:
            target = _gcs_address(self.address)
            if target is None or _port_open(*target):
                try:
                    ray.init(address=self.address, **kwargs)
                    self._started_ray = self.address is None
                    return
                except Exception as exc:
                    last = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    if ray.is_initialized():
                        ray.shutdown()
                    if _is_authentication(exc):  # waiting will not help: say what to give this driver
                        raise ClusterUnavailable(f"ray: the Ray cluster at {self.address!r} refused this driver's "
                                                 f"authentication ({last}). {AUTH_HINT}") from None
                    if not isinstance(exc, (ConnectionError, TimeoutError, RuntimeError)):
                        raise
            else:
                last = f"nothing listens on {target[0]}:{target[1]} yet"
            if time.monotonic() >= deadline:
                where = "start a local Ray" if self.address is None else f"join the Ray cluster at {self.address!r}"
                hint = ("Start the cluster first (`ray start --head` on the head node), check the address "
                        "(or RAY_ADDRESS), or raise start_timeout.")
                if target is not None and _port_open(*target) and os.environ.get("RAY_AUTH_MODE") != "disabled":
                    hint = (f"The head at {target[0]}:{target[1]} answers but did not let this driver join: "
                            f"authentication is the likely cause. {AUTH_HINT}")
                raise ClusterUnavailable(f"ray: could not {where} within start_timeout={self.start_timeout:g} s "
                                         f"({last}). {hint}")
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))

    # ---- evaluating ------------------------------------------------------------------------
    @overrides
    def send(self, arch: ArchaiModel, budget: Optional[float] = None):
        self._ensure_ray()
        self._jobs.append(_Job(arch, budget))
        self._submit_more()

    def _submit_more(self) -> None:
        running = sum(1 for j in self._jobs if j.ref is not None and not j.done)
        for job in self._jobs:
            if self.max_in_flight is not None and running >= self.max_in_flight:
                return
            if job.ref is None:
                job.ref = self._remote.remote(self._evaluator_ref, wire_model(job.model), job.budget,
                                              self.torch_threads)
                running += 1

    @overrides
    def fetch_all(self):
        jobs = self._jobs
        if not jobs:
            return []
        ray = self._ensure_ray()
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        try:
            while True:
                self._submit_more()
                running = [j for j in jobs if j.ref is not None and not j.done]
                if not running:
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                refs = [j.ref for j in running]
                ready, _ = ray.wait(refs, num_returns=1, timeout=left)
                if ready:
                    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
                finished = set(ready)
                for job in running:
                    if job.ref in finished:
                        job.done = True
        finally:
            self._jobs = []
        return self._collect(ray, jobs)

    def _collect(self, ray, jobs: List[_Job]) -> List[Optional[float]]:
        results, self.last_errors = [], {}
        for job in jobs:
            model = job.model
            if not job.done:
                if job.ref is not None:
                    ray.cancel(job.ref, force=self.force_stop)
                    self.last_errors[model.archid] = f"timed out after {self.timeout:g} s (task cancelled)"
                else:
                    self.last_errors[model.archid] = (f"timed out after {self.timeout:g} s before it started "
                                                      f"(max_in_flight={self.max_in_flight})")
                results.append(None)
                continue
            try:
                value, metadata, error = ray.get(job.ref)
            except Exception as exc:  # worker or node died beyond max_retries, task cancelled, object lost
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                value, metadata = None, {}
                error = (f"ray: the task failed after {self.max_retries + 1} attempt(s) "
                         f"(max_retries={self.max_retries}): {type(exc).__name__}: {first}")
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


def _gcs_address(address: Optional[str]):
    """(host, port) to probe before ``ray.init`` joins a cluster, when the address names one."""
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS") or None
        if address in (None, "auto"):
            return None  # Ray looks for a local cluster itself
    if not address or address.startswith("ray://") or address == "local":
        return None
    host, sep, port = address.rpartition(":")
    return (host or "127.0.0.1", int(port)) if sep and port.isdigit() else None


#: what a driver needs when the cluster uses Ray's token authentication (see docs/ray.md)
AUTH_HINT = ("Ray's token authentication is on: set RAY_AUTH_MODE=token here and give this machine the head's "
             "token (RAY_AUTH_TOKEN, or the head's ~/.ray/auth_token copied to ~/.ray/auth_token), or, on a "
             "private network only, start every node and this driver with RAY_AUTH_MODE=disabled.")


def _is_authentication(exc: BaseException) -> bool:
    """Whether Ray refused the join for a missing or wrong token (its error names it)."""
    text = f"{type(exc).__name__} {exc}".lower()
    return "authentication" in text or "invalidauthtoken" in text or "auth_token" in text


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
