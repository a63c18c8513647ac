"""The one way the kernel calls hook implementations: one plugin at a time, each failure isolated.

pluggy's ``manager.hook.NAME(...)`` would stop at the first raising plugin; the kernel instead
calls every implementation itself, marks a raising plugin broken (it is skipped from then on,
and its error re-raised when the manager is strict) and lets the others run. With tracing on
(``make_plugin_manager(trace=True)`` or ``NAS_TRACE_PLUGINS=1``) every call writes two stderr
lines: ``nas trace: HOOK -> PLUGIN (args)`` and ``nas trace: HOOK <- PLUGIN: ok in 0.1 ms``
(or ``raised TYPE: message``).
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable, Dict, Optional

from nas_kernel.api.stop import StopSearch

__all__ = ["Kwargs", "call_each", "trace"]

Kwargs = Dict[str, Any]


def trace(manager: Any, text: str) -> None:
    """One trace line on stderr when the manager traces (read at call time: capture-friendly)."""
    if getattr(manager, "trace_calls", False):
        sys.stderr.write(f"nas trace: {text}\n")
        sys.stderr.flush()


def call_each(manager: Any, hook_name: str, kwargs: Optional[Kwargs] = None, *,
              kwargs_for: Optional[Callable[[Any], Kwargs]] = None,
              check: Optional[Callable[[Any], None]] = None,
              undo: Optional[Callable[[Any], None]] = None) -> None:
    """Call every implementation of ``hook_name`` not of a broken plugin, last registered first.

    ``kwargs`` are the hook's arguments (each implementation gets the ones it names), or
    ``kwargs_for(record)`` builds them per plugin. ``check(record)`` runs after a call and may
    raise to fail it; ``undo(record)`` runs when a call failed. A failure marks the plugin broken
    through ``manager.fail`` (which raises ``PluginError`` on a strict manager). An implementation
    registered without a record (none of the kernel's managers do that) propagates its error.
    ``StopSearch`` is a request, not a failure: it propagates.
    """
    for impl in reversed(getattr(manager.hook, hook_name).get_hookimpls()):
        record = manager.records.get(impl.plugin_name)
        if record is not None and record.broken:
            continue
        given = kwargs_for(record) if kwargs_for is not None else (kwargs or {})
        args = [given[a] for a in impl.argnames]
        trace(manager, f"{hook_name} -> {impl.plugin_name} ({', '.join(impl.argnames) or 'no arguments'})")
        start = time.perf_counter()
        try:
            impl.function(*args)
            if check is not None:
                check(record)
        except StopSearch:
            trace(manager, f"{hook_name} <- {impl.plugin_name}: asked the search to stop")
            raise
        except Exception as exc:
            trace(manager, f"{hook_name} <- {impl.plugin_name}: raised {type(exc).__name__}: {exc}")
            if undo is not None:
                undo(record)
            if record is None:
                raise
            manager.fail(record, f"hook {hook_name}", exc)
            continue
        trace(manager, f"{hook_name} <- {impl.plugin_name}: ok in {(time.perf_counter() - start) * 1e3:.2f} ms")
