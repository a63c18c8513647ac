"""Per-archid training checkpoints, so a later call with a larger budget continues training.

A file holds the weights, the optimizer state (and the fp16 gradient scaler's), the epochs
trained and whether ACT stopped the candidate, plus the training settings it was made with: a checkpoint from other settings is
ignored rather than silently mixed in. File names come from ``safe_filename(archid)`` (an archid
is data, never a path); files are written and read by the kernel's ``nas_kernel.toolbox.checkpoints``
(atomic writes, ``weights_only=True`` reads).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from nas_kernel.toolbox.checkpoints import load_state, save_state
from nas_kernel.paths import inside, safe_filename

FORMAT = 1


def checkpoint_path(directory: str, archid: str) -> str:
    return inside(directory, safe_filename(archid) + ".pt")


def load_checkpoint(directory: str, archid: str, settings: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The checkpoint of ``archid`` made with ``settings``, or None."""
    state = load_state(checkpoint_path(directory, archid))
    if (not isinstance(state, dict) or state.get("format") != FORMAT or state.get("archid") != archid
            or state.get("settings") != settings):
        return None
    return state


def save_checkpoint(directory: str, archid: str, settings: Dict[str, Any], *, epochs: int, stopped: bool,
                    model_state: Dict[str, Any], optimizer_state: Dict[str, Any],
                    scaler_state: Optional[Dict[str, Any]] = None) -> str:
    state = {"format": FORMAT, "archid": archid, "settings": settings, "epochs": int(epochs),
             "stopped": bool(stopped), "model": model_state, "optimizer": optimizer_state}
    if scaler_state:
        state["scaler"] = scaler_state
    return save_state(checkpoint_path(directory, archid), state)
