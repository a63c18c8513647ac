"""Architecture and weight files of this distribution's spaces.

An architecture file is a small JSON document ``{"space", "format", "archid", "arch"}``: loading is
safe by construction (JSON, no objects) and strict (another space, another format, or an ``arch``
whose archid differs from the recorded one is refused with a ValueError naming the file). Weights
are a ``state_dict`` loaded with ``weights_only=True``.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict

ARCH_FORMAT = 1
MAX_ARCH_FILE_BYTES = 1 << 20


def write_arch(path: str, space: str, archid: str, arch: Dict[str, Any]) -> None:
    document = {"space": space, "format": ARCH_FORMAT, "archid": archid, "arch": arch}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, sort_keys=True)


def read_arch(path: str, space: str, rebuild: Callable[[Dict[str, Any]], Any]):
    """``rebuild(arch)`` of the file's description, checked against the recorded archid."""
    if os.path.getsize(path) > MAX_ARCH_FILE_BYTES:
        raise ValueError(f"{path}: too large for an architecture file")
    with open(path, "r", encoding="utf-8") as f:
        try:
            document = json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not an architecture file ({exc})") from None
    if not isinstance(document, dict) or set(document) != {"space", "format", "archid", "arch"}:
        raise ValueError(f"{path}: expected keys space, format, archid, arch")
    if document["space"] != space:
        raise ValueError(f"{path}: architecture of space {document['space']!r}, not {space!r}")
    if document["format"] != ARCH_FORMAT or not isinstance(document["arch"], dict):
        raise ValueError(f"{path}: unsupported architecture format {document['format']!r}")
    try:
        model = rebuild(document["arch"])
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if model.archid != document["archid"]:
        raise ValueError(f"{path}: description gives archid {model.archid!r}, file says {document['archid']!r}")
    return model


def save_weights(net, path: str) -> None:
    import torch

    torch.save(net.state_dict(), path)


def load_weights(net, path: str) -> None:
    import torch

    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
