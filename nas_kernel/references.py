"""``"package.module:attr"`` texts an experiment names (a dataset function, a model factory),
resolved one way for every component.

A module that sits next to the experiment file imports without installing it or setting
``PYTHONPATH``: the folder the kernel passes as ``base_dir`` (the experiment file's folder) is put
on ``sys.path`` first. A spawned worker inherits that ``sys.path``, so models built from such a
module unpickle there too.
"""
from __future__ import annotations

import importlib
import re
import sys
from typing import Any, Optional

_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def import_reference(reference: Any, base_dir: Optional[str], what: str, kind: str = "function") -> Any:
    """The callable ``reference`` names; ``ValueError`` starting with ``what`` (the parameter's
    name) when it is malformed, cannot be imported or is not callable."""
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        raise ValueError(f"{what} must be 'package.module:{kind}', got {reference!r}")
    module_name, _, attr = reference.partition(":")
    if base_dir and base_dir not in sys.path:
        sys.path.append(base_dir)
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        raise ValueError(f"{what}: cannot import {module_name!r} ({exc}); it must be installed or sit in "
                         f"{base_dir or 'the working directory'}") from None
    except AttributeError:
        raise ValueError(f"{what}: module {module_name!r} has no {attr!r}") from None
    if not callable(obj):
        raise ValueError(f"{what}: {reference} is a {type(obj).__name__}, not a {kind}")
    return obj
