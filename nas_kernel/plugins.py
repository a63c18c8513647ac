"""The plugin manager: entry-point loading one plugin at a time, broken-plugin records, and the
explicit step that builds the component registries from the registration hooks.

A plugin that fails to import, fails to register, or whose hook raises is recorded as broken
with its stage and error; it never takes ``nas`` down. How a manager behaves is given when it is
built, never read later: ``make_plugin_manager(strict=..., trace=..., only=...)``, whose
defaults come from ``NAS_STRICT_PLUGINS=1`` (re-raise the first plugin error with its
traceback), ``NAS_TRACE_PLUGINS=1`` (a stderr line for every hook call, see
``nas_kernel.hookcall``) and ``NAS_LOAD_PLUGINS`` (which distributions load; ``''`` loads none).
"""
from __future__ import annotations

import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple, Union

import pluggy

from nas_kernel import hookspecs
from nas_kernel.hookcall import call_each
from nas_kernel.hookspecs import LIFECYCLE_HOOKS, PROJECT
from nas_kernel.kinds import KEYS, KINDS as KIND_RECORDS, label
from nas_kernel.registry import (ComponentConflict, ComponentEntry, ComponentError, Registry, UnknownComponent,
                                 factory_parameters)
from nas_kernel.toolbox.references import is_reference

__all__ = ["ComponentConflict", "ComponentEntry", "ComponentError", "KINDS", "NasPluginManager", "PluginError",
           "PluginRecord", "Registry", "UnknownComponent", "call_lifecycle", "call_register_commands",
           "factory_parameters", "make_plugin_manager"]

ENTRY_POINT_GROUP = PROJECT
KINDS = KEYS  # the registry keys, in the order of nas_kernel.kinds.KINDS
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class PluginError(Exception):
    """A plugin failure on a strict manager (and what ``check_plugin`` reports)."""


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


@dataclass
class PluginRecord:
    """What ``nas plugins list`` shows for one plugin."""

    name: str
    distribution: Optional[str] = None
    version: Optional[str] = None
    module: Optional[str] = None
    status: str = "ok"
    hooks: List[str] = field(default_factory=list)
    components: Dict[str, List[str]] = field(default_factory=dict)
    conflicts: List[Dict[str, str]] = field(default_factory=list)
    error: Optional[Dict[str, str]] = None

    @property
    def broken(self) -> bool:
        return self.status == "broken"

    def describe(self) -> str:
        if self.distribution:
            return f"'{self.name}' ({self.distribution} {self.version})"
        return f"'{self.name}'"

    def fail(self, stage: str, exc: BaseException) -> bool:
        """Mark broken (the first failure wins: later ones are usually consequences); True if this
        was the first. ``NasPluginManager.fail`` also raises on a strict manager."""
        if self.status == "broken":
            return False
        self.status = "broken"
        self.error = {
            "stage": stage,
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        }
        return True

    def as_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "status": self.status,
            "hooks": sorted(self.hooks),
            "components": {k: sorted(v) for k, v in sorted(self.components.items())},
            "conflicts": sorted(self.conflicts, key=lambda c: (c["kind"], c["name"], c["with"])),
            "error": self.error,
        }


