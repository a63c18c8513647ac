"""Reading NAS-Bench-201 archids. This space writes ``nb201-<index>``; lookups also accept a plain
index, Archai-style ``natsbench-tss-<index>`` / ``<prefix>-<index>``, and a cell string."""
from __future__ import annotations

import re

from nas_search_spaces.nb201.table import Nb201Table

PREFIX = "nb201-"
_TRAILING_INDEX = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_-]*-)?(\d+)$")


def archid_of(index: int) -> str:
    return f"{PREFIX}{int(index)}"


def index_of(archid: str, table: Nb201Table) -> int:
    """Architecture index of ``archid``; ValueError if it names no NAS-Bench-201 architecture."""
    text = str(archid).strip()
    match = _TRAILING_INDEX.match(text)
    if match:
        index = int(match.group(1))
        if 0 <= index < len(table):
            return index
        raise ValueError(f"archid {archid!r}: index outside 0..{len(table) - 1}")
    if text in table.index_of:
        return table.index_of[text]
    raise ValueError(f"archid {archid!r} is not a NAS-Bench-201 index or cell string")
