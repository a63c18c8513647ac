"""How an op name becomes a module: through the kernel's op registry when a plugin manager is in
use (so ops registered by third-party plugins work inside our cells), else through this
package's own table (the same lazy references ``plugin.py`` registers). A name that is in
neither is looked up once in the installed plugins' registry, so a model built outside any
search (a notebook, a worker process) can still use third-party ops.

The plugin manager is carried by a context variable rather than passed to every factory,
because the op factory signature is fixed by the kernel: ``factory(op_desc, affine)``.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
from typing import Any, Callable, Iterator, Optional

from nas_supergraph.descs import OpDesc

_MANAGER: contextvars.ContextVar[Optional[Any]] = contextvars.ContextVar("nas_supergraph_plugin_manager",
                                                                         default=None)
_BUILTIN_CACHE: dict = {}
_INSTALLED: list = []  # the lazily made manager over installed entry points (at most one)


@contextlib.contextmanager
def use_plugin_manager(manager: Optional[Any]) -> Iterator[None]:
    """Resolve op names through ``manager.registry`` inside the block (None: built-ins only)."""
    token = _MANAGER.set(manager)
    try:
        yield
    finally:
        _MANAGER.reset(token)


def current_plugin_manager() -> Optional[Any]:
    return _MANAGER.get()


def builtin_op_names():
    from nas_supergraph.plugin import OPS

    return sorted(OPS)


def builtin_factory(name: str) -> Callable[..., Any]:
    """This package's factory for ``name``; ValueError naming the known ops otherwise."""
    if name not in _BUILTIN_CACHE:
        from nas_supergraph.plugin import OPS

        if name not in OPS:
            raise ValueError(f"unknown op {name!r}; built-in ops are: {', '.join(sorted(OPS))}")
        module, _, attr = OPS[name].partition(":")
        _BUILTIN_CACHE[name] = getattr(importlib.import_module(module), attr)
    return _BUILTIN_CACHE[name]


def resolve_factory(name: str) -> Callable[..., Any]:
    """The registry's factory when a plugin manager is active and knows ``name``, else ours,
    else the installed plugins'."""
    from nas_kernel.plugins import UnknownComponent

    manager = _MANAGER.get()
    if manager is not None:
        try:
            return manager.registry.get("ops", name).load()
        except UnknownComponent:
            pass  # a manager without our entry point (e.g. in tests): fall back to the built-ins
    try:
        return builtin_factory(name)
    except ValueError:
        if manager is not None:
            raise
    if not _INSTALLED:
        from nas_kernel.plugins import make_plugin_manager

        _INSTALLED.append(make_plugin_manager())
    try:
        return _INSTALLED[0].registry.get("ops", name).load()
    except UnknownComponent:
        return builtin_factory(name)  # raises the ValueError naming the known ops


def create_op(op_desc: OpDesc, affine: bool = True):
    """Build the module ``op_desc`` describes."""
    return resolve_factory(op_desc.name)(op_desc, affine)
