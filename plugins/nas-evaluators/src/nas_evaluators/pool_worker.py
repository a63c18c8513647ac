"""The loop each ``process_pool`` worker runs: one job at a time over a pipe, so the parent always
knows which job a worker holds (and can record None for it if the worker dies or times out)."""
from __future__ import annotations

import atexit
import os
import pickle
import sys
from typing import Optional

from nas_evaluators.transport import loads, run_job, set_torch_threads


#: the exit status of a worker that left after a CUDA error poisoned its process
STICKY_CUDA_ERROR_EXIT = 3


def worker_main(conn, evaluator_blob: bytes, torch_threads, device: Optional[str] = None,
                environment: Optional[dict] = None, sharers: int = 1) -> None:
    """Receive ``(job_id, payload)`` messages, reply ``(job_id, value, metadata, error)``; stop on None.
    ``device``: the device to pin this process to (with the ``environment`` the parent computed
    for it), first, before torch can initialise CUDA; ``sharers``: the pool's workers on that
    device, this one included.

    After a job that failed with a sticky CUDA error (an illegal address, a device-side assert)
    the worker replies and exits: every later CUDA call in this process would fail too, and the
    pool starts a fresh worker in its place."""
    from nas_kernel.toolbox.devices import is_sticky_cuda_error, pin_process, share_device

    if device is not None:
        pin_process(device, environment)
    share_device(sharers)
    if torch_threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(torch_threads)
    set_torch_threads(torch_threads)
    evaluator, load_error = None, None
    try:
        evaluator = loads(evaluator_blob)
    except Exception as exc:  # reported with every job instead of dying silently
        load_error = f"the inner evaluator could not be unpickled in the worker: {type(exc).__name__}: {exc}"
    conn.send(("ready", os.getpid()))  # the parent starts job clocks only after this
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            leave(conn, 0)
        job_id, payload = message
        if load_error is not None:
            conn.send((job_id, None, {}, load_error))
            continue
        try:
            model, budget = loads(payload)
        except Exception as exc:
            conn.send((job_id, None, {}, f"the model could not be unpickled in the worker: {type(exc).__name__}: {exc}"))
            continue
        value, metadata, error = run_job(evaluator, model, budget)
        sticky = error is not None and is_sticky_cuda_error(error)
        if sticky:
            error += "\n(the worker exits: a CUDA error like this one fails every later job of its process; " \
                     "a new worker takes its place)"
        try:
            conn.send((job_id, value, metadata, error))
        except (pickle.PicklingError, TypeError, AttributeError):  # metadata that cannot travel
            conn.send((job_id, value, {}, error))
        if sticky:
            leave(conn, STICKY_CUDA_ERROR_EXIT)


def leave(conn, status: int) -> None:
    """End this worker without the interpreter's teardown (1-3 s with torch loaded), but with what
    the process owes the machine: its DataLoader workers stopped first (``os._exit`` alone would
    leave their semaphores behind) and the exit handlers its components registered run (an
    objective's temporary export folder, for one)."""
    from nas_evaluators.batches import release_loaders

    try:
        release_loaders()
        conn.close()
        atexit._run_exitfuncs()  # handlers that fail print their traceback and the others still run
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
