"""One ``{name, params}`` component built from a registry, the way the experiment builds it.

A mapping with a ``name`` inside ``params`` is a component too and is built first (an
evaluator's dataset, a searcher's predictor). Parameters are checked against the factory's
signature and plain annotations before the factory runs; parameters the experiment leaves out
that the kernel knows (``SUPPLIED_BY_NAME``) are filled in. The plugin manager is always passed
in, never looked up: the one the caller built (strict, traced) is the one that builds.
"""
from __future__ import annotations

import inspect
from typing import Any, Dict, Optional, Tuple

from nas_kernel.experiment.errors import USER_ERRORS, ComponentBuildError, ConfigError
from nas_kernel.experiment.parameter_types import check_type, type_hints
from nas_kernel.experiment.shape import COMPONENT_KEYS, check_component_shape
from nas_kernel.experiment.yaml_file import experiment_folder
from nas_kernel.kinds import BY_KEY, KINDS, kinds_for_type, label
from nas_kernel.plugins_in_use import using_plugins
from nas_kernel.registry import ComponentError, factory_parameters

__all__ = ["SUPPLIED_BY_NAME", "ComponentBuilder"]

#: factory parameters the kernel fills when the experiment leaves them out: the experiment's seed, the
#: folder relative data paths resolve against (``base_dir``), and the run's ``output_dir``
SUPPLIED_BY_NAME = ("seed", "base_dir", "output_dir")


class ComponentBuilder:
    """Builds ``{name, params}`` components of ``manager``'s registries, nested ones first."""

    def __init__(self, manager: Any, source: str, seed: int, *, base_dir: Optional[str] = None,
                 output_dir: Optional[str] = None) -> None:
        self.manager, self.source = manager, source
        #: what a factory gets for a parameter of that name the experiment does not set (SUPPLIED_BY_NAME)
        self.context = {"seed": seed, "base_dir": base_dir or experiment_folder(source), "output_dir": output_dir}

    def component(self, kind: str, comp: Dict[str, Any], key: str, leading: Tuple[Any, ...] = (),
                  from_data: Optional[Dict[str, Any]] = None) -> Any:
        """Build ``comp``; ``from_data`` (a space's sizes read off the data) fills parameters of
        those names the experiment does not set."""
        name = comp["name"]
        try:
            entry = self.manager.registry.get(kind, name)
            factory = entry.load()
            params = factory_parameters(factory, kind)
        except ComponentError as exc:
            raise ConfigError(str(exc), source=self.source, key=f"{key}.name") from None
        except (TypeError, ValueError) as exc:  # no introspectable signature
            raise ConfigError(f"{label(kind)} {name!r} has no readable signature: {exc}", source=self.source,
                              key=f"{key}.name") from None
        given = dict(comp.get("params") or {})
        by_name = {p.name: p for p in params}
        for pname in given:
            if pname not in by_name:
                choices = ", ".join(by_name) or "(none)"
                raise ConfigError(f"unknown parameter of {label(kind)} {name!r}; its parameters are: {choices}",
                                  source=self.source, key=f"{key}.params.{pname}")
        hints = type_hints(factory)
        kwargs: Dict[str, Any] = {}
        for pname, value in given.items():
            pkey = f"{key}.params.{pname}"
            kwargs[pname] = self._value(value, pname, pkey, hints.get(pname))
            check_type(kwargs[pname], hints.get(pname), pkey, self.source)
        for pname in SUPPLIED_BY_NAME:
            if pname in by_name and pname not in given and self.context[pname] is not None:
                kwargs[pname] = self.context[pname]
        filled = {p: v for p, v in (from_data or {}).items() if p in by_name and p not in given}
        kwargs.update(filled)
        missing = [p.name for p in params if p.default is inspect.Parameter.empty and p.name not in kwargs]
        if missing:
            raise ConfigError(f"missing required parameter(s) of {label(kind)} {name!r}: {', '.join(missing)}",
                              source=self.source, key=f"{key}.params")
        try:
            with using_plugins(self.manager):  # a default the factory builds comes from this manager
                obj = factory(*leading, **kwargs)
        except USER_ERRORS as exc:
            taken = (" (" + ", ".join(f"{p}={v!r}" for p, v in filled.items()) + " taken from the training data)"
                     if filled else "")
            raise ConfigError(f"{label(kind)} {name!r} refused its parameters: {exc}{taken}", source=self.source,
                              key=f"{key}.params") from None
        except Exception as exc:  # anything else is the plugin's bug: keep its traceback
            raise ComponentBuildError(
                f"{label(kind)} {name!r} of plugin {entry.plugin.describe()} failed to build ({self.source}, key "
                f"'{key}'): {type(exc).__name__}: {exc}. This is a bug in the plugin, not in the experiment.",
                kind=kind, name=name, plugin=entry.plugin.name, source=self.source, key=key,
                output_dir=self.context.get("output_dir")) from exc
        expected = BY_KEY[kind].contract_types() if kind in BY_KEY else ()
        if expected and not isinstance(obj, expected):
            raise ConfigError(f"{label(kind)} {name!r} of plugin {entry.plugin.describe()} built a "
                              f"{type(obj).__name__}, not a {BY_KEY[kind].contract_names()}", source=self.source,
                              key=key)
        return obj

    def _value(self, value: Any, pname: str, key: str, hint: Any = None) -> Any:
        if isinstance(value, dict) and set(value) <= COMPONENT_KEYS and isinstance(value.get("name"), str):
            check_component_shape(value, key, self.source)
            return self.component(self._kind_for(value["name"], pname, key, hint), value, key)
        if isinstance(value, list):
            return [self._value(v, pname, f"{key}[{i}]", hint) for i, v in enumerate(value)]
        return value

    def _kind_for(self, name: str, pname: str, key: str, hint: Any = None) -> str:
        """Which kind a nested ``{name, params}`` is: the kind whose contract the parameter's
        annotation names (``dataset: DatasetProvider``, ``Optional[Predictor]``, ``List[...]``);
        without one, the documented fallback: a parameter named after a kind (``dataset``,
        ``train_dataset``, ``predictor``, ``inner_evaluator``); else the one kind that registers
        ``name``."""
        by_type = kinds_for_type(hint)
        if len(by_type) == 1:
            return by_type[0]
        by_name = [k.key for k in KINDS if pname == k.snake or pname.endswith("_" + k.snake)]
        if by_name:
            return by_name[0]
        kinds = self.manager.registry.kinds_with(name)
        if len(kinds) == 1:
            return kinds[0]
        if not kinds:
            raise ConfigError(f"unknown component {name!r}: no plugin registers it under any kind. "
                              + self.manager.broken_hint(), source=self.source, key=f"{key}.name")
        raise ConfigError(f"{name!r} is registered as several kinds ({', '.join(kinds)}); cannot tell which "
                          f"parameter {pname!r} wants", source=self.source, key=f"{key}.name")
