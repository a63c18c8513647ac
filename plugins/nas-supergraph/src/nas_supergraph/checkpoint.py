"""Resumable training state on disk, the checkpoint object the supergraph classes pass around:
the kernel's checkpoint files (``nas_kernel.toolbox.checkpoints``: written atomically, read back with
``torch.load(weights_only=True)``), plus the fingerprint a checkpoint or result must match to be
continued or reused."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Dict, Optional

from nas_kernel.toolbox.checkpoints import load_state, save_state
from nas_kernel.api.overridable import OpenOverrides
from nas_kernel.jsonable import plain


class Checkpoint(OpenOverrides):
    """One file holding a dict of tensors, numbers, strings and state dicts."""

    def __init__(self, path: str) -> None:
        self.path = path

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def load(self) -> Optional[Dict[str, Any]]:
        return load_state(self.path)

    def save(self, state: Dict[str, Any]) -> None:
        save_state(self.path, state)

    def remove(self) -> None:
        if self.exists():
            os.remove(self.path)


def rng_state(device: str) -> Dict[str, Any]:
    """The random state a resumed run must continue from: the CPU generator's, and on a GPU that
    GPU's too (GDAS's Gumbel draws and drop-path masks are drawn there)."""
    import torch

    state = {"rng": torch.get_rng_state()}
    if torch.device(device).type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng(state: Dict[str, Any], device: str) -> None:
    """Put back what :func:`rng_state` saved (a GPU state only onto a GPU)."""
    import torch

    torch.set_rng_state(state["rng"])
    if state.get("cuda_rng") is not None and torch.device(device).type == "cuda":
        torch.cuda.set_rng_state(state["cuda_rng"], device)


def fingerprint(conf: Dict[str, Any], desc: Any = None) -> str:
    """The settings (not the device) and architecture a checkpoint or result must have been made
    with to be continued or reused."""
    material = {k: v for k, v in conf.items() if k != "device"}
    material["model"] = desc.structure() if desc is not None else None
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=plain).encode()).hexdigest()[:16]


def write_yaml(path: str, data: Dict[str, Any]) -> None:
    """Write ``data`` as YAML atomically (a killed run never leaves a torn file)."""
    import yaml

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    os.replace(tmp, path)
