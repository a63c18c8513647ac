"""The stand-in for a tqdm bar when progress is off (``nas search -q``, workers, tests)."""
from __future__ import annotations

__all__ = ["NoBar"]


class NoBar:
    """Takes the calls a tqdm bar takes and shows nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass
