"""Which files a ``text`` dataset reads, and the checks that make a bad corpus one clear error.

``path`` is one file, a folder (every file below it, recursively) or a glob; None is the default
corpus: the ``.py`` sources of the running interpreter's standard library (real text, on every
machine, offline; ``site-packages`` left out). A user's file that is empty or not UTF-8 text is
an error naming the file; in the default corpus such a file is skipped.
"""
from __future__ import annotations

import glob
import os
import sysconfig
from typing import List, Optional

SKIP_DIRS = ("site-packages", "dist-packages", "__pycache__")


def stdlib_files() -> List[str]:
    found = []
    for folder, subfolders, names in os.walk(sysconfig.get_paths()["stdlib"]):
        subfolders[:] = [d for d in subfolders if d not in SKIP_DIRS]  # pruned, not walked and filtered
        found += [os.path.join(folder, n) for n in names if n.endswith(".py")]
    return sorted(found)


def resolve(path: Optional[str], base_dir: Optional[str]) -> List[str]:
    """The sorted files ``path`` names; ``FileNotFoundError`` naming ``path`` when there are none."""
    if path is None:
        return stdlib_files()
    if not isinstance(path, str) or not path:
        raise ValueError(f"path must be a file, a folder or a glob, got {path!r}")
    full = os.path.join(base_dir or os.getcwd(), os.path.expanduser(path))
    if os.path.isfile(full):
        return [full]
    if os.path.isdir(full):
        files = [os.path.join(d, f) for d, _, names in os.walk(full) for f in names]
    else:
        files = glob.glob(full, recursive=True)
    files = sorted(f for f in files if os.path.isfile(f))
    if not files:
        raise FileNotFoundError(f"path {path!r} names no files (looked for {full})")
    return files


def read_text(file: str, strict: bool) -> Optional[bytes]:
    """The file's bytes when they are non-empty UTF-8 text without NUL bytes; otherwise a
    ``ValueError`` naming ``path`` and the file (``strict``) or None (skip it)."""
    with open(file, "rb") as f:
        data = f.read()
    if not data:
        problem = "is empty"
    elif b"\x00" in data:
        problem = "is binary (holds NUL bytes), not text"
    else:
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError as exc:
            problem = f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
    if strict:
        raise ValueError(f"path: {file} {problem}")
    return None
