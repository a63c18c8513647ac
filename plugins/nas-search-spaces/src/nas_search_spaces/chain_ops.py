"""Layer ops of the HiveNAS-style chain, named by pattern so the op list is configurable:
``conv<k>x<k>_<c>``, ``sep<k>x<k>_<c>`` (depthwise-separable), ``res<k>x<k>_<c>`` (residual
block), ``max_pool<k>x<k>`` / ``avg_pool<k>x<k>`` (stride 2, never below 1x1), ``dropout``
(p=0.2) or ``dropout<percent>``, and ``identity``. Convolutions are followed by BN and ReLU.

This module only knows the names; ``chain_network`` builds the torch modules."""
from __future__ import annotations

import re

_CONV = re.compile(r"^(conv|sep|res)(\d+)x\2_(\d+)$")
_POOL = re.compile(r"^(max|avg)_pool(\d+)x\2$")
_DROPOUT = re.compile(r"^dropout(\d{1,2})?$")


def check_op(name: str) -> str:
    """``name`` if it is a known op pattern, else ValueError."""
    if not isinstance(name, str):
        raise ValueError(f"op names must be text, got {name!r}")
    conv, pool = _CONV.match(name), _POOL.match(name)
    if conv and int(conv.group(2)) % 2 and int(conv.group(3)) > 0:
        return name
    if pool and int(pool.group(2)) % 2:
        return name
    if _DROPOUT.match(name) or name == "identity":
        return name
    raise ValueError(f"unknown chain op {name!r}: expected conv<k>x<k>_<c>, sep<k>x<k>_<c>, res<k>x<k>_<c> "
                     "(odd k), max_pool<k>x<k>, avg_pool<k>x<k>, dropout[<percent>] or identity")


def op_parts(name: str):
    """``(kind, kernel, channels_or_percent)`` of a checked op name."""
    conv, pool, dropout = _CONV.match(name), _POOL.match(name), _DROPOUT.match(name)
    if conv:
        return conv.group(1), int(conv.group(2)), int(conv.group(3))
    if pool:
        return pool.group(1) + "_pool", int(pool.group(2)), None
    if dropout:
        return "dropout", None, int(dropout.group(1)) if dropout.group(1) else 20
    if name == "identity":
        return "identity", None, None
    raise ValueError(check_op(name))


def out_channels(name: str, c_in: int) -> int:
    conv = _CONV.match(name)
    return int(conv.group(3)) if conv else c_in
