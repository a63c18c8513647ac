"""File names derived from archids. An archid is data (it may come from a crafted file), so it is
never used raw as a path: unsafe characters are replaced and a hash keeps names distinct."""
from __future__ import annotations

import hashlib
import os
import re

__all__ = ["safe_filename", "inside"]

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=,+-]{0,99}$")


def safe_filename(archid: str) -> str:
    """A file name for ``archid`` that stays inside its folder on every OS."""
    text = str(archid)
    if _SAFE.match(text) and ".." not in text:
        return text
    slug = re.sub(r"[^A-Za-z0-9._=,+-]+", "_", text).strip("._")[:60] or "arch"
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{digest}"


def inside(directory: str, name: str) -> str:
    """Join a safe name to ``directory`` and check the result did not escape it."""
    path = os.path.realpath(os.path.join(directory, name))
    root = os.path.realpath(directory)
    if os.path.commonpath([path, root]) != root:
        raise ValueError(f"refusing path {name!r}: it leaves {directory}")
    return path
