"""Weight files of this distribution's spaces: a ``state_dict``, loaded with
``weights_only=True``. Architecture files are the kernel's (``nas_kernel.toolbox.arch_files``)."""
from __future__ import annotations


def save_weights(net, path: str) -> None:
    import torch

    torch.save(net.state_dict(), path)


def load_weights(net, path: str) -> None:
    import torch

    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
