"""Architecture weights, kept apart from the regular weights.

An ``ArchParams`` is a set of named architecture parameters (a mixed op's ``alphas``, say).
Sharing is by passing the same instance around: the module that creates them with
``create_arch_params`` owns (registers) them, a module given them with ``set_arch_params`` only
refers to them, so every parameter is counted, optimised and saved once. DARTS cells of one type
share alphas this way: the first cell of each type owns them, the others point at them.
``ArchModule`` gives a model the two parameter groups a bilevel optimiser needs.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Dict, Iterable, Iterator, List, Optional, Tuple, Union

from torch import nn

from nas_kernel.api.overridable import OpenModuleOverrides, OpenOverrides

ArchParam = Union[nn.Parameter, nn.ParameterDict, nn.ParameterList]


class ArchParams(OpenOverrides, Mapping):
    """Named architecture parameters, a read-only mapping (``len``, ``keys``, ``values``,
    ``items``, ``[name]``, iteration over the names). ``registrar`` (a module) registers them as
    its own (as ``<name>_arch_param``, so ``alphas`` is ``alphas_arch_param`` in its state dict
    and in its ``named_parameters()``)."""

    def __init__(self, arch_params: Iterable[Tuple[str, ArchParam]], registrar: Optional[nn.Module] = None) -> None:
        self._params: Dict[str, ArchParam] = {}
        for name, param in arch_params:
            if name in self._params:
                raise ValueError(f"architecture parameter {name!r} given twice")
            self._params[name] = param
            if registrar is not None:  # prefixed: never shadows a method of the same name
                if isinstance(param, nn.Parameter):
                    registrar.register_parameter(f"{name}_arch_param", param)
                else:
                    registrar.register_module(f"{name}_arch_param", param)

    def __getitem__(self, name: str) -> ArchParam:
        return self._params[name]

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    # shared by passing the instance around: equal means the same instance (comparing tensors
    # element-wise has no single truth value), and it stays usable as a dict key
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __setitem__(self, name: str, param: ArchParam) -> None:
        raise RuntimeError(f"ArchParams cannot be changed: create new ones instead of setting {name!r}")

    def __delitem__(self, name: str) -> None:
        raise RuntimeError(f"ArchParams cannot be changed: {name!r} cannot be removed")

    def param_by_kind(self, kind: Optional[str]) -> Iterator[ArchParam]:
        """The parameters whose name (its last dotted part, for collected ones) is ``kind``;
        every parameter when ``kind`` is None."""
        return (p for name, p in self._params.items() if kind is None or name.split(".")[-1] == kind)

    paramlist_by_kind = param_by_kind
    paramdict_by_kind = param_by_kind

    def has_kind(self, kind: str) -> bool:
        return any(name.split(".")[-1] == kind for name in self._params)

    def parameters(self) -> Iterator[nn.Parameter]:
        """Every tensor parameter, containers flattened, each once."""
        seen = set()
        for param in self._params.values():
            for p in ([param] if isinstance(param, nn.Parameter) else param.parameters()):
                if id(p) not in seen:
                    seen.add(id(p))
                    yield p

    def __repr__(self) -> str:
        shapes = (f"{k}: {tuple(v.shape) if hasattr(v, 'shape') else type(v).__name__}" for k, v in self._params.items())
        return f"ArchParams({', '.join(shapes)})"

    @staticmethod
    def from_module(module: nn.Module, recurse: bool = False) -> "ArchParams":
        """The architecture parameters ``module`` uses (and, with ``recurse``, its submodules use)."""
        if isinstance(module, ArchModule):
            return module.arch_params(recurse=recurse)
        if not recurse:
            return ArchParams.empty()
        return _collect((m for m in module.modules() if isinstance(m, ArchModule)), only_owned=False)

    @staticmethod
    def empty() -> "ArchParams":
        return ArchParams([])


class ArchModule(OpenModuleOverrides, nn.Module):
    """An ``nn.Module`` whose parameters split into architecture weights and regular weights."""

    def __init__(self) -> None:
        super().__init__()
        self._owned_arch_params: Optional[ArchParams] = None
        self._arch_params: Optional[ArchParams] = None

    def create_arch_params(self, named_params: Iterable[Tuple[str, ArchParam]]) -> ArchParams:
        """Create (and own) this module's architecture parameters; returns them."""
        if self._arch_params is not None:
            raise RuntimeError("this module already has architecture parameters")
        self._owned_arch_params = ArchParams(named_params, self)
        self._arch_params = self._owned_arch_params
        return self._arch_params

    def set_arch_params(self, arch_params: ArchParams) -> None:
        """Use architecture parameters owned elsewhere (shared, not registered here)."""
        if self._arch_params is not None:
            raise RuntimeError("this module already has architecture parameters")
        self._arch_params = arch_params

    def arch_params(self, recurse: bool = False, only_owned: bool = False) -> ArchParams:
        """This module's architecture parameters (``only_owned``: the ones it created); with
        ``recurse``, those of every ``ArchModule`` below it too, each parameter once."""
        modules = (m for m in self.modules() if isinstance(m, ArchModule)) if recurse else [self]
        return _collect(modules, only_owned)

    def all_owned(self) -> ArchParams:
        """Every architecture parameter owned anywhere below this module (each exactly once)."""
        return self.arch_params(recurse=True, only_owned=True)

    # ---- the two groups a bilevel optimiser needs --------------------------------------------
    def arch_parameters(self) -> List[nn.Parameter]:
        return list(self.all_owned().parameters())

    def weights(self) -> Iterator[nn.Parameter]:
        """The regular (non-architecture) parameters."""
        arch = {id(p) for p in self.arch_parameters()}
        return (p for p in self.parameters() if id(p) not in arch)


def _collect(modules: Iterable["ArchModule"], only_owned: bool) -> ArchParams:
    found: Dict[str, ArchParam] = {}
    seen = set()
    for index, module in enumerate(modules):
        params = module._owned_arch_params if only_owned else module._arch_params
        for name, param in (params.items() if params is not None else ()):
            if id(param) not in seen:
                seen.add(id(param))
                found[name if name not in found else f"{index}.{name}"] = param
    return ArchParams(found.items())
