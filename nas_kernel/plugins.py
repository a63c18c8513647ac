"""The plugin manager: entry-point loading one plugin at a time, broken-plugin records,
component registries with lazy factories and name conflicts, and isolated hook calls.

A plugin that fails to import, fails to register, or whose hook raises is recorded as broken
with its stage and error; it never takes ``nas`` down. ``NAS_LOAD_PLUGINS`` limits which
distributions load (``''`` loads none), ``NAS_STRICT_PLUGINS=1`` re-raises the first plugin error
with its traceback, ``NAS_TRACE_PLUGINS=1`` traces every hook call to stderr.
"""
from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import pluggy

from nas_kernel import hookspecs
from nas_kernel.api.stop import StopSearch
from nas_kernel.hookspecs import LIFECYCLE_HOOKS, PROJECT, REGISTRATION_HOOKS

ENTRY_POINT_GROUP = PROJECT
KINDS = tuple(REGISTRATION_HOOKS.values())
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_LAZY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_WARNED: set = set()  # (plugin, stage) pairs already warned about in this process


class PluginError(Exception):
    """Raised for plugin failures when strict mode is on, and by ``check_plugin``."""


class ComponentError(Exception):
    """A component cannot be used: unknown, conflicting, or its factory failed to import."""


class UnknownComponent(ComponentError):
    def __init__(self, kind: str, name: str, choices: List[str], hint: str = "") -> None:
        self.kind, self.name, self.choices = kind, name, choices
        listed = ", ".join(choices) if choices else "(none registered: is a plugin installed?)"
        text = f"unknown {singular(kind)} {name!r}. Choose one of: {listed}"
        super().__init__(text + (f"\n{hint}" if hint else ""))


class ComponentConflict(ComponentError):
    def __init__(self, kind: str, name: str, owners: List["PluginRecord"]) -> None:
        self.kind, self.name = kind, name
        who = " and ".join(o.describe() for o in owners)
        super().__init__(f"{singular(kind)} {name!r} is registered by both {who}; neither is usable. "
                         "Uninstall one of them or disable it with NAS_LOAD_PLUGINS.")


def singular(kind: str) -> str:
    return {"search_spaces": "search space", "evaluators": "evaluator", "predictors": "predictor",
            "searchers": "searcher", "ops": "op", "datasets": "dataset"}.get(kind, kind)


def strict_mode() -> bool:
    return os.environ.get("NAS_STRICT_PLUGINS", "").strip() not in ("", "0", "false", "no")


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

    def fail(self, stage: str, exc: BaseException) -> None:
        """Mark broken (the first failure wins: later ones are usually consequences)."""
        if self.status == "broken":
            return
        self.status = "broken"
        self.error = {
            "stage": stage,
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        }
        if strict_mode():
            raise PluginError(f"plugin {self.describe()} failed at {stage}: {type(exc).__name__}: {exc}") from exc

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


@dataclass
class ComponentEntry:
    """A registered factory; a lazy ``"module:attr"`` text is imported on first use."""

    kind: str
    name: str
    factory: Union[Callable[..., Any], str]
    plugin: PluginRecord

    def load(self) -> Callable[..., Any]:
        if isinstance(self.factory, str):
            module_name, _, attr = self.factory.partition(":")
            try:
                obj: Any = importlib.import_module(module_name)
                for part in attr.split("."):
                    obj = getattr(obj, part)
            except Exception as exc:
                advice = (f" Please run `pip install --force-reinstall {self.plugin.distribution}`."
                          if self.plugin.distribution else "")
                raise ComponentError(
                    f"{singular(self.kind)} {self.name!r} of plugin {self.plugin.describe()} failed to import "
                    f"{self.factory!r}: {type(exc).__name__}: {exc}.{advice}"
                ) from exc
            if not callable(obj):
                raise ComponentError(f"{singular(self.kind)} {self.name!r}: {self.factory!r} is not callable")
            self.factory = obj
        return self.factory

    def parameters(self) -> List[inspect.Parameter]:
        """The user-settable keyword parameters of the factory, in order."""
        return factory_parameters(self.load(), self.kind)


#: Arguments the kernel supplies itself, per kind; they are not user parameters.
SUPPLIED = {"searchers": ("search_space", "objectives", "search_objectives", "output_dir"),
            "ops": ("op_desc", "affine")}


