"""Column names the results table (search-state data frame and CSV) uses itself.

An objective or constraint with one of these names would overwrite or be overwritten by the
table's own column, so it is refused where objectives are declared (``SearchObjectives`` and
the experiment file). Kept import-free: the experiment validator reads it before anything heavy
is imported.
"""
from __future__ import annotations

__all__ = ["RESERVED_COLUMNS"]

#: ``archid`` first, then the bookkeeping columns after the objectives; ``models`` is the key of
#: the model objects in ``SearchResults.results``. ``budget`` is not reserved (Archai accepts an
#: objective of that name): only a multi-fidelity searcher adds a ``budget`` column, and
#: ``SearchResults.add_iteration_results`` refuses that clash when it happens, naming it.
RESERVED_COLUMNS = ("archid", "models", "iteration_num", "search_walltime_hours", "is_pareto")
