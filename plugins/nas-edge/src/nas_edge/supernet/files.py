"""A trained supernet on disk, in its output folder:

- ``supernet.pt``: the shared weights with the configuration and settings they belong to (read
  with ``torch.load(weights_only=True)``: the file cannot run code);
- ``supernet.json``: the same description without the weights (read without torch, to refuse a
  supernet that does not fit the experiment before anything is loaded), plus the training history;
- ``checkpoint.pt``: the training state while training runs (removed once ``supernet.pt`` is written).
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

FORMAT = "nas-edge-supernet/1"
WEIGHTS, META, CHECKPOINT = "supernet.pt", "supernet.json", "checkpoint.pt"


def read_meta(folder: str) -> Dict[str, Any]:
    """``supernet.json`` of ``folder``; FileNotFoundError / ValueError saying what is wrong."""
    path = os.path.join(folder, META)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"path {folder!r} is not a folder: train the supernet first with "
                                "'nas supernet train EXPERIMENT.yaml -o DIR' and give DIR as path")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{folder!r} holds no trained supernet ({META} is missing; a training that was "
                                "stopped resumes with the same 'nas supernet train' command)")
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a supernet description ({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a mobilenet supernet of this version (format "
                         f"{meta.get('format') if isinstance(meta, dict) else None!r}, expected {FORMAT!r})")
    return meta


def write_supernet(folder: str, meta: Dict[str, Any], state: Dict[str, Any]) -> None:
    """Weights first, then the description (a folder with ``supernet.json`` always has its weights)."""
    from nas_kernel.toolbox.checkpoints import save_state

    os.makedirs(folder, exist_ok=True)
    save_state(os.path.join(folder, WEIGHTS), {"format": FORMAT, "config": meta["config"],
                                                "settings": meta["settings"], "state": state})
    tmp = os.path.join(folder, META + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
    os.replace(tmp, os.path.join(folder, META))


def read_weights(folder: str) -> Dict[str, Any]:
    from nas_kernel.toolbox.checkpoints import load_state

    try:
        blob = load_state(os.path.join(folder, WEIGHTS))
    except Exception as exc:  # a torn or foreign file: say which and why, in one line
        raise ValueError(f"{os.path.join(folder, WEIGHTS)}: unreadable supernet weights ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"{os.path.join(folder, WEIGHTS)}: not a mobilenet supernet ({WEIGHTS} missing or of "
                         "another format)")
    return blob


_CHECKPOINT_KEYS = ("identity", "epoch", "step", "model", "optimizer", "history", "seconds")


def read_checkpoint(folder: str) -> Optional[Dict[str, Any]]:
    """The training state to resume from, None when there is none; ValueError (one line naming the
    file) for a torn or foreign file, so a resume never ends in a traceback."""
    from nas_kernel.toolbox.checkpoints import load_state

    path = os.path.join(folder, CHECKPOINT)
    advice = "remove it or train into another folder (-o)"
    try:
        state = load_state(path)
    except Exception as exc:  # a torn or foreign file: say which and why, in one line
        detail = (str(exc).splitlines() or [""])[0].split(". ")[0]  # torch's advice to unpickle unsafely: left out
        raise ValueError(f"{path}: unreadable training checkpoint ({type(exc).__name__}: {detail}); "
                         f"{advice}") from None
    if state is None:
        return None
    missing = [key for key in _CHECKPOINT_KEYS if not isinstance(state, dict) or key not in state]
    if missing or not isinstance(state["identity"], dict):
        raise ValueError(f"{path}: not a supernet training checkpoint (missing {', '.join(missing) or 'a mapping as identity'}); "
                         f"{advice}")
    return state


def write_checkpoint(folder: str, state: Dict[str, Any]) -> None:
    from nas_kernel.toolbox.checkpoints import save_state

    save_state(os.path.join(folder, CHECKPOINT), state)


def remove_checkpoint(folder: str) -> None:
    path = os.path.join(folder, CHECKPOINT)
    if os.path.exists(path):
        os.remove(path)
