"""Resumable training state on disk, the checkpoint object the supergraph classes pass around:
the kernel's checkpoint files (``nas_kernel.checkpoints``: written atomically, read back with
``torch.load(weights_only=True)``), plus the fingerprint a checkpoint or result must match to be
continued or reused."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Dict, Optional

from nas_kernel.checkpoints import load_state, save_state
from nas_kernel.jsonable import plain


class Checkpoint:
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
