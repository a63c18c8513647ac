"""The one device and precision rule every component that runs torch follows.

``device: auto | cpu | cuda | cuda:N`` and ``precision: fp32 | bf16 | fp16`` are spelled and
checked here once, so a search space, evaluator, predictor or supergraph trainer behaves the same
way in every plugin: ``auto`` is the first GPU when one is visible, else the CPU; ``cuda`` asked
for on a machine without one is a ``ValueError`` raised while the component is built (``nas
search`` turns it into one exit-2 line naming the key), never a silent CPU run.

torch is imported inside the functions: importing this module stays cheap.
"""
from __future__ import annotations

import contextlib
import os
import re
from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "PRECISIONS", "parse_device", "check_device", "check_devices", "resolve_device", "check_precision",
    "cuda_device_count", "visible_devices", "device_type", "autocast", "grad_scaler", "synchronize", "timed",
    "deterministic_algorithms", "seeded_rng", "memory_bytes", "OutOfMemory", "call_releasing_memory",
    "is_out_of_memory", "release_memory", "is_sticky_cuda_error", "worker_environment", "environment_of_children",
    "pin_process", "pinned_device", "placed", "measured_on", "share_device", "device_sharers",
]

PRECISIONS = ("fp32", "bf16", "fp16")
_DEVICE = re.compile(r"^(auto|cpu|cuda)(?::(\d+))?$")


def parse_device(name: str, value: Any) -> Tuple[str, Optional[int]]:
    """``(kind, index)`` of a device's spelling (``("cuda", None)`` for ``cuda``), checked
    without asking torch what the machine has; a ``ValueError`` naming ``name`` otherwise."""
    match = _DEVICE.match(value) if isinstance(value, str) else None
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        raise ValueError(f"{name} must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {value!r}")
    return match.group(1), None if match.group(2) is None else int(match.group(2))


def check_device(name: str, value: Any) -> str:
    """``value`` resolved to ``"cpu"`` or ``"cuda:N"``; a ``ValueError`` naming ``name`` otherwise."""
    kind, index = parse_device(name, value)
    if kind == "cpu":
        return "cpu"
    if _PINNED:  # a parallel evaluator's worker: the one device it was placed on (see ``placed``)
        return _PINNED[0]
    count = cuda_device_count()
    if kind == "auto":
        return "cuda:0" if count else "cpu"
    if not count:
        raise ValueError(f"{name} is {value!r} but torch sees no CUDA device on this machine "
                         f"(torch.cuda.is_available() is False); use 'cpu' or 'auto'")
    position = int(index or 0)
    if position >= count:
        raise ValueError(f"{name} is {value!r} but only {count} CUDA device(s) are visible "
                         f"(cuda:0..cuda:{count - 1})")
    return f"cuda:{position}"


def resolve_device(value: Any = "auto") -> str:
    """:func:`check_device` under the parameter name ``device``."""
    return check_device("device", value)


def check_precision(name: str, value: Any) -> str:
    if value not in PRECISIONS:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, PRECISIONS))}, got {value!r}")
    return value


def cuda_device_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def visible_devices() -> List[str]:
    """Every visible GPU as ``cuda:N``; ``["cpu"]`` on a machine without one."""
    count = cuda_device_count()
    return [f"cuda:{i}" for i in range(count)] or ["cpu"]


def device_type(device: str) -> str:
    return device.split(":", 1)[0]


def autocast(device: str, precision: str):
    """The autocast context for training at ``precision`` on ``device`` (a no-op for fp32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    import torch

    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device_type(device), dtype=dtype)


def grad_scaler(device: str, precision: str):
    """A gradient scaler, enabled only for fp16 (bf16 keeps fp32's exponent range)."""
    import torch

    return torch.amp.GradScaler(device_type(device), enabled=precision == "fp16")


def synchronize(device: str) -> None:
    """Wait for queued kernels, so wall-clock timings on a GPU measure the work."""
    if device_type(device) == "cuda":
        import torch

        torch.cuda.synchronize(device)


_STICKY_CUDA_ERRORS = ("illegal memory access", "illegal instruction", "misaligned address",
                       "device-side assert", "unspecified launch failure", "uncorrectable ecc error",
                       "an illegal address", "cuda error: launch failure")


def is_sticky_cuda_error(error: Any) -> bool:
    """True for a CUDA error that poisons the process's CUDA context (an illegal address, a
    device-side assert): every later CUDA call of the process fails too, so a worker that met
    one must exit and be replaced. ``error``: the exception or its text. Out of memory is not one."""
    text = str(error).lower()
    return "out of memory" not in text and any(marker in text for marker in _STICKY_CUDA_ERRORS)


def is_out_of_memory(error: BaseException) -> bool:
    """True for a CUDA out-of-memory error or a host ``MemoryError``."""
    if isinstance(error, MemoryError):
        return True
    import torch

    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def release_memory(device: str) -> None:
    """Give cached device memory back after a failed candidate, so the next one starts clean."""
    import gc

    gc.collect()
    if device_type(device) == "cuda":
        import torch

        torch.cuda.empty_cache()


# ---- failures: out of memory --------------------------------------------------------------------
class OutOfMemory(RuntimeError):
    """A candidate ran out of device or host memory; the memory it held has been released."""


def call_releasing_memory(device: str, what: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``; when it runs out of memory, release what it held on ``device`` and
    raise :class:`OutOfMemory` naming ``what`` (a failed evaluation, not a dead search).

    A function, not a context manager, on purpose: the tensors of a failed step live in the frames
    of ``fn``, which stay alive as long as the error's traceback does. Here the traceback is
    dropped before the cache is emptied, so the next candidate starts with the memory back."""
    try:
        return fn(*args, **kwargs)
    except BaseException as exc:  # noqa: B902 - MemoryError and torch's OOM are all we keep
        if not is_out_of_memory(exc):
            raise
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = f"{what} ran out of memory on {device}: {first_line}"
    release_memory(device)  # outside the handler: the failed frames are gone by now
    raise OutOfMemory(reason)


# ---- determinism --------------------------------------------------------------------------------
@contextlib.contextmanager
def deterministic_algorithms(device: str, enabled: bool = True):
    """Run the block with torch's deterministic algorithms (and cuDNN's deterministic, non-
    benchmarking mode) when ``enabled``; the previous settings come back afterwards.

    On CUDA, deterministic cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` set before the first cuBLAS
    call of the process; it is set here when missing, which is in time in a fresh worker process."""
    if not enabled:
        yield
        return
    import os

    import torch

    if device_type(device) == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[2], before[3]


# ---- timing -------------------------------------------------------------------------------------
def timed(device: str, fn, runs: int = 1) -> float:
    """Seconds one ``fn()`` takes on ``device``, the mean of ``runs`` calls timed together: CUDA
    events around them on a GPU (queued kernels are waited for first), ``perf_counter`` on the CPU.

    On a GPU the figure between two events of one call of a tiny network is mostly the gaps
    between kernel launches (the host is slower to launch than the kernels are to run); ``runs``
    calls between the same two events keep the queue full, so the figure is the kernels' time."""
    import time

    if device_type(device) == "cuda":
        import torch

        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        synchronize(device)
        start.record()
        for _ in range(runs):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1000.0 / runs
    begin = time.perf_counter()
    for _ in range(runs):
        fn()
    return (time.perf_counter() - begin) / runs


# ---- several devices in one search --------------------------------------------------------------
def check_devices(name: str, value: Any) -> Optional[List[str]]:
    """A parallel evaluator's ``devices``: None (do not pin), ``"auto"`` (every visible GPU, or
    ``["cpu"]`` without one) or a list of devices, each checked like :func:`check_device`."""
    if value is None:
        return None
    if value == "auto":
        return visible_devices()
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{name} must be 'auto' or a non-empty list of devices such as [cuda:0, cuda:1], "
                         f"got {value!r}")
    return [check_device(f"{name}[{i}]", d) for i, d in enumerate(value)]


_PINNED: List[str] = []  # the device this process was pinned to, as it is named inside the process
_SHARERS: List[int] = [1]  # processes of one parallel evaluator that share this process's device


def worker_environment(device: str, environ: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The ``CUDA_VISIBLE_DEVICES`` a process pinned to ``device`` runs with: only that GPU
    (counted within the parent's own ``CUDA_VISIBLE_DEVICES`` when it has one), or no GPU at all
    for ``"cpu"``."""
    environ = os.environ if environ is None else environ
    if device_type(device) != "cuda":
        return {"CUDA_VISIBLE_DEVICES": ""}
    index = int(device.split(":", 1)[1]) if ":" in device else 0
    parent = environ.get("CUDA_VISIBLE_DEVICES")
    if parent is None or not parent.strip():
        return {"CUDA_VISIBLE_DEVICES": str(index)}
    visible = [part.strip() for part in parent.split(",") if part.strip()]
    if index >= len(visible):
        raise ValueError(f"{device} is not among the parent's CUDA_VISIBLE_DEVICES={parent!r}")
    return {"CUDA_VISIBLE_DEVICES": visible[index]}


def pin_process(device: str, environment: Optional[Dict[str, str]] = None) -> str:
    """Pin this process to ``device`` before torch initialises CUDA (first thing in a worker):
    it then sees that GPU alone, as ``cuda:0`` (or no GPU for ``"cpu"``), and every component
    in it runs there (:func:`placed`). ``environment``: the :func:`worker_environment` the parent
    computed (and started the process with); None computes it here. Returns the device's name
    inside this process."""
    os.environ.update(worker_environment(device) if environment is None else environment)
    local = "cuda:0" if device_type(device) == "cuda" else "cpu"
    _PINNED[:] = [local]
    return local


def pinned_device() -> Optional[str]:
    """The device :func:`pin_process` pinned this process to, or None."""
    return _PINNED[0] if _PINNED else None


def placed(device: str) -> str:
    """Where a component configured for ``device`` runs: the process's pinned device when a
    parallel evaluator placed this worker on one, else ``device`` itself."""
    return _PINNED[0] if _PINNED else device


def measured_on(name: str, device: str) -> str:
    """Where a measurement (latency, peak memory) configured for ``device`` runs. Unlike training,
    a measurement names the device it is the figure of: ``cpu`` stays the CPU in a GPU-pinned
    worker, a GPU is the worker's GPU, and a GPU asked for in a worker pinned to the CPU (which
    sees none) is a ``ValueError`` naming ``name``, never a CPU figure under a GPU objective."""
    pinned = pinned_device()
    if pinned is None or device_type(device) == "cpu":
        return device
    if device_type(pinned) == "cpu":
        raise ValueError(f"{name} is {device!r} but this worker is pinned to the CPU and sees no GPU; "
                         "measure on 'cpu' or place the worker on a GPU")
    return pinned


def share_device(count: int) -> None:
    """Record that ``count`` processes of one parallel evaluator (this one included) share this
    process's device, so what each may take of its memory is divided between them."""
    _SHARERS[:] = [max(1, int(count))]


def device_sharers() -> int:
    """How many processes share this process's device (1 outside a parallel evaluator)."""
    return _SHARERS[0]


@contextlib.contextmanager
def environment_of_children(environment: Dict[str, str]):
    """Set ``environment`` in ``os.environ`` for the block (a child process started in it
    inherits it from its first instruction on), then put the previous values back."""
    before = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def seeded_rng(device: str, seed: int):
    """Run the block with torch's generators (the CPU's, and ``device``'s when it is a GPU) seeded
    with ``seed``, and put their previous states back afterwards."""
    import torch

    gpus = [torch.device(device).index or 0] if device_type(device) == "cuda" else []
    with torch.random.fork_rng(devices=gpus):
        torch.manual_seed(seed)
        yield


def memory_bytes(device: str) -> int:
    """Total memory of ``device`` (``cpu`` or ``cuda:N``): the GPU's own, or the host's physical
    memory for the CPU; what a loader compares a dataset's size with."""
    if device_type(device) == "cuda":
        import torch

        return int(torch.cuda.get_device_properties(torch.device(device).index or 0).total_memory)
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
