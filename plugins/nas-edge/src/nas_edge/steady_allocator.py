"""Keep the C allocator from handing memory back to the system between timed runs.

Why: eager PyTorch on the CPU allocates a network's activations with ``malloc``. glibc's defaults
serve large blocks with fresh ``mmap`` calls and give the top of the heap back whenever enough of
it is free, and both thresholds move as the process runs. So a run's memory is often new pages,
and every first touch of a page is a fault the kernel serves (and zeroes) inside the timed run.
How many depends on what ran before, not on the network: on this project's CPU the same kind of
networks came out about 20 % slower, against the sum of their blocks, when timed during a table's
build than when timed a minute later, and the table's median error against them was 17-19 %
(``tests/benchmarks/latency_table.py``). With the thresholds fixed, freed memory stays in the
process and is reused: the networks' ratio to their blocks held within a few percent and the
error fell to 4 %. A deployed model that serves requests runs in that state too (its allocator
long warm).

Fixing the thresholds also turns off glibc's adjustment of them, for the whole process: memory a
timing process frees stays its own until it exits (its resident size stays at its peak). Other C
libraries (macOS, musl) are left as they are.
"""
from __future__ import annotations

import ctypes
import platform
from typing import Optional

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest: blocks up to this size come from the heap
TRIM_THRESHOLD = 1 << 30  # give the heap's top back only when a gigabyte of it is free
TOP_PAD = 64 * 1024 * 1024  # grow the heap in steps of this much

_applied: Optional[bool] = None


def steady_allocator() -> bool:
    """Fix glibc's allocation thresholds for this process (once); True when they are fixed,
    False where the C library is not glibc or refuses."""
    global _applied
    if _applied is None:
        _applied = _set_thresholds()
    return _applied


def keep_system_allocator() -> None:
    """Leave the allocator as the process found it from now on (``steady_allocator`` then does
    nothing): for a process that must give memory back, or to compare timings both ways
    (``tests/benchmarks/latency_table.py --system-allocator``). Thresholds already fixed stay."""
    global _applied
    if _applied is None:
        _applied = False


def _set_thresholds() -> bool:
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the running process's C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in
               ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_TOP_PAD, TOP_PAD)))
