"""Checks for searchers. A searcher needs a search space, objectives and an output directory, and
each run needs a fresh one, so the kit takes a *factory*: ``make(output_dir) -> Searcher`` that
builds everything anew with a fixed seed and a tiny budget (a few iterations, a few models).
Each run writes into its own temporary directory, driven as ``nas search`` drives it: with a
``RunContext`` (quiet; the kit's own plugin manager to observe the hooks)."""
from __future__ import annotations

import inspect
import tempfile
import time
from typing import Any, Callable, List, Tuple

from nas_kernel.api import SearchResults, Searcher
from nas_kernel.run_context import RunContext
from nas_kernel.testing._naming import name_of
from nas_kernel.testing._recorder import HookRecorder
from nas_kernel.testing._results import fail

#: the budget a "tiny" search must fit in on a shared 2-core CPU
MAX_SECONDS = 60.0


def is_searcher_factory(obj: Any) -> bool:
    """A plain callable (not a class, not a component) taking ``output_dir``."""
    if inspect.isclass(obj) or not callable(obj):
        return False
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False
    return "output_dir" in params


def _build(make: Callable[[str], Any], output_dir: str) -> Any:
    searcher = make(output_dir)
    if not isinstance(searcher, Searcher):
        fail(f"searcher factory {name_of(make)}(output_dir) should return a Searcher, got {type(searcher).__name__}")
    return searcher


def _run(make, searcher=None, run=None, output_dir=None) -> Tuple[Any, SearchResults, float]:
    from nas_kernel.run_session import run_searcher

    with tempfile.TemporaryDirectory() as tmp:
        output_dir = output_dir or tmp
        searcher = searcher or _build(make, output_dir)
        started = time.perf_counter()
        results = run_searcher(searcher, run or RunContext(progress=False), output_dir=output_dir)
        seconds = time.perf_counter() - started
    if not isinstance(results, SearchResults):
        fail(f"{name_of(searcher)}.search() should return SearchResults, got {type(results).__name__}")
    return searcher, results, seconds


def _archids(results: SearchResults) -> List[List[str]]:
    return [list(entry["archid"]) for entry in results.results]


def check_search_runs_tiny_budget_on_cpu(make):
    searcher, results, seconds = _run(make)
    if results.iteration_num < 1 or not any(_archids(results)):
        fail(f"{name_of(searcher)}.search() evaluated no model ({results.iteration_num} iterations recorded); "
             "expected at least one iteration with models")
    if seconds > MAX_SECONDS:
        fail(f"{name_of(searcher)}.search() took {seconds:.1f} s; the factory {name_of(make)} should give it a "
             f"budget that runs in under {MAX_SECONDS:.0f} s on CPU (few iterations, few models)")


def check_search_reproducible_with_seed(make):
    first, a, _ = _run(make)
    _, b, _ = _run(make)
    if _archids(a) != _archids(b):
        fail(f"{name_of(first)}: two runs from {name_of(make)} with the same seed evaluated different models: "
             f"{_archids(a)[:3]} vs {_archids(b)[:3]} (first iterations); every random choice must come from "
             "generators seeded by the seed parameters")


def check_fires_on_start_iteration_each_iteration(make):
    from nas_kernel.loop import IterativeSearcher
    from nas_kernel.plugins import make_plugin_manager

    with tempfile.TemporaryDirectory() as tmp:
        searcher = _build(make, tmp)
        seen: List[int] = []
        searcher.subscribe_start_iteration(seen.append)
        recorder = HookRecorder()
        manager = make_plugin_manager(entrypoints=False)
        manager.register(recorder, name=f"nas-kit-recorder-{id(recorder)}")
        _, results, _ = _run(make, searcher, RunContext(progress=False, plugin_manager=manager), output_dir=tmp)
        if not isinstance(searcher, IterativeSearcher):  # only the kernel loop fires per-iteration hooks
            recorder = None
    n = results.iteration_num
    if seen not in (list(range(1, n + 1)), list(range(1, n + 2))):
        fail(f"{name_of(searcher)} ran {n} iteration(s) but subscribe_start_iteration callbacks got {seen}; "
             f"expected 1, 2, ..., {n} (1-based, at the start of every iteration)")
    if recorder is not None:
        hooked = [c.iteration for c in recorder.getcalls("on_start_iteration")]
        if hooked != seen:
            fail(f"{name_of(searcher)}: the on_start_iteration hook got iterations {hooked} but the "
                 f"subscribe_start_iteration callbacks got {seen}; both fire from the same point")


def searcher_checks(obj) -> List[Callable[..., None]]:
    if not is_searcher_factory(obj):
        return []
    return [check_search_runs_tiny_budget_on_cpu, check_search_reproducible_with_seed,
            check_fires_on_start_iteration_each_iteration]
