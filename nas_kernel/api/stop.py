"""``StopSearch``: how an evaluator or a callback ends a search cleanly.

An ordinary exception raised by an evaluator is recorded as a failed evaluation and the search
goes on (a long search should not die of one bad candidate). Raising ``StopSearch`` instead ends
the search at once: the evaluations already finished stay in the store, the exports are written
from them, and ``search()`` returns its results with ``stop_reason`` set to the message.
"""
from __future__ import annotations

__all__ = ["StopSearch"]


class StopSearch(Exception):
    """Raise from ``evaluate``/``send``/``fetch_all``, an iteration callback or a lifecycle hook to
    end the search now; the message becomes the searcher's ``stop_reason``."""
