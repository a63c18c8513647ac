"""Evaluate candidates in N local worker processes (``process_pool``): the default way to use
every core of one machine.

Workers are started with ``spawn`` (forking after torch has run multi-threaded ops deadlocks the
children in OpenMP) and each runs torch with one intra-op thread: on a 2-core machine two
1-thread processes beat one 2-thread process, and 2-thread training collapses when the other
core is busy. Each worker holds at most one job, so a worker that dies (killed, out of memory,
segfault) or exceeds ``timeout`` costs exactly its own job, recorded as None; it is replaced and
the other jobs go on. Workers start on the first ``send`` and are reused until ``close()``.

With ``devices`` every worker is pinned to one device before torch initialises CUDA in it (its
``CUDA_VISIBLE_DEVICES`` names that GPU alone, see ``nas_kernel.toolbox.devices.pin_process``) and the
inner evaluator runs there; jobs go to whichever worker is idle, so one pool keeps every GPU of
the machine busy.

Like every ``spawn`` user, a script that builds this pool must guard its entry point with
``if __name__ == "__main__":``.
"""
from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.util  # before the atexit below: see _close_every_pool
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Dict, List, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, AsyncModelEvaluator
from nas_kernel.toolbox.devices import environment_of_children, is_sticky_cuda_error, worker_environment
from nas_kernel.toolbox.params import check_int
from nas_evaluators.inputs import check_threads
from nas_evaluators.pool_worker import worker_main
from nas_evaluators.transport import dumps, wire_model

log = logging.getLogger(__name__)
START_METHODS = ("spawn", "forkserver")


@dataclass
class _Job:
    model: ArchaiModel
    payload: Optional[bytes]
    done: bool = False
    value: Optional[float] = None
    error: Optional[str] = None


@dataclass
class _Worker:
    process: Any
    conn: Any
    job: Optional[int] = None
    started: float = 0.0
    ready: bool = False


