"""``"package.module:attr"`` references, so YAML can name Python callables and classes and an
evaluator holding one stays picklable (the text is sent, and resolved in the worker)."""
from __future__ import annotations

import importlib
import re
from typing import Any

_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def resolve(ref: Any, what: str = "reference") -> Any:
    """Import ``ref`` if it is a ``"module:attr"`` string; return other objects unchanged."""
    if not isinstance(ref, str):
        return ref
    if not _REF.match(ref):
        raise ValueError(f"{what} must be a callable or a 'package.module:attr' string, got {ref!r}")
    module_name, _, attr = ref.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{what} {ref!r} cannot be imported: {exc}") from None
    return obj


def check_reference(ref: Any, what: str) -> None:
    """Fail early (at construction) on a malformed reference; import happens on first use."""
    if isinstance(ref, str):
        if not _REF.match(ref):
            raise ValueError(f"{what} must be a callable or a 'package.module:attr' string, got {ref!r}")
    elif not callable(ref):
        raise ValueError(f"{what} must be callable or a 'package.module:attr' string, got {type(ref).__name__}")
