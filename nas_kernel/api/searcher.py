"""Searcher contract: runs a search and lets callers observe each iteration."""
from __future__ import annotations

from abc import abstractmethod
from typing import Callable, List

from overrides import EnforceOverrides

from nas_kernel.api.overridable import OpenOverrides

__all__ = ["Searcher"]


class Searcher(OpenOverrides, EnforceOverrides):
    """A search algorithm. ``search()`` returns ``SearchResults``.

    Callbacks subscribed with ``subscribe_start_iteration`` are called with the 1-based iteration
    number at the start of every iteration (e.g. to reset an evaluator per iteration).
    """

    def __init__(self):
        self.iteration_callbacks: List[Callable[[int], None]] = []

    @abstractmethod
    def search(self):
        """Run the search and return its ``SearchResults``."""

    def subscribe_start_iteration(self, fn: Callable[[int], None]):
        self.iteration_callbacks.append(fn)

    def on_start_iteration(self, iteration: int):
        for callback in self.iteration_callbacks:
            callback(iteration)