def factory_parameters(factory: Callable[..., Any], kind: str = "") -> List[inspect.Parameter]:
    target = factory.__init__ if inspect.isclass(factory) else factory
    params = list(inspect.signature(target).parameters.values())
    if inspect.isclass(factory) and params and params[0].name == "self":
        params = params[1:]
    supplied = SUPPLIED.get(kind, ())
    while params and params[0].name in supplied:  # the kernel passes these first, by position
        params.pop(0)
    return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


class Registry:
    """Components of every kind, by name, with the plugins that registered them."""

    def __init__(self, manager: "NasPluginManager") -> None:
        self._manager = manager
        self.entries: Dict[str, Dict[str, ComponentEntry]] = {k: {} for k in KINDS}
        self.conflicts: Dict[Tuple[str, str], List[PluginRecord]] = {}

    def names(self, kind: str) -> List[str]:
        return sorted(self.entries[kind])

    def get(self, kind: str, name: str) -> ComponentEntry:
        if kind not in self.entries:
            raise ComponentError(f"unknown component kind {kind!r}; kinds are {', '.join(KINDS)}")
        if (kind, name) in self.conflicts:
            raise ComponentConflict(kind, name, self.conflicts[(kind, name)])
        try:
            return self.entries[kind][name]
        except KeyError:
            raise UnknownComponent(kind, name, self.names(kind), self._manager.broken_hint()) from None

    def kinds_with(self, name: str) -> List[str]:
        return [k for k in KINDS if name in self.entries[k] or (k, name) in self.conflicts]


