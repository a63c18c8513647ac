"""The plugin manager in use: the one a component reaches when it builds another plugin's
component as a default (``partial_training``'s digits, BANANAS' surrogate, the supergraph's
ops of other plugins), so that default comes from the same plugins, with the same strictness and
tracing, as the component itself.

There is no process-wide manager. Whoever holds a manager says so for a scope with
:func:`using_plugins`: the ``nas`` command for the whole command (its manager, with its
``NAS_STRICT_PLUGINS`` / ``NAS_TRACE_PLUGINS`` / ``NAS_LOAD_PLUGINS`` settings), and the
experiment's component builder while a factory runs (the manager it was given). Python code may do
the same around a search it starts: ``with using_plugins(manager): searcher.search()``.

Outside any such scope, :func:`plugins_in_use` is the documented default: a new manager of the
installed plugins, made on the spot by ``make_plugin_manager()`` (settings from the environment)
and kept by no one. That costs a fraction of a second per call; code that builds many components
passes a manager or opens a scope. The scope is a ``contextvars`` variable: a thread started
inside it (a server, a thread pool) does not inherit it and gets the default.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

from nas_kernel.plugins import NasPluginManager, make_plugin_manager

__all__ = ["plugins_in_use", "using_plugins"]

_IN_USE: contextvars.ContextVar = contextvars.ContextVar("nas_kernel_plugins_in_use", default=None)


@contextlib.contextmanager
def using_plugins(manager: NasPluginManager) -> Iterator[NasPluginManager]:
    """Inside, :func:`plugins_in_use` is ``manager`` (scopes nest: the innermost wins)."""
    if manager is None:
        raise ValueError("using_plugins needs a plugin manager (nas_kernel.plugins.make_plugin_manager())")
    token = _IN_USE.set(manager)
    try:
        yield manager
    finally:
        _IN_USE.reset(token)


def plugins_in_use() -> NasPluginManager:
    """The manager of the innermost :func:`using_plugins` scope; outside every scope, a new
    manager of the installed plugins (``make_plugin_manager()``), not kept."""
    manager = _IN_USE.get()
    return manager if manager is not None else make_plugin_manager()
