"""Reading a pickle written by someone else without letting it run code.

A pickle may name any importable callable and call it while loading. A file format that is
pickled (benchmark tables, dataset batches) only needs a handful of constructors, so
``restricted_loads`` resolves exactly the ``(module, name)`` pairs it is given and refuses every
other global with ``pickle.UnpicklingError``; dicts, lists, numbers and strings need no global.
"""
from __future__ import annotations

import io
import pickle
from typing import Any, Callable, Mapping, Tuple

__all__ = ["Allowed", "RestrictedUnpickler", "restricted_loads"]

Allowed = Mapping[Tuple[str, str], Callable[..., Any]]


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` knows only ``allowed``."""

    def __init__(self, file, allowed: Allowed, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._allowed = dict(allowed)

    def find_class(self, module: str, name: str):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: not one of the {len(self._allowed)} names this format "
                "may contain") from None


def restricted_loads(data: bytes, allowed: Allowed, **kwargs: Any) -> Any:
    return RestrictedUnpickler(io.BytesIO(data), allowed, **kwargs).load()