class NasPluginManager(pluggy.PluginManager):
    """A pluggy manager that keeps a ``PluginRecord`` per plugin and builds the registries.

    ``strict``: the first plugin failure raises ``PluginError`` (with the plugin's error as its
    cause) instead of only marking the plugin broken. ``trace``: every hook call is traced on
    stderr. The registry is rebuilt whenever the set of plugins changes (``register``,
    ``unregister``, ``load_entry_points``); reading ``registry`` never builds, raises or changes
    anything.
    """

    def __init__(self, *, strict: bool = False, trace: bool = False) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.strict, self.trace_calls = bool(strict), bool(trace)
        self.records: Dict[str, PluginRecord] = {}
        self._warned: Set[Tuple[str, Optional[str], str]] = set()  # broken plugins warned about
        self._registry = Registry(self.broken_hint)

    def fail(self, record: PluginRecord, stage: str, exc: BaseException) -> None:
        """Mark ``record`` broken at ``stage``; a strict manager raises ``PluginError`` too."""
        record.fail(stage, exc)
        if self.strict:
            raise PluginError(f"plugin {record.describe()} failed at {stage}: {type(exc).__name__}: {exc}") from exc

    # ---- registering -----------------------------------------------------------------------
    def register(self, plugin: Any, name: Optional[str] = None) -> Optional[str]:
        """Register a plugin object (tests use this directly), validate it against the specs and
        rebuild the registries (a strict manager raises here for a failing registration hook)."""
        plugin_name = super().register(plugin, name=name)
        if plugin_name is None:
            return None
        record = self.records.setdefault(plugin_name, PluginRecord(name=plugin_name))
        record.module = record.module or getattr(plugin, "__name__", type(plugin).__qualname__)
        try:
            record.hooks = self._validate(plugin)
        except Exception:
            super().unregister(plugin)
            self.records.pop(plugin_name, None)
            raise
        self.build_registry()
        return plugin_name

    def unregister(self, plugin: Any = None, name: Optional[str] = None) -> Any:
        removed = super().unregister(plugin, name)
        self.build_registry()
        return removed

    def _validate(self, plugin: Any) -> List[str]:
        hooks = []
        for caller in self.get_hookcallers(plugin) or []:
            if caller.spec is None:
                raise pluggy.PluginValidationError(
                    plugin, f"unknown hook {caller.name!r}: not a NAS Kernel hook (see `nas_kernel.hookspecs`)")
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                    raise pluggy.PluginValidationError(
                        plugin, f"hook {caller.name!r} is declared as a wrapper; NAS Kernel hooks take no wrappers")
            hooks.append(caller.name)
        return sorted(hooks)

    def load_entry_points(self, only: Optional[Iterable[str]] = None) -> None:
        """Load every ``nas_kernel`` entry point (of the named distributions, if ``only``), then
        build the registries once."""
        wanted = None if only is None else {_normalize(d) for d in only}
        seen_dists = set()
        points = []
        for dist in importlib_metadata.distributions():
            dist_name = dist.metadata["Name"] or ""
            key = _normalize(dist_name)
            if key in seen_dists or (wanted is not None and key not in wanted):
                continue
            seen_dists.add(key)
            for ep in dist.entry_points:
                if ep.group == ENTRY_POINT_GROUP:
                    points.append((key, ep.name, dist_name, dist.version, ep))
        for _, ep_name, dist_name, version, ep in sorted(points, key=lambda p: (p[0], p[1])):
            self._load_one(ep_name, dist_name, version, ep)
        self.build_registry()

    def _load_one(self, ep_name, dist_name, version, ep) -> None:
        if ep_name in self.records:
            owner = self.records[ep_name]
            record = PluginRecord(name=f"{ep_name} ({dist_name})", distribution=dist_name, version=version,
                                  module=ep.value)
            self.records[record.name] = record
            self.fail(record, "duplicate-entry-point", ValueError(
                f"entry point name {ep_name!r} is already used by {owner.distribution} {owner.version}"))
            return
        record = PluginRecord(name=ep_name, distribution=dist_name, version=version, module=ep.value)
        self.records[ep_name] = record
        try:
            module = ep.load()
        except Exception as exc:
            self.fail(record, "import", exc)
            return
        try:
            super().register(module, name=ep_name)
        except Exception as exc:
            self.fail(record, "register", exc)
            return
        try:
            record.hooks = self._validate(module)
        except Exception as exc:
            super().unregister(module)
            self.fail(record, "register", exc)

    # ---- registries ------------------------------------------------------------------------
    @property
    def registry(self) -> Registry:
        """The registries as last built (``build_registry``)."""
        return self._registry

    def build_registry(self) -> Registry:
        """Run every registration hook, one plugin at a time, and replace the registries. A plugin
        whose hook raises is broken and registers nothing (all or nothing); a name registered by
        two plugins is a conflict that neither gets."""
        staged_by_plugin: Dict[str, Dict[str, Dict[str, Any]]] = {}

        def kwargs_for(kind: str) -> Callable[[PluginRecord], Dict[str, Any]]:
            def make(record: PluginRecord) -> Dict[str, Any]:
                staged = staged_by_plugin.setdefault(record.name, {}).setdefault(kind, {})
                return {"register": _make_register(kind, staged, record)}
            return make

        for kind in KIND_RECORDS:
            call_each(self, kind.hook, kwargs_for=kwargs_for(kind.key))
        registry = Registry(self.broken_hint)
        owners: Dict[Tuple[str, str], List[Tuple[PluginRecord, Any]]] = {}
        for plugin_name, by_kind in staged_by_plugin.items():
            record = self.records[plugin_name]
            if record.broken:  # all-or-nothing: a plugin that failed registers nothing
                continue
            for kind, staged in by_kind.items():
                for name, factory in staged.items():
                    owners.setdefault((kind, name), []).append((record, factory))
        for record in self.records.values():
            record.components = {k: v for k, v in record.components.items() if k == "commands"}
            record.conflicts = []
        for (kind, name), found in owners.items():
            found.sort(key=lambda pair: pair[0].name)  # messages name the plugins in a stable order
            for record, _ in found:
                entry_label = f"{name} (conflict)" if len(found) > 1 else name
                record.components.setdefault(kind, []).append(entry_label)
            if len(found) == 1:
                record, factory = found[0]
                registry.entries[kind][name] = ComponentEntry(kind, name, factory, record)
            else:
                registry.conflicts[(kind, name)] = [r for r, _ in found]
                for record, _ in found:
                    for other, _ in found:
                        if other is not record:
                            record.conflicts.append({"kind": kind, "name": name, "with": other.name})
        self._registry = registry
        return registry

    # ---- reporting -------------------------------------------------------------------------
    def broken(self) -> List[PluginRecord]:
        return [r for r in sorted(self.records.values(), key=lambda r: r.name) if r.broken]

    def broken_hint(self) -> str:
        broken = self.broken()
        if not broken:
            return ""
        names = ", ".join(r.describe() for r in broken)
        return f"Note: broken plugin(s) {names} may provide it; run 'nas plugins list' for details."

    def warn_broken(self, stream=None) -> None:
        """One stderr line per broken plugin, once per manager."""
        stream = stream or sys.stderr
        for record in self.broken():
            key = (record.name, record.distribution, record.error["stage"] if record.error else "")
            if key in self._warned:
                continue
            self._warned.add(key)
            err = record.error or {}
            where = f" ({record.distribution} {record.version})" if record.distribution else ""
            print(f"nas: warning: plugin '{record.name}'{where} failed to load: {err.get('type')}: "
                  f"{err.get('message')}. Run 'nas plugins list' for details.", file=stream)

    def plugin_rows(self) -> List[Dict[str, Any]]:
        return [r.as_dict() for r in sorted(self.records.values(), key=lambda r: r.name)]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _make_register(kind: str, staged: Dict[str, Any], record: PluginRecord) -> Callable[[str, Any], None]:
    def register(name: str, factory: Union[Callable[..., Any], str]) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"{label(kind)} name must match {_NAME.pattern}, got {name!r}")
        if isinstance(factory, str):
            if not is_reference(factory):
                raise ValueError(f"{label(kind)} {name!r}: a lazy factory must look like 'package.module:attr', "
                                 f"got {factory!r}")
        elif not callable(factory):
            raise TypeError(f"{label(kind)} {name!r}: factory must be callable or 'module:attr', got "
                            f"{type(factory).__name__}")
        if name in staged:
            raise ValueError(f"{label(kind)} {name!r} registered twice by plugin {record.describe()}")
        staged[name] = factory

    return register


