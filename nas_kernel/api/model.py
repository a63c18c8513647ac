"""The unit every search passes around: an architecture, its id, and what was learned about it."""
from __future__ import annotations

from typing import Any, Callable, Optional

__all__ = ["ArchaiModel"]

_UNBUILT = object()


class ArchaiModel:
    """An architecture (usually a ``torch.nn.Module``) with the id used for dedup and caching.

    ``archid`` is the identity of the architecture: two models with the same archid are the same
    candidate for every cache, store and searcher. ``arch`` may be given lazily as ``builder`` so a
    search space can hand out candidates whose module is only built if the loop keeps them.
    """

    def __init__(
        self,
        arch: Any = None,
        archid: str = "",
        metadata: Optional[dict] = None,
        *,
        builder: Optional[Callable[[], Any]] = None,
    ) -> None:
        if not isinstance(archid, str) or not archid:
            raise ValueError(f"archid must be a non-empty string, got {archid!r}")
        self.archid = archid
        self.metadata = {} if metadata is None else metadata
        self._arch = _UNBUILT if (arch is None and builder is not None) else arch
        self._builder = builder

    @property
    def arch(self) -> Any:
        if self._arch is _UNBUILT:
            self._arch = self._builder()
        return self._arch

    @arch.setter
    def arch(self, value: Any) -> None:
        self._arch = value

    @property
    def is_built(self) -> bool:
        """False while a lazily given arch has not been built yet (touching ``arch`` builds it)."""
        return self._arch is not _UNBUILT

    def clear(self) -> None:
        """Drop the architecture to free memory; archid and metadata stay."""
        self._arch = None
        self._builder = None

    def __repr__(self) -> str:
        arch = self._arch if self._arch is not _UNBUILT else "<not built>"
        return f"ArchaiModel(\n\tarchid={self.archid}, \n\tmetadata={self.metadata}, \n\tarch={arch}\n)"
