"""Finding, checking and decoding the images of a one-folder-per-class tree (Pillow).

Scanning opens every file lazily (Pillow reads the header, not the pixels), so a folder with one
class, an unreadable file or images of mixed channel counts are reported when the experiment is
built; decoding happens later, once, into the cache (``image_cache``).
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

import numpy as np

EXTENSIONS = (".png", ".jpg", ".jpeg")
#: Pillow modes read as one channel; every other mode is converted to RGB (alpha is dropped)
GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


def class_folders(root: str, what: str) -> List[str]:
    """The class names of ``root``: its sub-folders holding at least one image, sorted."""
    if not os.path.isdir(root):
        raise ValueError(f"{what}: {root} is not a folder")
    names = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    found = [d for d in names if _images_in(os.path.join(root, d))]
    if len(found) < 2:
        raise ValueError(f"{what}: {root} has {len(found)} class folder(s) with images "
                         f"({', '.join(found) or 'none'}); a classifier needs one sub-folder per class and at "
                         "least two classes")
    return found


def _images_in(folder: str) -> List[str]:
    return sorted(f for f in os.listdir(folder)
                  if f.lower().endswith(EXTENSIONS) and not f.startswith(".")
                  and os.path.isfile(os.path.join(folder, f)))


def scan(root: str, classes: List[str], what: str) -> List[Tuple[str, int, int, int, int]]:
    """``(relative path, label, channels, bytes, mtime_ns)`` of every image under ``root``; labels
    follow ``classes``; size and time identify the file's version for the cache.

    A folder of ``root`` that is not in ``classes`` is an error (it would be a class the model
    cannot output)."""
    from PIL import Image, UnidentifiedImageError

    present = class_folders(root, what)
    unknown = [c for c in present if c not in classes]
    if unknown:
        raise ValueError(f"{what}: {root} has class folder(s) {', '.join(unknown)} that the training folder "
                         f"lacks (its classes: {', '.join(classes)})")
    files = []
    for label, name in enumerate(classes):
        folder = os.path.join(root, name)
        for file in (_images_in(folder) if os.path.isdir(folder) else []):
            rel = os.path.join(name, file)
            try:
                with Image.open(os.path.join(root, rel)) as image:
                    mode = image.mode
                stat = os.stat(os.path.join(root, rel))
            except (UnidentifiedImageError, OSError) as exc:
                raise ValueError(f"{what}: cannot read {os.path.join(root, rel)} as an image ({exc})") from None
            files.append((rel, label, 1 if mode in GREY_MODES else 3, stat.st_size, stat.st_mtime_ns))
    return files


def common_channels(files: List[tuple], channels: Optional[int], root: str, what: str) -> int:
    """The channel count every image will have: ``channels`` when set, else the one all share."""
    if channels is not None:
        return channels
    by_count: Dict[int, str] = {}
    for rel, _, count, *_ in files:
        by_count.setdefault(count, rel)
    if len(by_count) > 1:
        examples = ", ".join(f"{count} ({os.path.join(root, rel)})" for count, rel in sorted(by_count.items()))
        raise ValueError(f"{what}: images have mixed channel counts: {examples}; set channels: 1 or 3 to convert "
                         "them all")
    return next(iter(by_count))


def decode(path: str, size: Tuple[int, int], channels: int) -> np.ndarray:
    """One image as uint8 ``(channels, height, width)``, resized (bilinear) to ``size``."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("L" if channels == 1 else "RGB")
        if image.size != (size[1], size[0]):
            image = image.resize((size[1], size[0]), Image.BILINEAR)
        pixels = np.asarray(image, dtype=np.uint8)
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
