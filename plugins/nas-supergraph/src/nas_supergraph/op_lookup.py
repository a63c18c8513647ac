"""How an op name becomes a module: this package's own table first (the same lazy references
``plugin.py`` registers, so a model builds without any plugin manager), then the kernel's op
registry of the installed plugins (``nas_kernel.components.component_factory``), so ops that
other plugins register work inside our cells. No state of our own: the kernel holds the one
manager of installed plugins."""
from __future__ import annotations

import importlib
from typing import Any, Callable, List

from nas_supergraph.model_desc import OpDesc

_BUILTIN_CACHE: dict = {}


def builtin_op_names() -> List[str]:
    from nas_supergraph.plugin import OPS

    return sorted(OPS)


def builtin_factory(name: str) -> Callable[..., Any]:
    if name not in _BUILTIN_CACHE:
        from nas_supergraph.plugin import OPS

        module, _, attr = OPS[name].partition(":")
        _BUILTIN_CACHE[name] = getattr(importlib.import_module(module), attr)
    return _BUILTIN_CACHE[name]


def resolve_factory(name: str) -> Callable[..., Any]:
    """The factory of op ``name``; ValueError naming the known ops when no plugin has it."""
    from nas_supergraph.plugin import OPS

    if name in OPS:
        return builtin_factory(name)
    from nas_kernel.components import component_factory
    from nas_kernel.config import ConfigError

    try:
        return component_factory("ops", name)
    except ConfigError:
        raise ValueError(f"unknown op {name!r}; no installed plugin registers it (built-in ops are: "
                         f"{', '.join(sorted(OPS))})") from None


def create_op(op_desc: OpDesc, affine: bool = True):
    """Build the module ``op_desc`` describes (``Op.create`` without shared architecture weights)."""
    from nas_supergraph.operations import Op

    return Op.create(op_desc, affine)
