"""``HookRecorder``: a plugin that records every lifecycle hook call it receives.

pytester's ``HookRecorder`` watches ``add_hookcall_monitoring``; the kernel calls lifecycle hooks
one implementation at a time (so one raising plugin cannot stop the others), which bypasses that
monitor. Registering a recording plugin sees exactly what every other plugin sees.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Union

from nas_kernel.hookspecs import LIFECYCLE_HOOKS, hookimpl


class RecordedCall:
    """One hook call: ``call.name`` and the arguments as attributes (``call.iteration``)."""

    def __init__(self, name: str, kwargs: Dict[str, Any]) -> None:
        self._name = name
        self.__dict__.update(kwargs)

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r:.40}" for k, v in vars(self).items() if k != "_name")
        return f"<RecordedCall {self._name}({args})>"


class HookRecorder:
    """Register with ``pm.register(recorder, name="hook_recorder")``; read with ``getcalls``."""

    def __init__(self) -> None:
        self.calls: List[RecordedCall] = []

    def getcalls(self, names: Union[str, Sequence[str]]) -> List[RecordedCall]:
        """Calls of the named hook(s) in call order; ``names`` may be space-separated."""
        wanted = set(names.split() if isinstance(names, str) else names)
        unknown = wanted - set(LIFECYCLE_HOOKS)
        if unknown:
            raise ValueError(f"not lifecycle hooks: {sorted(unknown)}; HookRecorder records {LIFECYCLE_HOOKS}")
        return [c for c in self.calls if c.name in wanted]

    def clear(self) -> None:
        self.calls.clear()

    @hookimpl
    def on_search_start(self, searcher):
        self.calls.append(RecordedCall("on_search_start", {"searcher": searcher}))

    @hookimpl
    def on_start_iteration(self, searcher, iteration):
        self.calls.append(RecordedCall("on_start_iteration", {"searcher": searcher, "iteration": iteration}))

    @hookimpl
    def on_iteration_end(self, searcher, iteration, models, results):
        self.calls.append(RecordedCall("on_iteration_end", {"searcher": searcher, "iteration": iteration,
                                                            "models": models, "results": results}))

    @hookimpl
    def on_search_end(self, searcher, results):
        self.calls.append(RecordedCall("on_search_end", {"searcher": searcher, "results": results}))
