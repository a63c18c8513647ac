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
import re
from typing import Any, List

PRECISIONS = ("fp32", "bf16", "fp16")
_DEVICE = re.compile(r"^(auto|cpu|cuda)(?::(\d+))?$")


def check_device(name: str, value: Any) -> str:
    """``value`` resolved to ``"cpu"`` or ``"cuda:N"``; a ``ValueError`` naming ``name`` otherwise."""
    match = _DEVICE.match(value) if isinstance(value, str) else None
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        raise ValueError(f"{name} must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {value!r}")
    kind, index = match.group(1), match.group(2)
    if kind == "cpu":
        return "cpu"
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
