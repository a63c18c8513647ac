"""The tracker contract: what an experiment-tracking backend (MLflow, TensorBoard, W&B, your own)
implements to receive a search's parent run, its evaluations and its final front.

A tracker never sees the search loop. The kernel wraps every tracker of the experiment's
``trackers:`` list in a lifecycle-hook plugin (``nas_kernel._tracking``) that reads each finished
iteration from the results store, works out which evaluations the tracker has not logged yet
(so a resumed search logs nothing twice) and hands them over on a background thread, so a slow or
broken backend never slows or stops the search. A tracker therefore implements plain, blocking
calls and may raise: the first error is reported once and the tracker is left out from then on.
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from overrides import EnforceOverrides

__all__ = ["Tracker", "TrackedRun", "TrackedEvaluation"]


@dataclass
class TrackedRun:
    """What a tracker's parent run is about, given to ``Tracker.start``.

    ``state`` is the tracker's own small JSON-able record (its run id, say), kept by the kernel in
    the output directory: empty on a new search, what the tracker left in it on a resumed one.
    ``logged`` is how many evaluations the kernel knows the tracker logged before (0 when new):
    the next evaluation's ``index``.
    """

    output_dir: str
    #: names this search for good (its output directory and the store's creation time): the same on
    #: every ``--resume``, so a backend can find the run a killed process opened before it could say so
    key: str
    resumed: bool
    state: Dict[str, Any]
    logged: int
    params: Dict[str, Any] = field(default_factory=dict)  #: seed, space, searcher, objectives (flat keys)
    versions: Dict[str, str] = field(default_factory=dict)  #: distribution -> version
    experiment_file: Optional[str] = None  #: the saved experiment YAML, when the run has one
    description: str = ""


@dataclass
class TrackedEvaluation:
    """One evaluated candidate: every objective of one (archid, budget), in search order.

    ``index`` counts evaluations from 0 across the whole search (a resumed search continues the
    count), so it is the step of step-based backends. ``values`` holds one number per objective,
    None where that objective failed; ``errors`` the failure reason per failed objective.
    """

    index: int
    iteration: int
    archid: str
    budget: Optional[float]
    values: Dict[str, Optional[float]]
    seconds: Dict[str, float]
    errors: Dict[str, str] = field(default_factory=dict)
    arch_params: Dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds.values()))


class Tracker(EnforceOverrides):
    """An experiment-tracking backend. Built from ``trackers: [{name, params}]``; a factory
    parameter ``output_dir`` receives the run's output directory unless the experiment sets it.

    Calls come in this order, all from one background thread: ``start`` once per search (again on
    ``--resume``, with ``TrackedRun.resumed``), ``log_evaluations`` once per finished iteration with
    the evaluations not logged before, ``finish`` once at the end, ``close`` always last. A search
    that fails or is interrupted gets ``abort(status)`` instead of ``finish``, then ``close``.
    """

    @abstractmethod
    def start(self, run: TrackedRun) -> Optional[int]:
        """Open the parent run (or reopen the one ``run.state`` names) and log what the search is.
        Return how many evaluations the backend itself holds (normally ``run.logged``; a backend
        that can count what it stored returns that count, which closes the window in which a killed
        process had logged an evaluation but not yet recorded that it did)."""

    @abstractmethod
    def log_evaluations(self, evaluations: List[TrackedEvaluation]) -> None:
        """Log these evaluations (a child run or a step each); they are new to this tracker."""

    @abstractmethod
    def finish(self, front: List[Dict[str, Any]], artifacts: List[str]) -> None:
        """The search ended: ``front`` is the Pareto front as table rows (archid, objectives,
        iteration); ``artifacts`` are files to attach (the plots, the front's JSON)."""

    def abort(self, status: str) -> None:
        """The search ended without finishing: ``status`` is ``failed`` (an error, ``SearchFailed``)
        or ``interrupted`` (Ctrl-C). Mark the parent run so where the backend can tell (MLflow's
        FAILED or KILLED, W&B's exit code); ``close`` follows. By default nothing."""

    def close(self) -> None:
        """Release files and connections; called last, also after a failure (of the search, or of
        this tracker: then neither ``finish`` nor ``abort`` may have been called)."""
