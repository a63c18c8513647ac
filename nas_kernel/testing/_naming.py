"""How the kit names a component in messages and test ids, and how it rebuilds one.

Rebuilding follows scikit-learn's convention: every constructor parameter is stored as an
attribute of the same name (or the class defines ``get_params()``), so ``type(obj)(**params)``
makes a fresh copy with the same settings and the same seed. The seeded-determinism checks need
two fresh copies because the object under test has already drawn from its generator.
"""
from __future__ import annotations

import inspect
from typing import Any, Dict

from nas_kernel.testing._results import fail


def name_of(obj: Any) -> str:
    """``ClassName`` for instances, the function's name for plain callables."""
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj):
        return getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    func = getattr(obj, "func", None)  # functools.partial
    if func is not None and callable(func):
        return f"partial({name_of(func)})"
    return type(obj).__name__


def constructor_params(obj: Any) -> Dict[str, Any]:
    """The keyword arguments that rebuild ``obj``; CheckFailed naming what cannot be recovered."""
    get_params = getattr(obj, "get_params", None)
    if callable(get_params):
        params = get_params()
        if not isinstance(params, dict):
            fail(f"{name_of(obj)}.get_params() should return a dict of constructor arguments, "
                 f"got {type(params).__name__}")
        return dict(params)
    try:
        signature = inspect.signature(type(obj).__init__)
    except (TypeError, ValueError) as exc:
        fail(f"{name_of(obj)}: cannot read the constructor signature to rebuild it ({exc})")
    params, missing = {}, []
    for p in list(signature.parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if hasattr(obj, p.name):
            params[p.name] = getattr(obj, p.name)
        else:
            missing.append(p.name)
    if missing:
        fail(f"{name_of(obj)} keeps no attribute for constructor parameter(s) {missing}, so the kit "
             f"cannot rebuild it with the same settings: store each parameter as self.<name> "
             f"(scikit-learn's convention) or define get_params()")
    return params


def rebuild(obj: Any) -> Any:
    """A fresh instance of ``obj``'s class with the same constructor arguments."""
    params = constructor_params(obj)
    try:
        return type(obj)(**params)
    except Exception as exc:
        fail(f"{name_of(obj)}(**{params!r}) failed when rebuilding it from its own parameters: "
             f"{type(exc).__name__}: {exc}")
