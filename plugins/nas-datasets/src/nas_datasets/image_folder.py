"""Images in the usual one-folder-per-class layout (PNG or JPEG), read with Pillow.

``root/cat/001.png, root/dog/002.jpg, ...``: class names are the sorted sub-folder names, labels
their positions. The folders are scanned and checked when the experiment is built; the pixels are
decoded on first use, once, into ``<output_dir>/data_cache`` (see ``image_cache``), which every
later epoch and every worker memory-maps. The provider pickles as its folders and file list.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

from nas_datasets.files import resolve_path
from nas_datasets.image_cache import cached_arrays, decode_all
from nas_datasets.image_files import class_folders, common_channels, scan
from nas_datasets.provider import ArrayDataset
from nas_datasets.splits import check_fraction, split_indices

CACHE_FOLDER = "data_cache"


def check_size(size: Any) -> Tuple[int, int]:
    """``size`` as ``(height, width)``: one positive integer or a list of two."""
    values = [size] if isinstance(size, int) and not isinstance(size, bool) else size
    if not isinstance(values, (list, tuple)) or len(values) not in (1, 2) or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(f"size must be a positive integer or [height, width], got {size!r}")
    return (int(values[0]), int(values[-1]))


def refuse_empty_class_folders(root: str, what: str) -> None:
    """A class folder without images is refused, not skipped: it is usually a copy that went wrong,
    and skipping it would silently train a model with one class fewer."""
    from nas_datasets.image_files import EXTENSIONS

    empty = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(folder):
            continue
        if not any(f.lower().endswith(EXTENSIONS) and not f.startswith(".") for f in os.listdir(folder)):
            empty.append(name)
    if empty:
        raise ValueError(f"{what}: class folder(s) {', '.join(empty)} of {root} hold no images "
                         f"({', '.join(EXTENSIONS)}); add images or remove the folder(s)")


class ImageFolder(ArrayDataset):
    """A folder with one sub-folder of images per class, resized to ``size``, standardised per channel.

    A class sub-folder without images is refused (not skipped); every image is decoded when the
    cache is built, and one that cannot be (a truncated file) is named.

    Args:
        root: the training folder (relative paths are read from the experiment file's folder).
        size: ``[height, width]`` (or one number for square images) every image is resized to.
        val_root: a validation folder with the same class sub-folders; None holds out
            ``val_fraction`` of ``root`` (seeded by ``seed``).
        test_root: an optional test folder, laid out the same way.
        val_fraction: share of ``root`` used for validation when there is no ``val_root``.
        channels: 1 (greyscale) or 3 (RGB) to convert every image; None requires all images to
            have the same channel count and keeps it.
        cache_dir: where the decoded arrays are kept; None uses ``<output_dir>/data_cache``, or
            decodes in memory when there is no output directory.
        seed: the validation split.
        base_dir, output_dir: passed by the kernel (the experiment file's folder and the run's
            output directory).
    """

    raw_inputs = ("image files decoded with Pillow, resized to `size` (bilinear, height x width), uint8 "
                  "values 0..255, channels first")

    def __init__(self, root: str, size: Any = 32, val_root: Optional[str] = None, test_root: Optional[str] = None,
                 val_fraction: float = 0.2, channels: Optional[int] = None, cache_dir: Optional[str] = None,
                 seed: int = 1, base_dir: Optional[str] = None, output_dir: Optional[str] = None) -> None:
        self.size = check_size(size)
        if channels is not None and channels not in (1, 3):
            raise ValueError(f"channels must be 1, 3 or null (keep the images' own), got {channels!r}")
        self.val_fraction = check_fraction(val_fraction, "val_fraction", allow_zero=False)
        self.seed = int(seed)
        roots = {"train": resolve_path(root, base_dir, "root", folder=True),
                 "val": None if val_root is None else resolve_path(val_root, base_dir, "val_root", folder=True),
                 "test": None if test_root is None else resolve_path(test_root, base_dir, "test_root", folder=True)}
        names = {"train": "root", "val": "val_root", "test": "test_root"}
        for split, folder in roots.items():
            if folder is not None:
                refuse_empty_class_folders(folder, names[split])
        self.classes = class_folders(roots["train"], "root")
        self.files = {k: None if r is None else scan(r, self.classes, names[k]) for k, r in roots.items()}
        found = [f for files in self.files.values() if files for f in files]
        self.channels = common_channels(found, channels, roots["train"], "root")
        self.roots = roots
        if cache_dir is not None:
            cache_dir = os.path.normpath(os.path.join(base_dir or os.getcwd(), os.path.expanduser(cache_dir)))
        elif output_dir is not None:
            cache_dir = os.path.join(os.path.abspath(output_dir), CACHE_FOLDER)
        self.cache_dir = cache_dir
        if roots["val"] is None:
            self._rows = split_indices(len(self.files["train"]), (self.val_fraction,), self.seed)
        super().__init__(num_classes=len(self.classes), mean=None, name="image_folder")
        self.input_shape = (self.channels,) + self.size
        self.channel_order = "RGB" if self.channels == 3 else None

    def sizes(self) -> Dict[str, int]:
        """Samples per split, from the scan (nothing is decoded)."""
        counts = {k: 0 if v is None else len(v) for k, v in self.files.items()}
        if self.roots["val"] is None:
            counts["train"], counts["val"] = len(self._rows[0]), len(self._rows[1])
        return counts

    def _decoded(self, split: str):
        root, files = self.roots[split], self.files[split]
        if self.cache_dir is None:
            return decode_all(root, files, self.size, self.channels)
        return cached_arrays(self.cache_dir, root, files, self.size, self.channels)

    def _load(self):
        train = self._decoded("train")
        if self.roots["val"] is None:
            rest, held_out = self._rows
            train, val = train + (rest,), train + (held_out,)
        else:
            val = self._decoded("val")
        return {"train": train, "val": val, "test": None if self.roots["test"] is None else self._decoded("test")}
