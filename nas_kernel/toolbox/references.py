"""``"package.module:attr"`` references, resolved one way everywhere: a plugin's lazy factory,
a kind's contract, a lazy export, an evaluator's ``training_fn``, a dataset function an
experiment names.

One shape (:data:`REFERENCE`: dotted module, a colon, dotted attribute) and one resolver
(:func:`resolve_reference`, which is ``pkgutil.resolve_name`` once the shape is checked). Callers
differ only in how they word a failure for their user.

A module that sits next to the experiment file imports without installing it or setting
``PYTHONPATH`` (:func:`import_reference`): the folder the kernel passes as ``base_dir`` (the
experiment file's folder) is put at the front of ``sys.path`` (once), so such a module wins over
an installed one of the same name. A spawned worker inherits that ``sys.path``, so models built
from such a module unpickle there too. Two experiments in one process whose folders each hold a
module of the same name each get their own: a module cached from another plain folder is imported
again from ``base_dir`` when that folder holds a module of that name (objects built from the first
one keep the first one). A standard-library or installed module already imported in the process
stays the one used: name your module differently from those.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import re
import sys
from typing import Any, Optional

__all__ = ["REFERENCE", "check_reference", "import_reference", "is_reference", "resolve_reference",
           "resolve_value"]

_NAME = r"[A-Za-z_]\w*"
#: the one shape of a reference: ``package.module:attr`` (the attribute may be dotted: ``Class.method``)
REFERENCE = re.compile(rf"^{_NAME}(?:\.{_NAME})*:{_NAME}(?:\.{_NAME})*$")


def is_reference(text: Any) -> bool:
    """True for a string of the one reference shape (nothing is imported)."""
    return isinstance(text, str) and REFERENCE.match(text) is not None


def resolve_reference(text: str) -> Any:
    """The object ``text`` names, imported now. ``ValueError`` when ``text`` is not of the one
    shape; the import's own ``ImportError`` (or the module's error) and ``AttributeError`` pass
    through, so each caller words them for its user."""
    if not is_reference(text):
        raise ValueError(f"a reference must look like 'package.module:attr', got {text!r}")
    return pkgutil.resolve_name(text)


def resolve_value(value: Any, what: str = "reference") -> Any:
    """``value`` resolved if it is a reference string, returned unchanged otherwise (so YAML can
    name a callable or class, and an object holding the text stays picklable: the text travels and
    is resolved where it is used). ``ValueError`` starting with ``what`` when it cannot be."""
    if not isinstance(value, str):
        return value
    if not is_reference(value):
        raise ValueError(f"{what} must be a callable or a 'package.module:attr' string, got {value!r}")
    try:
        return resolve_reference(value)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{what} {value!r} cannot be imported: {exc}") from None


def check_reference(value: Any, what: str) -> None:
    """Fail early (at construction) on a malformed reference or a non-callable; the import
    happens on first use (:func:`resolve_value`)."""
    if isinstance(value, str):
        if not is_reference(value):
            raise ValueError(f"{what} must be a callable or a 'package.module:attr' string, got {value!r}")
    elif not callable(value):
        raise ValueError(f"{what} must be callable or a 'package.module:attr' string, got {type(value).__name__}")


def import_reference(reference: Any, base_dir: Optional[str], what: str, kind: str = "function") -> Any:
    """The callable ``reference`` names, a module next to the experiment (``base_dir``) first;
    ``ValueError`` starting with ``what`` (the parameter's name) when it is malformed, cannot be
    imported or is not callable."""
    if not is_reference(reference):
        raise ValueError(f"{what} must be 'package.module:{kind}', got {reference!r}")
    module_name, _, attr = reference.partition(":")
    if base_dir:
        _put_first(os.path.abspath(base_dir))
        _forget_if_shadowed(module_name.partition(".")[0], os.path.abspath(base_dir))
    try:
        obj = resolve_reference(reference)
    except ImportError as exc:
        raise ValueError(f"{what}: cannot import {module_name!r} ({exc}); it must be installed or sit in "
                         f"{base_dir or 'the working directory'}") from None
    except AttributeError:
        raise ValueError(f"{what}: module {module_name!r} has no {attr!r}") from None
    if not callable(obj):
        raise ValueError(f"{what}: {reference} is a {type(obj).__name__}, not a {kind}")
    return obj


def _put_first(folder: str) -> None:
    """``folder`` at the front of ``sys.path``, once: the experiment's own modules win."""
    if sys.path[:1] != [folder]:
        sys.path[:] = [folder] + [entry for entry in sys.path if entry != folder]


def _forget_if_shadowed(top: str, folder: str) -> None:
    """Drop the cached ``top`` module (and its submodules) when ``folder`` holds a module of that
    name but the cached one came from another plain folder (another experiment's), so the import
    finds ``folder``'s. Installed and standard-library modules stay cached: importing them twice
    in one process is not safe (extension modules, shared state)."""
    cached = sys.modules.get(top)
    if cached is None or not (os.path.isfile(os.path.join(folder, top + ".py"))
                              or os.path.isfile(os.path.join(folder, top, "__init__.py"))):
        return
    where = getattr(cached, "__file__", None)
    if not where:
        return  # built in, or a namespace package
    where = os.path.abspath(where)
    if where.startswith(folder + os.sep) or any(where.startswith(root + os.sep) for root in _installed_roots()):
        return
    for name in [name for name in sys.modules if name == top or name.startswith(top + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def _installed_roots() -> set:
    import sysconfig

    paths = sysconfig.get_paths()
    return {os.path.abspath(paths[key]) for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
