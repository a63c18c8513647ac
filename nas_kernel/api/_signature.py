"""Abstract methods whose parameter names overrides may choose freely.

`overrides` (the package behind ``@overrides``) refuses an override whose parameter names or
annotations differ from the base method's. Archai's own tutorials override
``save_arch(self, model, file_path)`` as ``save_arch(self, model, file)``, and code ported from
Archai must keep working, so the base methods hide their signature from that check; an override
still needs ``@overrides``, and a missing method still makes the class abstract.
"""
from __future__ import annotations

import functools
from typing import Any, Callable


class _OpenSignature:
    __isabstractmethod__ = True

    def __init__(self, func: Callable[..., Any]) -> None:
        self._func = func
        functools.update_wrapper(self, func)

    @property
    def __signature__(self):
        # `overrides` skips its signature comparison when the base signature is unreadable
        raise ValueError("overrides of this method may name their parameters freely")

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else self._func.__get__(obj, objtype)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._func(*args, **kwargs)


def abstract(func: Callable[..., Any]) -> Any:
    """Like ``abc.abstractmethod``, without a parameter-name contract for overrides."""
    return _OpenSignature(func)