class ProcessPoolEvaluator(AsyncModelEvaluator):
    """Run ``evaluator`` (a picklable ModelEvaluator) in ``num_workers`` local processes.

    Args:
        evaluator: the inner evaluator, e.g. ``PartialTraining(...)``; in YAML
            ``evaluator: {name: partial_training, params: {...}}``. It is pickled once and
            unpickled in every worker.
        num_workers: worker processes (the number of idle cores is a good choice). Default: 2, or
            ``len(devices) x workers_per_device`` with ``devices``; given with ``devices``, the
            workers are spread over the devices in turn.
        timeout: seconds one job may run before its worker is killed and the job gives None.
        torch_threads: intra-op threads in each worker.
        start_method: ``"spawn"`` or ``"forkserver"`` (never fork, see the module docstring).
        devices: None (default: workers are not pinned, the inner evaluator's own ``device``
            holds), ``auto`` (every visible GPU; on a machine without one, ``num_workers`` CPU
            workers as without ``devices``) or a list such as ``[cuda:0, cuda:1]`` (``cpu`` allowed).
            A pinned worker sees its GPU alone, as ``cuda:0``, and the inner evaluator runs on it
            whatever its own ``device`` says; a ``cpu`` worker sees no GPU. The device of the
            worker that ran a job goes to ``metadata["worker_device"]``.
        workers_per_device: workers per device in ``devices`` (default 1); several small
            candidates can share one GPU.
    """

    def __init__(self, evaluator: Any, num_workers: Optional[int] = None, timeout: Optional[float] = None,
                 torch_threads: Optional[int] = 1, start_method: str = "spawn", devices: Any = None,
                 workers_per_device: Optional[int] = None) -> None:
        if not hasattr(evaluator, "evaluate"):
            raise ValueError(f"evaluator must be a ModelEvaluator, got {type(evaluator).__name__}")
        self.worker_devices = worker_devices(devices, num_workers, workers_per_device)
        self.num_workers = len(self.worker_devices)
        if timeout is not None and not float(timeout) > 0:
            raise ValueError(f"timeout must be positive seconds or None, got {timeout}")
        self.timeout = None if timeout is None else float(timeout)
        self.torch_threads = check_threads(torch_threads, "torch_threads")
        if start_method not in START_METHODS:
            raise ValueError(f"start_method must be one of {', '.join(START_METHODS)}, got {start_method!r}")
        self.start_method = start_method
        self.evaluator = evaluator
        try:
            self._evaluator_blob = dumps(evaluator)
        except Exception as exc:
            raise ValueError(f"evaluator {type(evaluator).__name__} cannot be pickled for the worker processes: "
                             f"{type(exc).__name__}: {exc}") from None
        self._ctx = multiprocessing.get_context(start_method)
        self._workers: List[Optional[_Worker]] = [None] * self.num_workers
        self._jobs: List[_Job] = []
        self._queue: List[int] = []
        self._startup_failures = 0
        self.last_errors: Dict[str, str] = {}  # archid -> why its job gave None, for the last fetch_all
        self._finalizer = weakref.finalize(self, _shutdown, self._workers)
        _POOLS.add(self)

    # ---- AsyncModelEvaluator ------------------------------------------------------------------
    @overrides
    def send(self, arch: ArchaiModel, budget: Optional[float] = None):
        model = arch  # Archai names the parameter ``arch``; the body says model
        try:
            payload = dumps((wire_model(model), budget))
        except Exception as exc:
            self._jobs.append(_Job(model, None, done=True,
                                   error=f"model cannot be pickled for a worker: {type(exc).__name__}: {exc}"))
            return
        self._jobs.append(_Job(model, payload))
        self._queue.append(len(self._jobs) - 1)
        self._dispatch()

    @overrides
    def fetch_all(self):
        try:
            while not all(job.done for job in self._jobs):
                self._dispatch()
                self._pump()
        finally:
            jobs, self._jobs, self._queue = self._jobs, [], []
            for slot, worker in enumerate(self._workers):  # interrupted: drop workers on abandoned jobs
                if worker is not None and worker.job is not None:
                    _stop(worker)
                    self._workers[slot] = None
        self.last_errors = {job.model.archid: job.error for job in jobs if job.error}
        for archid, error in self.last_errors.items():
            log.warning("process_pool: evaluation of %s failed: %s", archid, error.splitlines()[0])
        return [job.value for job in jobs]

    # ---- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the workers (a later ``send`` starts new ones)."""
        _shutdown(self._workers)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def worker_pids(self) -> List[Optional[int]]:
        return [w.process.pid if w else None for w in self._workers]

    def __getstate__(self):
        raise TypeError("a ProcessPoolEvaluator owns processes and cannot be pickled; pickle its inner evaluator")

    # ---- internals ----------------------------------------------------------------------------
    def _start(self, slot: int) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        device = self.worker_devices[slot]
        # pinned twice: a spawned child starts with its CUDA_VISIBLE_DEVICES already set (before
        # its first import), and sets it again first thing (forkserver children inherit the server's)
        environment = {} if device is None else worker_environment(device)
        sharers = self.worker_devices.count(device)  # the auto loader divides the device's memory by it
        # not a daemon: a daemonic process may not start children, and a DataLoader with workers
        # inside the job must. A worker still ends with the pool: close() and the finalizer stop
        # it, and a worker whose parent died reads EOF on its pipe and exits.
        process = self._ctx.Process(target=worker_main,
                                    args=(child, self._evaluator_blob, self.torch_threads, device, environment,
                                          sharers),
                                    daemon=False, name=f"nas-eval-worker-{slot}")
        with environment_of_children(environment):
            process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers[slot] = worker
        return worker

    def _dispatch(self) -> None:
        for slot in range(self.num_workers):
            if not self._queue:
                return
            worker = self._workers[slot]
            if worker is not None and not worker.process.is_alive():
                self._lost(worker)
                worker = None
            if worker is None:
                self._start(slot)
                continue  # jobs go to it once it reports ready (its start-up is not job time)
            if not worker.ready or worker.job is not None:
                continue
            index = self._queue.pop(0)
            try:
                worker.conn.send((index, self._jobs[index].payload))
            except (BrokenPipeError, OSError):  # died between the check and the send: requeue
                self._queue.insert(0, index)
                self._lost(worker)
                continue
            worker.job, worker.started = index, time.monotonic()

    def _pump(self) -> None:
        live = [w for w in self._workers if w is not None and (w.job is not None or not w.ready)]
        if not live:
            return
        busy = [w for w in live if w.job is not None]
        wait_for = None
        if self.timeout is not None and busy:
            wait_for = max(0.0, min(w.started + self.timeout for w in busy) - time.monotonic())
        ready = wait([w.conn for w in live] + [w.process.sentinel for w in live], timeout=wait_for)
        for worker in live:
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    self._lost(worker)
                    continue
                if message[0] == "ready":
                    worker.ready = True
                    self._startup_failures = 0
                    continue
                index, value, metadata, error = message
                placed_on = self.worker_devices[self._workers.index(worker)]
                if placed_on is not None:
                    metadata = {**(metadata or {}), "worker_device": placed_on}
                self._finish(index, value, metadata, error)
                worker.job = None
                if error is not None and is_sticky_cuda_error(error):  # the worker exits (pool_worker)
                    log.warning("process_pool: worker %s met a CUDA error that poisons its process; "
                                "starting a new one", worker.process.pid)
                    slot = self._workers.index(worker)
                    _stop(worker, grace=5.0)
                    self._workers[slot] = None
            elif worker.process.sentinel in ready:
                worker.process.join(1)
                self._lost(worker)
            elif (worker.job is not None and self.timeout is not None
                  and time.monotonic() - worker.started >= self.timeout):
                self._fail(worker, f"timed out after {self.timeout:g} s; worker {worker.process.pid} was killed")

    def _lost(self, worker: _Worker) -> None:
        """A worker process ended by itself: fail its job, or count a failed start-up."""
        reason = f"worker process {worker.process.pid} died (exit code {worker.process.exitcode})"
        if worker.job is None and not worker.ready:
            self._startup_failures += 1
            if self._startup_failures >= 3:  # e.g. the evaluator's module cannot be imported
                for index in self._queue:
                    self._finish(index, None, {}, f"{reason} while starting, 3 times in a row")
                self._queue.clear()
        self._fail(worker, reason + " during the job")

    def _finish(self, index: int, value, metadata, error) -> None:
        job = self._jobs[index]
        job.done, job.value, job.error = True, value, error
        if metadata:
            job.model.metadata.update(metadata)

    def _fail(self, worker: _Worker, reason: str) -> None:
        index = worker.job
        slot = self._workers.index(worker)
        _stop(worker)
        self._workers[slot] = None
        if index is not None:
            self._finish(index, None, {}, reason)


