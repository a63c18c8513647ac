"""Training state on disk, for every plugin that resumes training (partial training, the
supergraph trainers): written atomically, so a killed run never leaves a torn file, and read
with ``torch.load(weights_only=True)``, so a checkpoint file cannot run code. torch is imported
inside the functions: importing the kernel stays cheap."""
from __future__ import annotations

import os
import tempfile
from typing import Any, Optional

__all__ = ["save_state", "load_state"]


def save_state(path: str, state: Any) -> str:
    """Write ``state`` (tensors, numbers, strings, state dicts) to ``path`` atomically."""
    import torch

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_state(path: str) -> Optional[Any]:
    """What ``save_state`` wrote to ``path`` (on the CPU), or None when there is no such file.
    A file holding anything but plain data is refused by ``torch.load``'s weights-only reader."""
    import torch

    if not os.path.isfile(path):
        return None
    return torch.load(path, map_location="cpu", weights_only=True)
