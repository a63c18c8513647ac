"""Which encoding of the space a predictor-guided searcher fits its surrogate on, by name."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

DEFAULT = "default"


def check_encoding(space: Any, encoding: str) -> str:
    """``encoding`` if the space offers it (``encodings()``; a ``base+feature`` name is checked by
    its base), else ValueError naming the parameter."""
    if not isinstance(encoding, str) or not encoding:
        raise ValueError(f"encoding must be a non-empty name, got {encoding!r}")
    if encoding == DEFAULT:
        return encoding
    offered = space.encodings() if callable(getattr(space, "encodings", None)) else [DEFAULT]
    if encoding.split("+")[0] not in offered or not callable(getattr(space, "encode_as", None)):
        raise ValueError(f"encoding must be one of {offered} for {type(space).__name__}, got {encoding!r}")
    return encoding


def encode_models(space: Any, models: Sequence[Any], encoding: str = DEFAULT) -> np.ndarray:
    """(N, F) float array of ``models`` in ``encoding`` (``encode`` for the default)."""
    if encoding == DEFAULT:
        rows = [space.encode(m) for m in models]
    else:
        rows = [space.encode_as(m, encoding) for m in models]
    return np.stack([np.asarray(r, dtype=np.float64).ravel() for r in rows])