def make_plugin_manager(*, entrypoints: bool = True, only: Optional[Iterable[str]] = None,
                        strict: Optional[bool] = None, trace: Optional[bool] = None) -> NasPluginManager:
    """A fresh manager, its registries built. With ``entrypoints``, loads the ``nas_kernel`` group,
    restricted to ``only``. What is not given comes from the environment, read here and only
    here: ``NAS_LOAD_PLUGINS`` (comma-separated distribution names; empty = none),
    ``NAS_STRICT_PLUGINS`` and ``NAS_TRACE_PLUGINS``."""
    manager = NasPluginManager(strict=_env_flag("NAS_STRICT_PLUGINS") if strict is None else strict,
                               trace=_env_flag("NAS_TRACE_PLUGINS") if trace is None else trace)
    if entrypoints:
        if only is None and "NAS_LOAD_PLUGINS" in os.environ:
            only = [d.strip() for d in os.environ["NAS_LOAD_PLUGINS"].split(",") if d.strip()]
        manager.load_entry_points(only)
    return manager


def call_lifecycle(manager: Optional[NasPluginManager], hook_name: str, **kwargs: Any) -> None:
    """Call a lifecycle hook one implementation at a time; a raising plugin is marked broken,
    warned about once, and skipped afterwards (a strict manager re-raises)."""
    if manager is None:
        return
    if hook_name not in LIFECYCLE_HOOKS:
        raise ValueError(f"{hook_name!r} is not a lifecycle hook")
    try:
        call_each(manager, hook_name, kwargs)
    finally:
        manager.warn_broken()


def _groups(group: Any, path: Tuple[str, ...] = ()) -> Iterable[Tuple[Tuple[str, ...], Any]]:
    """Every click group of the command tree (``cli`` first) with its path of names."""
    yield path, group
    for name, command in list(getattr(group, "commands", {}).items()):
        if hasattr(command, "commands"):
            yield from _groups(command, path + (name,))


def call_register_commands(manager: NasPluginManager, cli: Any) -> None:
    """Let plugins add click commands, at the top or inside an existing group (``results
    serve``); a plugin that raises or replaces an existing command is broken and its additions
    are removed, in every group."""
    before: Dict[Tuple[str, ...], Tuple[Any, Dict[str, Any]]] = {}

    def kwargs_for(record: Optional[PluginRecord]) -> Dict[str, Any]:
        before.clear()
        before.update({path: (group, dict(group.commands)) for path, group in _groups(cli)})
        return {"cli": cli}

    def check(record: Optional[PluginRecord]) -> None:
        clash = [" ".join(path + (n,)) for path, (group, commands) in before.items()
                 for n, cmd in commands.items() if group.commands.get(n) is not cmd]
        if clash:
            raise ValueError(f"command name(s) {', '.join(sorted(clash))} already taken")
        added = sorted(" ".join(path + (n,)) for path, (group, commands) in before.items()
                       for n in set(group.commands) - set(commands))
        if added and record is not None:
            record.components["commands"] = added

    def undo(record: Optional[PluginRecord]) -> None:
        for group, commands in before.values():
            group.commands.clear()
            group.commands.update(commands)

    call_each(manager, "register_commands", kwargs_for=kwargs_for, check=check, undo=undo)
