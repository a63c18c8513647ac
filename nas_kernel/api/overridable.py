"""How the project's public base classes declare their methods, so that code written for Archai
can override them as it is.

Archai pins ``overrides==3.1.0``, which compares no signatures, so Archai code decorates its
overrides with ``@overrides`` and often writes no annotations at all. The ``overrides`` 7.x
releases this project installs compare the override with the base method when the subclass is
defined, and refuse an unannotated override of a method that declares a return type
(``TypeError: ... return type None is not a ...``). Unannotated parameters pass that check (no
annotation accepts anything); a missing return annotation does not.

Three declarations, shared by the kernel and every plugin:

* ``OpenOverrides``: a base class (usually the first of a hierarchy) whose methods, and those
  of every class derived from it, keep their return types for readers (``inspect.signature``
  shows them) but not in ``__annotations__``, which is what ``overrides`` compares. An override
  with or without annotations is accepted; its parameters are still checked by name, as Archai's
  documented signatures are the project's.
* ``abstract``: an abstract method whose overrides may also name their parameters freely (Archai's
  tutorials write ``save_arch(self, model, file)`` for ``save_arch(self, model, file_path)``).
* ``OpenModuleOverrides``: ``OpenOverrides`` for a base that is a ``torch.nn.Module``; it also
  frees ``forward`` and ``extra_repr``, the methods torch declares for modules to re-implement.

``OpenOverrides`` leaves the methods plain functions: nothing is called through a wrapper at run
time, so modules stay ``torch.compile``-able and ``torch.export``-able and Ray can read their
signatures. (An ``abstract`` method is replaced by its overrides, so its wrapper is never on a
call path.)
"""
from __future__ import annotations

import functools
import inspect
import types
from typing import Any, Callable, TypeVar

__all__ = ["OpenOverrides", "OpenModuleOverrides", "abstract"]

T = TypeVar("T", bound=type)


def open_return_types(cls: T) -> T:
    """Move the return types of the methods ``cls`` defines from ``__annotations__`` into the
    pinned ``__signature__`` (dunder methods are skipped: ``overrides`` never compares them; a
    function assigned from elsewhere, a library's say, is left alone). ``inspect.signature``
    still shows the return type; ``typing.get_type_hints`` of such a method no longer does."""
    prefix = cls.__qualname__ + "."
    for name, value in vars(cls).items():
        if name.startswith("__") and name.endswith("__"):
            continue
        func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        if isinstance(func, property):
            continue  # overrides does not compare properties
        if (isinstance(func, types.FunctionType) and func.__qualname__.startswith(prefix)
                and "return" in func.__annotations__):
            func.__signature__ = inspect.signature(func)
            func.__annotations__ = {k: v for k, v in func.__annotations__.items() if k != "return"}
    return cls


class OpenOverrides:
    """Derive a public base class from this: every method of it and of its subclasses accepts
    ``@overrides`` with or without annotations (see the module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        open_return_types(cls)


class _OpenSignature:
    def __init__(self, func: Callable[..., Any], is_abstract: bool = True) -> None:
        self._func = func
        functools.update_wrapper(self, func)
        self.__isabstractmethod__ = is_abstract

    @property
    def __signature__(self):
        # `overrides` skips its signature comparison when the base signature is unreadable
        raise ValueError("overrides of this method may name their parameters freely")

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else self._func.__get__(obj, objtype)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._func(*args, **kwargs)


def abstract(func: Callable[..., Any]) -> Any:
    """Like ``abc.abstractmethod``, without a parameter-name contract for overrides. The real
    signature stays readable as ``method.__wrapped__``."""
    return _OpenSignature(func)


class OpenModuleOverrides(OpenOverrides):
    """``OpenOverrides`` for a base that is also a ``torch.nn.Module`` (list it before the
    module class). Torch declares ``forward(self, *input)`` and ``extra_repr(self) -> str``,
    the two methods its documentation asks a module to re-implement; against those, ``overrides``
    refuses Archai's ``@overrides def forward(self, x)`` (no ``*input``) and an unannotated
    ``extra_repr``. Declared again here, ``forward`` accepts any parameters and ``extra_repr`` any
    annotation. Neither is on a call path once a subclass defines its own."""

    def _forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    forward = _OpenSignature(_forward, is_abstract=False)  # torch modules are not ABCs
    del _forward

    def extra_repr(self):
        return super().extra_repr()
