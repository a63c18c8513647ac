"""Architecture files for search spaces, written once for every plugin that saves them.

An architecture file is a small JSON document. Reading one is safe by construction (JSON, no
objects, a size bound) and strict: what is not a JSON object is refused with a ``ValueError``
naming the file. ``write_arch``/``read_arch`` add the layout the built-in spaces share,
``{"space": <name>, "format": 1, "archid": <archid>, "arch": {...}}``: another space, another
format, or an ``arch`` that rebuilds to a different archid is refused the same way. A space
with a file layout of its own (Archai's transformer config, say) reads it with
``read_json_object``. Nothing here imports torch.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict

__all__ = ["ARCH_FORMAT", "MAX_ARCH_FILE_BYTES", "read_json_object", "write_arch", "read_arch"]

ARCH_FORMAT = 1
#: an architecture is a few kilobytes: a larger file is not one, and is not read into memory
MAX_ARCH_FILE_BYTES = 1 << 20


def read_json_object(path: str) -> Dict[str, Any]:
    """The JSON object in ``path``; ``ValueError`` naming the file when it is too large, not JSON
    or not an object."""
    if os.path.getsize(path) > MAX_ARCH_FILE_BYTES:
        raise ValueError(f"{path}: too large for an architecture file")
    with open(path, "r", encoding="utf-8") as f:
        try:
            document = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not an architecture file ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return document


def write_arch(path: str, space: str, archid: str, arch: Dict[str, Any]) -> None:
    """Write the shared layout for ``space``'s architecture ``arch`` (JSON-able) of ``archid``."""
    document = {"space": space, "format": ARCH_FORMAT, "archid": archid, "arch": arch}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, sort_keys=True)


def read_arch(path: str, space: str, rebuild: Callable[[Dict[str, Any]], Any]) -> Any:
    """``rebuild(arch)`` of the file's description (a model with an ``archid``), checked against
    the space and the recorded archid. ``rebuild`` raises ``ValueError`` for an invalid ``arch``."""
    document = read_json_object(path)
    if set(document) != {"space", "format", "archid", "arch"}:
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
