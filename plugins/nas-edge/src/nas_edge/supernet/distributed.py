"""Data-parallel supernet training over every GPU of the machine, launched by NAS Kernel itself:
one spawned process per GPU, joined in a process group over the loopback interface (NCCL on GPUs,
gloo on CPUs), each running the same training loop on its share of every batch with the gradients
averaged by ``DistributedDataParallel``.
"""
from __future__ import annotations

import os
import socket
from typing import Any, Callable, Tuple


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _entry(rank: int, world: int, port: int, backend: str, fn: Callable, args: Tuple[Any, ...]) -> None:
    import torch
    import torch.distributed as dist

    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    if backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(backend, rank=rank, world_size=world)
    try:
        fn(rank, world, *args)
    finally:
        dist.destroy_process_group()


def launch(world: int, fn: Callable, args: Tuple[Any, ...], kind: str = "cuda") -> None:
    """Run ``fn(rank, world, *args)`` in ``world`` spawned processes (``fn`` and ``args`` must pickle)."""
    import torch.multiprocessing as mp

    backend = "nccl" if kind == "cuda" else "gloo"
    mp.spawn(_entry, args=(world, free_port(), backend, fn, args), nprocs=world, join=True)
