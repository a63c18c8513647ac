"""What a training evaluation recorded about itself, as the columns that ``nas results show``
and ``evaluations.yaml`` carry next to its value: ``epochs_trained`` (fewer than asked when ACT
stopped it), ``act_stopped``, ``momentum`` (HiveNAS's score of its per-epoch ``history``, what the
bee colony's momentum phase ranks by) and ``ray_node`` (the Ray node that computed it). Only the
facts an evaluator recorded appear; the rest of the metadata stays in the store."""
from __future__ import annotations

from typing import Any, Dict, Optional

from nas_kernel.toolbox.momentum import momentum_score

__all__ = ["FACTS", "training_facts"]

FACTS = ("epochs_trained", "act_stopped", "momentum", "ray_node")


def training_facts(metadata: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The facts above found in an evaluation's metadata, as plain values."""
    metadata = metadata if isinstance(metadata, dict) else {}
    facts: Dict[str, Any] = {}
    if isinstance(metadata.get("epochs_trained"), (int, float)):
        facts["epochs_trained"] = int(metadata["epochs_trained"])
    if "act_stopped" in metadata:
        facts["act_stopped"] = bool(metadata["act_stopped"])
    history = metadata.get("history")
    if isinstance(history, list) and history and all(isinstance(v, (int, float)) for v in history):
        facts["momentum"] = round(momentum_score(history, 0.0), 6)
    if metadata.get("ray_node"):
        facts["ray_node"] = str(metadata["ray_node"])
    return facts
