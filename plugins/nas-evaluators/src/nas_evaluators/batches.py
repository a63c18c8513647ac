"""How a training evaluator reads a split: whole tensors on the device, or a torch ``DataLoader``.

``tensors`` moves the split to the device once and slices minibatches out of it: the fastest
path, for data that fits. ``dataloader`` reads minibatches from the provider's
``torch_dataset(split)`` (memory-mapped files, cached decoded images), in ``num_workers`` spawned
loader processes for the training split when asked, into pinned memory when the device is a GPU. ``auto`` takes tensors
when the split's float32 inputs fit in a quarter of the device's memory (host memory for the
CPU), else the loader.

Both paths visit the same minibatches in the same order (the caller's seeded permutation) and
apply the same augmentation, so a model trains to the same weights either way; only where the
bytes come from differs. Augmentation (``random_crop`` with zero padding, ``horizontal_flip``)
runs on the minibatch on the device, seeded per epoch, on the training split only.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, Optional, Tuple

from nas_kernel.api.dataset import input_shape, split_sizes, torch_dataset
from nas_kernel.toolbox.params import check_choice, check_int

LOADERS = ("auto", "tensors", "dataloader")
AUTO_SHARE = 0.25  # ``auto`` keeps tensors while train + val take at most this share of the device's memory
EVAL_CHUNK = 1024

_LOCK = threading.Lock()
_LOADERS: dict = {}  # per process: (id(provider), split, ...) -> (provider, DataLoader) with live workers


# ---- settings ------------------------------------------------------------------------------------
class Augment:
    """Random crops of zero-padded images and horizontal flips of a minibatch (NCHW)."""

    def __init__(self, random_crop: int = 0, horizontal_flip: bool = False) -> None:
        self.random_crop = check_int("random_crop", random_crop, 0)
        if not isinstance(horizontal_flip, bool):
            raise ValueError(f"horizontal_flip must be true or false, got {horizontal_flip!r}")
        self.horizontal_flip = horizontal_flip

    @property
    def enabled(self) -> bool:
        return bool(self.random_crop or self.horizontal_flip)

    def check_inputs(self, shape: Tuple[int, ...]) -> None:
        """Refuse augmentation of data that is not images ``(C, H, W)``."""
        if self.enabled and len(shape) != 3:
            raise ValueError(f"random_crop and horizontal_flip need images (C, H, W); the dataset's samples "
                             f"have shape {shape}")

    def draws(self, n: int, seed: int, device: Any = "cpu"):
        """The random draws of ``n`` images, a ``(3, n)`` int64 tensor of row offsets, column
        offsets and flips, on ``device``. They come from a CPU generator seeded by ``seed`` (the
        same draws on every device) all at once, and reach a GPU in one non-blocking copy: drawn
        a minibatch at a time, each minibatch would wait for its own copy."""
        import torch

        gen = torch.Generator().manual_seed(int(seed))
        span = 2 * self.random_crop + 1
        dy, dx = (torch.randint(0, span, (n,), generator=gen) for _ in range(2))
        flip = (torch.rand(n, generator=gen) < 0.5).long() if self.horizontal_flip else torch.zeros(n, dtype=torch.long)
        return to_device(torch.stack([dy, dx, flip]), device)

    def __call__(self, xb, seed: int = 0, draws=None):
        """The augmented minibatch; ``draws``: its columns of :meth:`draws` (drawn from ``seed``
        when not given)."""
        if not self.enabled:
            return xb
        import torch
        import torch.nn.functional as F

        n, _, h, w = xb.shape
        dy, dx, flip = self.draws(n, seed, xb.device) if draws is None else draws
        if self.random_crop:
            p = self.random_crop
            padded = F.pad(xb, (p, p, p, p))
            rows = (dy[:, None] + torch.arange(h, device=xb.device))[:, :, None]
            cols = (dx[:, None] + torch.arange(w, device=xb.device))[:, None, :]
            picked = torch.arange(n, device=xb.device)[:, None, None]
            xb = padded[picked, :, rows, cols].permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
        if self.horizontal_flip:
            xb = torch.where(flip.bool()[:, None, None, None], xb.flip(3), xb)
        return xb.contiguous()


def to_device(tensor, device: Any):
    """``tensor`` on ``device``; to a GPU through pinned memory without waiting for the copy
    (later kernels on the same stream are ordered after it)."""
    import torch

    device = torch.device(device)
    if device.type != "cuda" or tensor.device.type != "cpu":
        return tensor.to(device)
    return tensor.pin_memory().to(device, non_blocking=True)


def check_loader(loader: Any, num_workers: Any) -> Tuple[str, int]:
    return check_choice("loader", loader, LOADERS), check_int("num_workers", num_workers, 0)


def split_bytes(provider: Any, splits=("train", "val")) -> int:
    """Bytes of the float32 inputs of ``splits``, from the sizes (nothing is loaded)."""
    per_sample = 4
    for d in input_shape(provider):
        per_sample *= int(d)
    sizes = split_sizes(provider)
    return per_sample * sum(int(sizes.get(s, 0)) for s in splits)


def choose_loader(loader: str, provider: Any, device: str, memory: Optional[int] = None,
                  sharers: Optional[int] = None) -> str:
    """``tensors`` or ``dataloader`` for ``loader`` (``auto`` decides by size; ``memory`` in bytes
    defaults to the device's). The share of memory ``auto`` allows is divided by ``sharers``, the
    processes holding their own copy on that device (default: this pool worker's, see
    ``nas_kernel.toolbox.devices.device_sharers``): 4 workers on one GPU may not each take a quarter."""
    if loader != "auto":
        return loader
    from nas_kernel.toolbox.devices import device_sharers, memory_bytes

    if memory is None:
        memory = memory_bytes(device)
    sharers = device_sharers() if sharers is None else max(1, int(sharers))
    return "tensors" if split_bytes(provider) <= AUTO_SHARE * memory / sharers else "dataloader"


# ---- the two paths -------------------------------------------------------------------------------
class TensorSplit:
    """A split as two tensors already on the device; ``X`` may be a :class:`Palette`'s uint8
    codes, decoded a minibatch at a time (``decode``).

    No minibatch waits for the host: the epoch's order and augmentation draws reach the device in
    one copy each, and indexing stays on the device."""

    def __init__(self, X, y, decode: Optional[Callable] = None) -> None:
        self.X, self.y = X, y
        self.decode = decode or (lambda xb: xb)

    def __len__(self) -> int:
        return len(self.y)

    def batches(self, order, batch_size: int, augment: Optional[Augment] = None, seed: int = 0) -> Iterator:
        order = to_device(order, self.X.device)
        draws = augment.draws(len(order), seed, self.X.device) if augment is not None else None
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            xb = self.decode(self.X[idx])
            yield (augment(xb, draws=draws[:, i:i + batch_size]) if augment is not None else xb), self.y[idx]

    def chunks(self, chunk: int = EVAL_CHUNK) -> Iterator:
        for i in range(0, len(self.y), chunk):
            yield self.decode(self.X[i:i + chunk]), self.y[i:i + chunk]


class Palette:
    """Images whose every channel takes at most 256 distinct values (8-bit images, normalised
    per channel) kept on the device as uint8 codes plus a 256-entry table per channel: a quarter
    of the float32 memory, so several workers sharing a GPU each keep a whole split resident.
    Decoding a minibatch is one gather on the device and gives back exactly the float values."""

    def __init__(self, codes, table) -> None:
        self.codes, self.table = codes, table  # (N, C, ...) uint8, (C, 256) float32

    @staticmethod
    def of(X) -> Optional["Palette"]:
        """The palette of ``X`` (N, C, ...) computed where ``X`` lives, or None when a channel
        has more than 256 values."""
        import torch

        if X.dim() < 3 or not X.is_floating_point():
            return None
        codes = torch.empty(X.shape, dtype=torch.uint8, device=X.device)
        table = torch.zeros((X.shape[1], 256), dtype=X.dtype, device=X.device)
        for c in range(X.shape[1]):
            values, inverse = torch.unique(X[:, c], return_inverse=True)
            if len(values) > 256:
                return None
            table[c, :len(values)] = values
            codes[:, c] = inverse.to(torch.uint8)
        return Palette(codes, table)

    def decode(self, codes):
        import torch

        channels = self.table.shape[0]
        offsets = 256 * torch.arange(channels, device=codes.device).view((1, channels) + (1,) * (codes.dim() - 2))
        return self.table.reshape(-1)[codes.long() + offsets]


_RESIDENT: dict = {}  # per process: (id(provider), split, device) -> (provider, TensorSplit)


def resident_split(provider: Any, split: str, device: str, compact: Optional[bool] = None) -> TensorSplit:
    """``split`` on ``device``, moved there once per process and kept: a pool worker evaluating
    candidate after candidate on one dataset copies it once, not once per candidate. On a GPU
    (``compact`` None) or with ``compact``, images of at most 256 values per channel stay there
    as a :class:`Palette`. Only the latest provider's splits are kept."""
    import torch

    from nas_kernel.api.dataset import get_split

    key = (id(provider), split, str(device))
    with _LOCK:
        found = _RESIDENT.get(key)
        if found is not None and found[0] is provider:
            return found[1]
        for other in [k for k, v in _RESIDENT.items() if v[0] is not provider]:
            del _RESIDENT[other]
    X, y = get_split(provider, split)
    X, y = to_device(X, device), to_device(y, device)
    if compact is None:
        compact = torch.device(device).type == "cuda"
    palette = Palette.of(X) if compact else None
    tensors = TensorSplit(X, y) if palette is None else TensorSplit(palette.codes, y, palette.decode)
    del X
    with _LOCK:
        _RESIDENT[key] = (provider, tensors)
    return tensors


class OrderedBatches:
    """A batch sampler whose order the trainer sets before each epoch (loader workers keep running)."""

    def __init__(self, n: int, batch_size: int) -> None:
        self.n, self.batch_size = n, batch_size
        self.order = None

    def __iter__(self):
        order = range(self.n) if self.order is None else self.order.tolist()
        for i in range(0, self.n, self.batch_size):
            yield list(order[i:i + self.batch_size])

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size


def _one_thread(_worker_id: int) -> None:
    import torch

    torch.set_num_threads(1)


def _loader(provider: Any, split: str, batch_size: int, num_workers: int, pin: bool):
    """A DataLoader over the split, built once per process and setting (its workers stay up)."""
    key = (id(provider), split, batch_size, num_workers, pin)
    with _LOCK:
        found = _LOADERS.get(key)
        if found is not None and found[0] is provider:
            return found[1]
        # another provider's loaders go, as its resident splits do: their workers would stay up for good
        stale = [_LOADERS.pop(k)[1] for k in [k for k, v in _LOADERS.items() if v[0] is not provider]]
        _stop_workers(stale)
        from torch.utils.data import DataLoader

        data = torch_dataset(provider, split)
        options = {}
        if num_workers:  # spawn, never fork: the parent has run torch already
            options = {"multiprocessing_context": "spawn", "persistent_workers": True,
                       "worker_init_fn": _one_thread}
        loader = DataLoader(data, batch_sampler=OrderedBatches(len(data), batch_size), num_workers=num_workers,
                            pin_memory=pin, **options)
        _LOADERS[key] = (provider, loader)
        return loader


class LoaderSplit:
    """A split read through a ``DataLoader`` and moved to the device a minibatch at a time."""

    def __init__(self, provider: Any, split: str, device: str, num_workers: int, place: Callable) -> None:
        from nas_kernel.toolbox.devices import device_type

        self.provider, self.split, self.device = provider, split, device
        self.num_workers, self.place = num_workers, place
        self.pin = device_type(device) == "cuda"
        self._length = int(split_sizes(provider)[split])

    def __len__(self) -> int:
        return self._length

    def _read(self, order, batch_size: int, num_workers: int) -> Iterator:
        loader = _loader(self.provider, self.split, batch_size, num_workers, self.pin)
        loader.batch_sampler.order = order
        for xb, yb in loader:
            yield self.place(xb, self.device), yb.to(self.device, non_blocking=True)

    def batches(self, order, batch_size: int, augment: Optional[Augment] = None, seed: int = 0) -> Iterator:
        draws = augment.draws(len(order), seed, self.device) if augment is not None else None
        for k, (xb, yb) in enumerate(self._read(order, batch_size, self.num_workers)):
            i = k * batch_size
            yield (augment(xb, draws=draws[:, i:i + batch_size]) if augment is not None else xb), yb

    def chunks(self, chunk: int = EVAL_CHUNK) -> Iterator:
        """Scoring reads in this process: one pass per epoch at most does not pay for workers."""
        return self._read(None, chunk, 0)


def rows_of(provider: Any, split: str, indices) -> Tuple[Any, Any]:
    """``(X, y)`` tensors of some rows of a split, reading only those rows (a seeded minibatch of a
    memory-mapped dataset without converting the whole split)."""
    import torch

    data = torch_dataset(provider, split)
    indices = [int(i) for i in indices]
    fetch = getattr(data, "__getitems__", None)
    samples = fetch(indices) if callable(fetch) else [data[i] for i in indices]
    return (torch.stack([torch.as_tensor(x) for x, _ in samples]),
            torch.stack([torch.as_tensor(label) for _, label in samples]))


def open_split(provider: Any, split: str, path: str, device: str, num_workers: int = 0,
               place: Optional[Callable] = None):
    """``split`` of ``provider`` read by ``path`` (``tensors`` or ``dataloader``) onto ``device``;
    ``place(X, device)`` moves inputs (channels-last and so on)."""
    place = place or (lambda X, dev: X.to(dev, non_blocking=True))
    if path == "tensors":
        resident = resident_split(provider, split, device)
        return TensorSplit(place(resident.X, device), resident.y, resident.decode)
    return LoaderSplit(provider, split, device, num_workers, place)


def release_loaders() -> None:
    """Stop the loader workers this process started (tests, end of a benchmark)."""
    with _LOCK:
        loaders = [entry[1] for entry in _LOADERS.values()]
        _LOADERS.clear()
        _RESIDENT.clear()
    _stop_workers(loaders)


def _stop_workers(loaders) -> None:
    """Shut down the persistent worker processes of these DataLoaders."""
    for loader in loaders:
        iterator = getattr(loader, "_iterator", None)
        if iterator is not None and hasattr(iterator, "_shutdown_workers"):
            iterator._shutdown_workers()
