"""How an op name becomes a module. The one table of this package's ops is ``plugin.OPS`` (name
-> lazy ``"module:attr"`` factory): ``plugin.py`` registers it and this lookup reads it, resolving
a reference the kernel's one way (``nas_kernel.toolbox.references``), so a model of built-in ops
builds without any plugin manager. Another name goes to the op registry of the plugin manager in
use (``nas_kernel.components.component_factory``: the ``nas`` command's, or the builder's), so ops
that other plugins register work inside our cells."""
from __future__ import annotations

from typing import Any, Callable, List

from nas_kernel.toolbox.references import resolve_reference
from nas_supergraph.model_desc import OpDesc

__all__ = ["builtin_factory", "builtin_op_names", "create_op", "resolve_factory"]


def builtin_op_names() -> List[str]:
    from nas_supergraph.plugin import OPS

    return sorted(OPS)


def builtin_factory(name: str) -> Callable[..., Any]:
    """The factory ``plugin.OPS`` names for ``name`` (``KeyError`` for a name not in it)."""
    from nas_supergraph.plugin import OPS

    return resolve_reference(OPS[name])


def resolve_factory(name: str) -> Callable[..., Any]:
    """The factory of op ``name``; ValueError naming the known ops when no plugin has it."""
    from nas_supergraph.plugin import OPS

    if name in OPS:
        return builtin_factory(name)
    from nas_kernel.components import component_factory
    from nas_kernel.experiment.errors import ConfigError

    try:
        return component_factory("ops", name)
    except ConfigError:
        raise ValueError(f"unknown op {name!r}; no installed plugin registers it (built-in ops are: "
                         f"{', '.join(sorted(OPS))})") from None


def create_op(op_desc: OpDesc, affine: bool = True):
    """Build the module ``op_desc`` describes (``Op.create`` without shared architecture weights)."""
    from nas_supergraph.operations import Op

    return Op.create(op_desc, affine)
