"""What the torch-based predictors share: where they train and with how many CPU threads."""
from __future__ import annotations

from typing import Optional

from overrides import overrides

from nas_kernel import Predictor
from nas_kernel.toolbox.devices import check_device, placed
from nas_kernel.toolbox.params import check_int


class TorchPredictor(Predictor):
    """``device``: ``auto`` (None means the same) is the first GPU when there is one, else the
    CPU; ``cpu``, ``cuda`` or ``cuda:N`` otherwise, and ``cuda`` on a machine without a GPU is
    refused when the predictor is built (``nas_kernel.toolbox.devices``). ``num_threads``: torch CPU
    threads while fitting (restored afterwards; None leaves torch's setting). One is fastest for
    these small matrices and does not collapse when another process holds the other core.
    Subclasses implement ``_fit``."""

    def __init__(self, device: Optional[str] = "auto", num_threads: Optional[int] = 1) -> None:
        self.device = check_device("device", "auto" if device is None else device)
        self.num_threads = None if num_threads is None else check_int("num_threads", num_threads, 1)

    def _torch_device(self):
        import torch

        return torch.device(placed(self.device))

    def to_cpu(self) -> None:
        self.device = "cpu"

    def to_cuda(self) -> None:
        """Train on the first GPU from now on (a ``ValueError`` on a machine without one)."""
        self.device = check_device("device", "cuda")

    @overrides
    def fit(self, encoded_archs, y):
        import torch

        previous = torch.get_num_threads()
        if self.num_threads is not None:
            torch.set_num_threads(self.num_threads)
        try:
            return self._fit(encoded_archs, y)
        finally:
            torch.set_num_threads(previous)

    def _fit(self, encoded_archs, y):
        raise NotImplementedError