def worker_devices(devices: Any, num_workers: Optional[int], workers_per_device: Optional[int]) -> List[Optional[str]]:
    """The device each worker slot is pinned to (None: not pinned), from the pool's parameters."""
    from nas_kernel.toolbox.devices import check_devices

    count = None if num_workers is None else check_int("num_workers", num_workers, 1)
    per = None if workers_per_device is None else check_int("workers_per_device", workers_per_device, 1)
    if devices is None:
        if per is not None:
            raise ValueError("workers_per_device needs devices (e.g. devices: auto)")
        return [None] * (count or 2)
    if count is not None and per is not None:
        raise ValueError("give num_workers (the total, spread over the devices) or workers_per_device, not both")
    resolved = check_devices("devices", devices)
    if devices == "auto" and resolved == ["cpu"]:  # no GPU here: CPU workers, as without devices
        return ["cpu"] * (count or 2)
    count = count or len(resolved) * (per or 1)
    return [resolved[i % len(resolved)] for i in range(count)]


def _stop(worker: _Worker, grace: float = 0.0) -> None:
    if worker.process.is_alive():
        if grace:
            worker.process.join(grace)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(2)
    worker.conn.close()


_POOLS: "weakref.WeakSet[ProcessPoolEvaluator]" = weakref.WeakSet()


@atexit.register
def _close_every_pool() -> None:
    """Workers are not daemons, and multiprocessing's own exit handler joins non-daemonic
    children: a pool still open at interpreter exit must stop its workers first or the exit
    waits for ever. atexit runs handlers in reverse order, and multiprocessing.util registered
    its handler when it was imported above, so this one runs before it."""
    for pool in list(_POOLS):
        pool.close()


def _shutdown(workers: List[Optional[_Worker]]) -> None:
    live = [w for w in workers if w is not None]
    for worker in live:  # ask every idle worker to exit first, then wait for all together
        try:
            if worker.job is None:
                worker.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
    deadline = time.monotonic() + 2.0
    for worker in live:
        _stop(worker, grace=max(0.01, deadline - time.monotonic()))
    workers[:] = [None] * len(workers)
