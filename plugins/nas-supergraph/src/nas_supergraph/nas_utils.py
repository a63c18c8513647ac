"""Checkpoint helpers under the names the supergraph classes use."""
from __future__ import annotations

from typing import Any, Dict, Optional

from nas_supergraph.checkpoint import Checkpoint


def checkpoint_empty(checkpoint: Optional[Checkpoint]) -> bool:
    """True when there is no checkpoint or it holds nothing yet."""
    return checkpoint is None or not checkpoint.exists()


def create_checkpoint(conf_checkpoint: Optional[Dict[str, Any]], resume: bool) -> Optional[Checkpoint]:
    """The checkpoint ``conf_checkpoint['filename']`` names (None without a filename). With
    ``resume`` an existing file is continued from; without it, it is removed so training starts
    empty."""
    filename = (conf_checkpoint or {}).get("filename")
    if not filename:
        return None
    checkpoint = Checkpoint(str(filename))
    if not resume:
        checkpoint.remove()
    return checkpoint
