"""Build one component by kind and name, the way the experiment file builds it.

Plugins meet only through the kernel: an evaluator that needs a dataset, a searcher that needs a
predictor or a supergraph trainer that needs an op asks for it here instead of importing the
other plugin. The path is the experiment file's (parameter checks, nested ``{name, params}``
components, the seed given to factories that take one), so a component behaves the same built
from YAML or from code, and a bad name or parameter is the same one-line ``ConfigError``.

Without ``manager``, both functions use the manager in use
(``nas_kernel.plugins_in_use.plugins_in_use``): the ``nas`` command's, or the builder's while it
builds a component, so a plugin's default comes from the same plugins as the component asking.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from nas_kernel.plugins_in_use import plugins_in_use

__all__ = ["build_component", "component_factory"]


def build_component(kind: str, name: str, params: Optional[Dict[str, Any]] = None, *, seed: int = 0,
                    manager: Any = None, source: str = "<build_component>", base_dir: Optional[str] = None,
                    output_dir: Optional[str] = None) -> Any:
    """The component ``kind``/``name`` built with ``params`` (``kind`` as the registries spell it:
    ``"datasets"``, ``"evaluators"``, ``"predictors"``, ``"search_spaces"``, ``"searchers"``,
    ``"ops"``). ``manager`` defaults to the manager in use (``plugins_in_use()``); ``seed`` goes to
    a factory that takes one and was not given it, and so do ``base_dir`` (relative data paths;
    default the working directory) and ``output_dir`` (where a component may cache, e.g. decoded images). Raises
    ``ConfigError`` for an unknown name or bad parameter."""
    from nas_kernel.experiment.component_builder import ComponentBuilder

    builder = ComponentBuilder(manager if manager is not None else plugins_in_use(), source, seed,
                               base_dir=base_dir, output_dir=output_dir)
    return builder.component(kind, {"name": name, "params": dict(params or {})}, kind)


def component_factory(kind: str, name: str, manager: Any = None) -> Any:
    """The registered factory of ``kind``/``name`` itself (for ops, which the supergraph calls
    with positional ``op_desc, affine``), loaded lazily like any other; ``manager`` defaults to the
    manager in use (``plugins_in_use()``)."""
    from nas_kernel.experiment.errors import ConfigError
    from nas_kernel.plugins import ComponentError

    registry = (manager if manager is not None else plugins_in_use()).registry
    try:
        return registry.get(kind, name).load()
    except ComponentError as exc:
        raise ConfigError(str(exc), source="<component_factory>", key=f"{kind}.{name}") from None
