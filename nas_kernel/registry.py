"""The component registries: name -> factory per kind, lazy ``"module:attr"`` factories, name
conflicts, and the errors a lookup gives. Built by ``NasPluginManager.build_registry``."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple, Union

from nas_kernel.kinds import BY_KEY, KEYS, label
from nas_kernel.toolbox.references import resolve_reference

__all__ = ["ComponentConflict", "ComponentEntry", "ComponentError", "Registry", "UnknownComponent",
           "factory_parameters", "supplied"]


class ComponentError(Exception):
    """A component cannot be used: unknown, conflicting, or its factory failed to import."""


class UnknownComponent(ComponentError):
    """No plugin registers ``name`` under ``kind``; the message lists the registered names."""

    def __init__(self, kind: str, name: str, choices: List[str], hint: str = "") -> None:
        self.kind, self.name, self.choices = kind, name, choices
        listed = ", ".join(choices) if choices else "(none registered: is a plugin installed?)"
        text = f"unknown {label(kind)} {name!r}. Choose one of: {listed}"
        super().__init__(text + (f"\n{hint}" if hint else ""))


class ComponentConflict(ComponentError):
    """Two plugins register the same name under one kind: neither gets it."""

    def __init__(self, kind: str, name: str, owners: List[Any]) -> None:
        self.kind, self.name = kind, name
        who = " and ".join(o.describe() for o in owners)
        super().__init__(f"{label(kind)} {name!r} is registered by both {who}; neither is usable. "
                         "Uninstall one of them or disable it with NAS_LOAD_PLUGINS.")


@dataclass
class ComponentEntry:
    """A registered factory; a lazy ``"module:attr"`` text is imported on first use."""

    kind: str
    name: str
    factory: Union[Callable[..., Any], str]
    plugin: Any  # the PluginRecord of the plugin that registered it

    def load(self) -> Callable[..., Any]:
        if isinstance(self.factory, str):
            try:
                obj: Any = resolve_reference(self.factory)
            except Exception as exc:
                if not isinstance(exc, ImportError):  # the module ran and raised: its code, not its install
                    advice = f" This is a bug in the plugin's code; `nas plugins check {self.plugin.name}` names it."
                else:
                    advice = (f" Please run `pip install --force-reinstall {self.plugin.distribution}`."
                              if self.plugin.distribution else "")
                raise ComponentError(
                    f"{label(self.kind)} {self.name!r} of plugin {self.plugin.describe()} failed to import "
                    f"{self.factory!r}: {type(exc).__name__}: {exc}.{advice}"
                ) from exc
            if not callable(obj):
                raise ComponentError(f"{label(self.kind)} {self.name!r}: {self.factory!r} is not callable")
            self.factory = obj
        return self.factory

    def parameters(self) -> List[inspect.Parameter]:
        """The user-settable keyword parameters of the factory, in order."""
        return factory_parameters(self.load(), self.kind)


def supplied(kind: str) -> Tuple[str, ...]:
    """The arguments the kernel passes a ``kind`` factory first, by position (not user parameters)."""
    found = BY_KEY.get(kind)
    return found.supplied if found else ()


def factory_parameters(factory: Callable[..., Any], kind: str = "") -> List[inspect.Parameter]:
    """The factory's keyword parameters a user may set: without ``self``, the kernel-supplied
    leading ones and ``*args``/``**kwargs``."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    params = list(inspect.signature(target).parameters.values())
    if inspect.isclass(factory) and params and params[0].name == "self":
        params = params[1:]
    leading = supplied(kind)
    while params and params[0].name in leading:  # the kernel passes these first, by position
        params.pop(0)
    return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


class Registry:
    """Components of every kind, by name, with the plugins that registered them."""

    def __init__(self, broken_hint: Callable[[], str] = lambda: "") -> None:
        self._broken_hint = broken_hint
        self.entries: Dict[str, Dict[str, ComponentEntry]] = {k: {} for k in KEYS}
        self.conflicts: Dict[Tuple[str, str], List[Any]] = {}

    def names(self, kind: str) -> List[str]:
        return sorted(self.entries[kind])

    def get(self, kind: str, name: str) -> ComponentEntry:
        if kind not in self.entries:
            raise ComponentError(f"unknown component kind {kind!r}; kinds are {', '.join(KEYS)}")
        if (kind, name) in self.conflicts:
            raise ComponentConflict(kind, name, self.conflicts[(kind, name)])
        try:
            return self.entries[kind][name]
        except KeyError:
            raise UnknownComponent(kind, name, self.names(kind), self._broken_hint()) from None

    def kinds_with(self, name: str) -> List[str]:
        return [k for k in KEYS if name in self.entries[k] or (k, name) in self.conflicts]
