"""``RunContext``: what the caller of a search decides about one run, handed to the run's owner.

The algorithm's settings (iterations, population, seed) are the searcher's constructor
parameters. How a run is driven (which plugins see its lifecycle, whether it resumes, whether it
prints progress, when failures stop it, what happens to an earlier run in the same directory) is
decided by whoever starts it: the ``nas search`` command, the conformance kit, or Python code.
They build one ``RunContext`` and pass it to ``searcher.search(run=...)`` (or to
``nas_kernel.run_session.run_searcher``, which takes any ``Searcher``); the run's owner,
``nas_kernel.run_session.RunSession``, reads it. Nothing is copied onto a built searcher.

A searcher on the kernel loop keeps its own ``RunContext`` as ``searcher.run``: what a
``searcher.search()`` with no context runs under. Its ``progress``, ``resume``, ``max_failures``,
``plugin_manager``... attributes (Archai-style settings of the object) read and write that one
object; an earlier run in its ``output_dir`` is moved aside, as Archai starts a new search there.

Quiet travels one way: ``progress`` here is read by the run's owner alone, which leaves out its
per-failure lines and makes the whole run a quiet scope; every progress bar (the loop's, the
evaluations', a plugin's) asks ``progress_enabled()``.
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Optional

from nas_kernel.failures import FAIL_FAST_FIRST, FAIL_FAST_IN_ROW

__all__ = ["EARLIER_RUN_CHOICES", "RunContext", "progress_enabled", "quiet_if"]

#: what a new (not resumed) search does with an earlier run found in its output directory
EARLIER_RUN_CHOICES = ("move_aside", "refuse")

_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("nas_kernel_quiet_run", default=False)


@dataclass
class RunContext:
    """One run's settings, supplied by the caller.

    Attributes:
        plugin_manager: receives the lifecycle hooks (None: no plugin hooks).
        fingerprint: identity of the experiment in the store (None: derived from the searcher).
        resume: continue the run stored in ``output_dir`` (its evaluations are read, not redone).
        progress: progress bars and per-failure lines (``nas search -q`` turns them off).
        max_failures: stop when more evaluations than this failed (None: the fail-fast rules
            below decide; set, it turns them off).
        fail_fast_first, fail_fast_in_row: the fail-fast rules of ``nas_kernel.failures`` for one
            objective: its first N evaluations all failed, or N failed in a row (None: off).
        earlier_run: a new search in a directory holding an earlier run: ``"move_aside"`` (the
            Python API: the earlier run goes to ``OUTPUT_DIR/earlier-runs/...``, printed) or
            ``"refuse"`` (``nas search``: exit 2, nothing touched). A live run always refuses.
        on_open: called with the output directory once the run holds it and the store accepted
            it, before anything is evaluated (``nas search`` saves the experiment file there).
        experiment: what identifies the experiment, as data (``nas_kernel.experiment.identity``):
            stored with the run, so a refused ``--resume`` can name the keys that differ.
    """

    plugin_manager: Any = None
    fingerprint: Optional[str] = None
    resume: bool = False
    progress: bool = True
    max_failures: Optional[int] = None
    fail_fast_first: Optional[int] = FAIL_FAST_FIRST
    fail_fast_in_row: Optional[int] = FAIL_FAST_IN_ROW
    earlier_run: str = "move_aside"
    on_open: Optional[Callable[[str], None]] = None
    experiment: Optional[Dict[str, Any]] = None

    def __post_init__(self) -> None:
        if self.earlier_run not in EARLIER_RUN_CHOICES:
            raise ValueError(f"earlier_run must be one of {', '.join(EARLIER_RUN_CHOICES)}, got {self.earlier_run!r}")
        if self.max_failures is not None and int(self.max_failures) < 0:
            raise ValueError(f"max_failures must be >= 0 or None, got {self.max_failures}")


def progress_enabled(requested: bool = True) -> bool:
    """Whether a progress bar asked for with ``requested`` is shown: never inside a quiet run."""
    return bool(requested) and not _QUIET.get()


@contextlib.contextmanager
def quiet_if(quiet: bool) -> Iterator[None]:
    """Inside, ``progress_enabled`` is False when ``quiet`` (how ``-q`` reaches the evaluation
    bars of any searcher, including one that is not on the kernel loop)."""
    token = _QUIET.set(bool(quiet) or _QUIET.get())
    try:
        yield
    finally:
        _QUIET.reset(token)
