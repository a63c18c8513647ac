"""What a latency figure depends on besides the network: the device and the libraries.

A latency table is only valid for the device it was timed on. ``fingerprint`` names that device
(CPU model and logical cores, or the GPU's name and compute capability) so a table carried to
another machine is recognised as foreign; ``library_versions`` records what timed it, which is
reported but does not by itself make a table foreign.
"""
from __future__ import annotations

import os
import platform
from typing import Dict


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` says)."""
    try:
        with open("/proc/cpuinfo", "r", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown cpu"


def fingerprint(device: str) -> Dict[str, str]:
    """The identity of ``device`` (``cpu`` or ``cuda:N``) on this machine."""
    if device.startswith("cuda"):
        import torch

        index = int(device.split(":", 1)[1]) if ":" in device else 0
        major, minor = torch.cuda.get_device_capability(index)
        return {"kind": "cuda", "name": torch.cuda.get_device_name(index), "capability": f"{major}.{minor}"}
    return {"kind": "cpu", "name": cpu_model(), "machine": platform.machine(),
            "logical_cores": str(os.cpu_count() or 0)}


def library_versions(runtime: str) -> Dict[str, str]:
    import torch

    versions = {"python": platform.python_version(), "torch": torch.__version__}
    if torch.version.cuda:
        versions["cuda"] = torch.version.cuda
    if runtime == "onnxruntime":
        import onnxruntime

        versions["onnxruntime"] = onnxruntime.__version__
    return versions


def describe(print_: Dict[str, str]) -> str:
    """One-line text of a fingerprint, for messages."""
    return ", ".join(f"{k} {v}" for k, v in sorted(print_.items()))
