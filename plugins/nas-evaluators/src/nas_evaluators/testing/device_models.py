"""Models that report, from inside a training step, what the device settings did to them."""
import os

import torch
from torch import nn

from nas_kernel.api import ArchaiModel

SEEN = []  # one record per training-mode forward (the trainer works on a copy of the model)
HELD = []  # weak references to what an out-of-memory model allocated before failing


class Probe(nn.Module):
    """conv(1->8)-BN-ReLU-conv(8->16)-BN-ReLU-maxpool-linear; records the activation dtype, memory formats
    and the deterministic flag of every training forward into ``SEEN``."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 4 * 4, num_classes)

    def forward(self, x):
        h = self.conv1(x)
        if self.training:
            SEEN.append({"dtype": h.dtype, "device": h.device.type,
                         "activation_channels_last": h.is_contiguous(memory_format=torch.channels_last)
                         and not h.is_contiguous(),
                         "weight_channels_last": self.conv2.weight.is_contiguous(memory_format=torch.channels_last)
                         and not self.conv2.weight.is_contiguous(),
                         "deterministic": torch.are_deterministic_algorithms_enabled()})
        h = torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(h)))))
        return self.fc(torch.nn.functional.max_pool2d(h, 2).flatten(1))


class OutOfMemoryAfterAllocating(nn.Module):
    """Allocates 64 MB on the input's device at its second training step, then raises torch's
    CUDA out-of-memory error, as a too-large candidate would."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.fc = nn.Linear(64, num_classes)
        self.steps = 0

    def forward(self, x):
        self.steps += 1
        if self.training and self.steps == 2:
            import weakref

            block = torch.empty(16 * 1024 * 1024, device=x.device)
            HELD.append(weakref.ref(block))
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 64.00 MiB (faked by the test)")
        return self.fc(x.flatten(1))


def probe(archid="probe"):
    torch.manual_seed(0)
    return ArchaiModel(Probe(), archid)


def where_am_i(model, budget):
    """An EvaluationFunction run in a pool worker: what the worker was pinned to, seen from inside."""
    from nas_kernel.toolbox import devices

    model.metadata["pinned"] = devices.pinned_device()
    model.metadata["cuda_visible"] = os.environ.get("CUDA_VISIBLE_DEVICES")
    try:  # the environment the process was started with, before any of its own code ran
        with open("/proc/self/environ", "rb") as f:
            start = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
        model.metadata["cuda_visible_at_start"] = start.get(b"CUDA_VISIBLE_DEVICES", b"(unset)").decode()
    except OSError:
        model.metadata["cuda_visible_at_start"] = "(no /proc)"
    model.metadata["torch_sees_gpus"] = torch.cuda.device_count() if torch.cuda.is_available() else 0
    model.metadata["pid"] = os.getpid()
    return 1.0


def sharers_seen(model, budget):
    """An EvaluationFunction run in a pool worker: how many workers share its device, seen from inside."""
    from nas_kernel.toolbox import devices

    model.metadata["sharers"] = devices.device_sharers()
    model.metadata["pid"] = os.getpid()
    return 1.0


def fails_like_an_illegal_address(model, budget):
    """An EvaluationFunction failing with the error torch raises after an illegal memory access
    (the process's CUDA context is then unusable), for archids starting with ``poison``."""
    model.metadata["pid"] = os.getpid()
    if model.archid.startswith("poison"):
        raise RuntimeError("CUDA error: an illegal memory access was encountered\n"
                           "CUDA kernel errors might be asynchronously reported at some other API call")
    return 1.0
