"""The one-move neighbourhood of an architecture, enumerated through the space's ``mutate``.

A space may offer ``neighbours(model)`` (every one-move neighbour); otherwise neighbours are
drawn with ``mutate`` until ``patience`` draws in a row bring nothing new or ``limit`` distinct
ones are found - with 24 neighbours (NAS-Bench-201) about 100 cheap draws find them all.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from nas_kernel import ArchaiModel


def neighbourhood(space: Any, model: ArchaiModel, *, limit: Optional[int] = None, patience: int = 40) -> List[ArchaiModel]:
    """Distinct neighbours of ``model`` (never ``model`` itself), in discovery order."""
    listed = getattr(space, "neighbours", None) or getattr(space, "neighbors", None)
    found: Dict[str, ArchaiModel] = {}
    if callable(listed):
        for neighbour in listed(model):
            if neighbour.archid != model.archid:
                found.setdefault(neighbour.archid, neighbour)
        out = list(found.values())
        return out[:limit] if limit is not None else out
    misses = 0
    while misses < patience and (limit is None or len(found) < limit):
        neighbour = space.mutate(model)
        if neighbour is None or neighbour.archid == model.archid or neighbour.archid in found:
            misses += 1
            continue
        misses = 0
        found[neighbour.archid] = neighbour
    return list(found.values())