class NasPluginManager(pluggy.PluginManager):
    """A pluggy manager that keeps a ``PluginRecord`` per plugin and builds the registries."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.records: Dict[str, PluginRecord] = {}
        self._registry: Optional[Registry] = None
        if os.environ.get("NAS_TRACE_PLUGINS", "").strip() not in ("", "0"):
            self.trace.root.setwriter(sys.stderr.write)
            self.enable_tracing()

    # ---- registering -----------------------------------------------------------------------
    def register(self, plugin: Any, name: Optional[str] = None) -> Optional[str]:
        """Register a plugin object (tests use this directly); validates it against the specs."""
        plugin_name = super().register(plugin, name=name)
        if plugin_name is None:
            return None
        record = self.records.setdefault(plugin_name, PluginRecord(name=plugin_name))
        record.module = record.module or getattr(plugin, "__name__", type(plugin).__qualname__)
        try:
            record.hooks = self._validate(plugin)
        except Exception:
            self.unregister(plugin)
            self.records.pop(plugin_name, None)
            raise
        self._registry = None
        return plugin_name

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
        """Load every ``nas_kernel`` entry point (of the named distributions, if ``only``)."""
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

    def _load_one(self, ep_name, dist_name, version, ep) -> None:
        if ep_name in self.records:
            owner = self.records[ep_name]
            record = PluginRecord(name=f"{ep_name} ({dist_name})", distribution=dist_name, version=version,
                                  module=ep.value)
            self.records[record.name] = record
            record.fail("duplicate-entry-point", ValueError(
                f"entry point name {ep_name!r} is already used by {owner.distribution} {owner.version}"))
            return
        record = PluginRecord(name=ep_name, distribution=dist_name, version=version, module=ep.value)
        self.records[ep_name] = record
        try:
            module = ep.load()
        except Exception as exc:
            record.fail("import", exc)
            return
        try:
            super().register(module, name=ep_name)
        except Exception as exc:
            record.fail("register", exc)
            return
        try:
            record.hooks = self._validate(module)
        except Exception as exc:
            self.unregister(module)
            record.fail("register", exc)
        self._registry = None

    # ---- registries ------------------------------------------------------------------------
    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self._build_registry()
        return self._registry

    def _build_registry(self) -> Registry:
        registry = Registry(self)
        staged_by_plugin: Dict[str, Dict[str, Dict[str, Any]]] = {}
        for hook_name, kind in REGISTRATION_HOOKS.items():
            caller = getattr(self.hook, hook_name)
            for impl in reversed(caller.get_hookimpls()):
                record = self.records[impl.plugin_name]
                if record.broken:
                    continue
                staged = staged_by_plugin.setdefault(impl.plugin_name, {}).setdefault(kind, {})
                register = _make_register(kind, staged, record)
                try:
                    impl.function(*[{"register": register}[a] for a in impl.argnames])
                except Exception as exc:
                    record.fail(f"hook {hook_name}", exc)
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
                label = f"{name} (conflict)" if len(found) > 1 else name
                record.components.setdefault(kind, []).append(label)
            if len(found) == 1:
                record, factory = found[0]
                registry.entries[kind][name] = ComponentEntry(kind, name, factory, record)
            else:
                registry.conflicts[(kind, name)] = [r for r, _ in found]
                for record, _ in found:
                    for other, _ in found:
                        if other is not record:
                            record.conflicts.append({"kind": kind, "name": name, "with": other.name})
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
        """One stderr line per broken plugin, once per process."""
        stream = stream or sys.stderr
        for record in self.broken():
            key = (record.name, record.distribution, record.error["stage"] if record.error else "")
            if key in _WARNED:
                continue
            _WARNED.add(key)
            err = record.error or {}
            where = f" ({record.distribution} {record.version})" if record.distribution else ""
            print(f"nas: warning: plugin '{record.name}'{where} failed to load: {err.get('type')}: "
                  f"{err.get('message')}. Run 'nas plugins list' for details.", file=stream)

    def plugin_rows(self) -> List[Dict[str, Any]]:
        _ = self.registry  # fills components and conflicts
        return [r.as_dict() for r in sorted(self.records.values(), key=lambda r: r.name)]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _make_register(kind: str, staged: Dict[str, Any], record: PluginRecord) -> Callable[[str, Any], None]:
    def register(name: str, factory: Union[Callable[..., Any], str]) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"{singular(kind)} name must match {_NAME.pattern}, got {name!r}")
        if isinstance(factory, str):
            if not _LAZY.match(factory):
                raise ValueError(f"{singular(kind)} {name!r}: a lazy factory must look like 'package.module:attr', "
                                 f"got {factory!r}")
        elif not callable(factory):
            raise TypeError(f"{singular(kind)} {name!r}: factory must be callable or 'module:attr', got "
                            f"{type(factory).__name__}")
        if name in staged:
            raise ValueError(f"{singular(kind)} {name!r} registered twice by plugin {record.describe()}")
        staged[name] = factory

    return register


def make_plugin_manager(*, entrypoints: bool = True, only: Optional[Iterable[str]] = None) -> NasPluginManager:
    """A fresh manager. With ``entrypoints``, loads the ``nas_kernel`` group, restricted to
    ``only`` or to ``NAS_LOAD_PLUGINS`` (comma-separated distribution names; empty = none)."""
    manager = NasPluginManager()
    if entrypoints:
        if only is None and "NAS_LOAD_PLUGINS" in os.environ:
            only = [d.strip() for d in os.environ["NAS_LOAD_PLUGINS"].split(",") if d.strip()]
        manager.load_entry_points(only)
    return manager


def call_lifecycle(manager: Optional[NasPluginManager], hook_name: str, **kwargs: Any) -> None:
    """Call a lifecycle hook one implementation at a time; a raising plugin is marked broken,
    warned about once, and skipped afterwards (strict mode re-raises)."""
    if manager is None:
        return
    if hook_name not in LIFECYCLE_HOOKS:
        raise ValueError(f"{hook_name!r} is not a lifecycle hook")
    for impl in reversed(getattr(manager.hook, hook_name).get_hookimpls()):
        record = manager.records.get(impl.plugin_name)
        if record is not None and record.broken:
            continue
        try:
            impl.function(*[kwargs[a] for a in impl.argnames])
        except StopSearch:  # a hook asking the search to end is not a broken plugin
            raise
        except Exception as exc:
            if record is None:
                raise
            record.fail(f"hook {hook_name}", exc)
            manager.warn_broken()


def call_register_commands(manager: NasPluginManager, cli: Any) -> None:
    """Let plugins add click commands; a plugin that raises or takes an existing name is broken
    and its additions are removed."""
    for impl in reversed(manager.hook.register_commands.get_hookimpls()):
        record = manager.records[impl.plugin_name]
        if record.broken:
            continue
        before = dict(cli.commands)
        try:
            impl.function(*[{"cli": cli}[a] for a in impl.argnames])
            clash = [n for n, cmd in before.items() if cli.commands.get(n) is not cmd]
            if clash:
                raise ValueError(f"command name(s) {', '.join(sorted(clash))} already taken")
        except Exception as exc:
            cli.commands.clear()
            cli.commands.update(before)
            record.fail("hook register_commands", exc)
            continue
        added = sorted(set(cli.commands) - set(before))
        if added:
            record.components["commands"] = added
