"""Lazy package exports: a plugin's ``__init__`` can offer its public classes by name without
importing torch (or anything heavy) until one is used, so importing the plugin stays cheap."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from nas_kernel.toolbox.references import resolve_reference

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: Dict[str, str]) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """Module ``__getattr__`` and ``__dir__`` for ``package``.

    ``names`` maps an exported name to the module defining it, given absolute
    (``"my_plugin.models"``) or relative to the package (``"models"``).

    Example:
        __getattr__, __dir__ = lazy_exports(__name__, {"ResNetSpace": "spaces"})
    """
    def where(ref: str) -> str:
        return ref if ref == package or ref.startswith(package + ".") else f"{package}.{ref}"

    def __getattr__(name: str) -> Any:
        if name in names:
            return resolve_reference(f"{where(names[name])}:{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> List[str]:
        import sys

        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
