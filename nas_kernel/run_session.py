"""``RunSession``: the one owner of a run's life, from the first check to the last write.

Every searcher runs inside one, as a context manager::

    with RunSession(output_dir, run, fingerprint=..., searcher=searcher, objectives=objectives) as session:
        results = ...            # the search: propose, evaluate (recorded by the session)
        session.finish(results)  # exports, status "finished", the end hook

Entering takes the single-writer lock (``nas_kernel.runstate``), runs the store's one preflight
under it (resume, mixing, an earlier run), moves an earlier run aside when the caller asked for
that, opens the store, records who writes it (pid, host, start time), starts the heartbeat, makes
the run quiet when the context says so, records every evaluation the objectives compute (and
reads the stored ones back when resuming) and fires ``on_search_start``. ``finish`` writes the
exports and fires ``on_search_end``. Leaving writes the end time and the final status (finished,
failed, interrupted) and lets the directory go. The status is written by ``_set_status`` alone.

The kernel loop (``nas_kernel.loop``) holds its session in ``search(run=...)``; ``run_searcher``
holds one around any other ``Searcher``, so it too is resumable, quiet under ``-q``, the only
writer of its directory, seen by the lifecycle hooks and exported from the store at the end.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import shutil
import sys
import time
from typing import Any, Callable, List, Optional

from nas_kernel.api.results import SearchResults
from nas_kernel.api.stop import StopSearch
from nas_kernel.failures import SearchFailed, never_succeeded
from nas_kernel.plugins import call_lifecycle
from nas_kernel.run_context import RunContext, quiet_if
from nas_kernel.run_files import EARLIER_RUNS, RUN_LOCK
from nas_kernel.runstate import RUN_STATUSES, Heartbeat, RunLock, this_host
from nas_kernel.store import SCHEMA_VERSION, Store, StoreError, check_resumable, db_path, preflight
from nas_kernel.store_reader import open_store

__all__ = ["RunSession", "differing_keys", "move_earlier_run", "run_searcher", "takes_run_context"]

class RunSession:
    """See the module docstring. ``searcher`` is what the lifecycle hooks are given;
    ``objectives`` are recorded in the store. ``open()`` and ``close(status)`` are the two halves
    of ``with``, for code that holds a run directory without searching in it."""

    def __init__(self, output_dir: str, run: RunContext, *, fingerprint: str, describe: str = "",
                 searcher: Any = None, objectives: Any = None,
                 on_evaluation: Optional[Callable[[str, Any], None]] = None) -> None:
        self.output_dir = str(output_dir)
        self.run = run
        self.fingerprint = fingerprint
        self.describe = describe
        self.searcher = searcher
        self.objectives = objectives
        self.store: Optional[Store] = None
        self.moved_to: Optional[str] = None
        #: called with the objective's name and every recorded ``Evaluation`` (the loop counts
        #: failures per objective with it)
        self.on_evaluation = on_evaluation
        self._lock = RunLock(self.output_dir)
        self._heartbeat: Optional[Heartbeat] = None
        self._objectives: List[Any] = []
        self._index: Optional[int] = None  # the store's 0-based index of the iteration running
        self._quiet: Optional[contextlib.ExitStack] = None
        #: a ``StopSearch`` the start hook raised; the searcher raises it again inside the ``with``
        self.stop_at_start: Optional[StopSearch] = None

    # ---- the run's life as a context manager ----------------------------------------------
    def __enter__(self) -> "RunSession":
        self.open()
        try:
            self._quiet = contextlib.ExitStack()
            self._quiet.enter_context(quiet_if(not self.run.progress))
            if self.objectives is not None:
                self.save_schema(self.objectives)
                self.attach(self.objectives)
            try:
                call_lifecycle(self.run.plugin_manager, "on_search_start", searcher=self.searcher)
            except StopSearch as stop:  # a request to end the search: the searcher raises it inside
                self.stop_at_start = stop
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Ends the run however the search ended; an exception goes on to the caller."""
        if self._quiet is not None:
            self._quiet.close()
            self._quiet = None
        if exc_type is None:
            self.close()  # finished when ``finish`` ran; a search that left without it failed
        else:
            self.close("interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed")

    def finish(self, results: Any, *, record: bool = False, save_weights: bool = False) -> None:
        """The end of a search that ran to its end (or to a ``StopSearch``): ``SearchFailed`` when
        an objective never succeeded; else the search state (with ``record``: for a searcher that
        built its ``SearchResults`` itself, the loop stores each iteration as it ends) and the
        exports, written from the store, the status ``finished`` and ``on_search_end``."""
        failed = never_succeeded(self.store.evaluations())
        if failed:  # no front to export: the store keeps what was tried (``nas results show``)
            raise SearchFailed(failed)
        if isinstance(results, SearchResults) and self.objectives is not None:
            from nas_kernel.exports import write_exports

            if record:
                self.record_results(results)
            write_exports(self.output_dir, results, self.store.evaluations(), save_weights)
        self._set_status("finished")
        call_lifecycle(self.run.plugin_manager, "on_search_end", searcher=self.searcher, results=results)

    def record_stop_reason(self, reason: str) -> None:
        """Why a search ended early (a ``StopSearch``): kept with the run."""
        self.store.set_meta("stop_reason", reason)

    def _set_status(self, status: str) -> None:
        """The one writer of the run's status (meta ``status``), read by ``read_run_state``."""
        if status not in RUN_STATUSES:
            raise ValueError(f"a run's status is one of {', '.join(RUN_STATUSES)}, not {status!r}")
        self.store.set_meta("status", status)

    # ---- opening ---------------------------------------------------------------------------
    def open(self) -> Store:
        if self.run.resume:
            check_resumable(self.output_dir)
        self._lock.acquire()
        try:
            try:
                moving = preflight(self.output_dir, self.fingerprint, resume=self.run.resume,
                                   earlier_run=self.run.earlier_run)
            except StoreError as exc:
                raise StoreError(f"{exc}{self._differing_keys()}") from None
            if moving:
                self.moved_to = move_earlier_run(self.output_dir)
                print(f"nas: {self.output_dir} held an earlier search; moved it to {self.moved_to} "
                      "(nothing deleted); this search starts fresh", file=sys.stderr)
            store = self.store = Store(db_path(self.output_dir))
            if store.get_meta("fingerprint") is None:
                store.set_meta("fingerprint", self.fingerprint)
                store.set_meta("schema", SCHEMA_VERSION)
                store.set_meta("created", repr(time.time()))
                store.set_meta("describe", self.describe)
            if self.run.experiment is not None:  # what a refused --resume compares against
                from nas_kernel.jsonable import plain

                store.set_json("experiment", plain(self.run.experiment))
            store.conn.execute("DELETE FROM meta WHERE key='ended_at'")
            self._set_status("running")
            store.set_meta("pid", str(os.getpid()))
            store.set_meta("host", this_host())
            store.set_meta("started_at", repr(time.time()))
            self._heartbeat = Heartbeat(store.path).start()
            from nas_kernel._tracking import bind_trackers

            bind_trackers(self.run.plugin_manager, self.output_dir)
            if self.run.on_open is not None:
                self.run.on_open(self.output_dir)
        except BaseException:
            if self.store is not None:
                self._set_status("failed")
            self._release()
            raise
        return store

    def _differing_keys(self) -> str:
        """`` The keys that differ: seed (1 -> 2), ...`` between the stored experiment and this
        one, when both are known; else nothing."""
        if self.run.experiment is None:
            return ""
        try:
            probe = open_store(self.output_dir)
            try:
                stored = probe.get_json("experiment")
            finally:
                probe.close()
        except Exception:
            return ""
        if stored is None:
            return ""
        from nas_kernel.jsonable import plain

        changes = differing_keys(stored, plain(self.run.experiment))
        return f" The keys that differ: {'; '.join(changes)}." if changes else ""

    # ---- recording -------------------------------------------------------------------------
    def attach(self, objectives: Any) -> None:
        """Record every evaluation ``objectives`` computes in the store (and read the stored ones
        back into its cache when resuming)."""
        if self.run.resume:
            objectives.preload(self.store.evaluations())
        objectives.recorders.append(self._record)
        self._objectives.append(objectives)

    def save_schema(self, objectives: Any) -> None:
        """Store the objectives' names and directions (what readers rank results by)."""
        self.store.set_json("objectives", [
            {"name": n, "higher_is_better": o["higher_is_better"], "compute_intensive": o["compute_intensive"]}
            for n, o in objectives.objectives.items()])

    def record_results(self, results: Any) -> None:
        """Store the search state of ``results`` iteration by iteration (for a searcher that
        built its ``SearchResults`` itself; the kernel loop stores each iteration as it ends)."""
        names = set(results.objectives.objective_names) | {"archid", "models"}
        start = 0
        for iteration, entry in enumerate(results.results):
            n = len(entry["archid"])
            columns = {k: v for k, v in entry.items() if k not in names}
            budgets = list(columns.get("budget") or [None] * n)
            rows = [{k: col[i] for k, col in columns.items()} for i in range(n)]
            walltimes = list(results.search_walltimes[start:start + n]) or [0.0] * n
            start += n
            self.store.record_iteration(iteration, list(entry["archid"]), budgets, rows, walltimes)

    # ---- iterations (the loop counts from 1, the store from 0: converted here only) ----------
    def start_iteration(self, iteration: int) -> None:
        """Evaluations recorded from now on belong to the loop's ``iteration`` (1-based)."""
        self._index = iteration - 1

    def iteration_walltimes(self, iteration: int) -> Optional[List[float]]:
        """The wall times a resumed run stored for ``iteration``, or None."""
        return self.store.iteration_walltimes(iteration - 1)

    def record_iteration(self, iteration: int, archids: List[str], budgets: List[Any], rows: List[Any],
                         walltimes: List[float]) -> None:
        self.store.record_iteration(iteration - 1, archids, budgets, rows, walltimes)

    def _record(self, name, model, budget, evaluation) -> None:
        self.store.record_evaluation(name, model.archid, budget, evaluation, iteration=self._index)
        if not evaluation.ok and self.run.progress:
            print(f"nas: evaluation failed: {name} of {model.archid}: {evaluation.error}", file=sys.stderr)
        if self.on_evaluation is not None:
            self.on_evaluation(name, evaluation)

    # ---- closing ---------------------------------------------------------------------------
    def close(self, status: Optional[str] = None) -> None:
        """End the run: ``status`` (finished, failed, interrupted, stopped) when given, else the
        status the search wrote; a status still "running" becomes "failed". The trackers are
        stopped here, on every end of the run: one the search did not finish is aborted with it."""
        if self.store is not None:
            if self._heartbeat is not None:
                self._heartbeat.stop()
                self._heartbeat = None
            if status is None and self.store.get_meta("status") == "running":
                status = "failed"
            if status is not None:
                self._set_status(status)
            self.store.set_meta("ended_at", repr(time.time()))
            status = status or self.store.get_meta("status")
        from nas_kernel._tracking import stop_trackers

        try:
            stop_trackers(self.run.plugin_manager, status or "failed")
        finally:
            self._release()

    def _release(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        for objectives in self._objectives:
            if self._record in objectives.recorders:
                objectives.recorders.remove(self._record)
        self._objectives = []
        if self.store is not None:
            self.store.close()
            self.store = None
        self._lock.release()


def differing_keys(old: Any, new: Any, prefix: str = "") -> List[str]:
    """``key (old -> new)`` for each dotted key whose value differs between two experiments."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: List[str] = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{prefix}.{key}" if prefix else str(key)
            if key not in old:
                out.append(f"{where} (not set -> {new[key]!r})")
            elif key not in new:
                out.append(f"{where} ({old[key]!r} -> not set)")
            else:
                out.extend(differing_keys(old[key], new[key], where))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [c for i, (a, b) in enumerate(zip(old, new)) for c in differing_keys(a, b, f"{prefix}[{i}]")]
    return [] if old == new else [f"{prefix} ({old!r} -> {new!r})"]


def move_earlier_run(output_dir: str) -> str:
    """Move everything of the earlier run in ``output_dir`` (all but the lock and earlier runs
    already kept) to ``OUTPUT_DIR/earlier-runs/<its start time>``; returns that folder."""
    started = time.time()
    try:
        probe = open_store(output_dir)
        try:
            started = float(probe.get_meta("started_at") or probe.get_meta("created") or started)
        finally:
            probe.close()
    except Exception:  # an unreadable store is moved aside all the same, named by today's time
        pass
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    keep = os.path.join(output_dir, EARLIER_RUNS)
    target, n = os.path.join(keep, stamp), 1
    while os.path.exists(target):
        n += 1
        target = os.path.join(keep, f"{stamp}-{n}")
    os.makedirs(target)
    for name in sorted(os.listdir(output_dir)):
        if name in (RUN_LOCK, EARLIER_RUNS):
            continue
        shutil.move(os.path.join(output_dir, name), os.path.join(target, name))
    return target


def takes_run_context(searcher: Any) -> bool:
    """True when ``searcher.search`` takes ``run=``: such a searcher (the kernel loop) holds its
    ``RunSession`` itself; any other is run inside one by ``run_searcher``."""
    try:
        return "run" in inspect.signature(searcher.search).parameters
    except (TypeError, ValueError):
        return False


def run_searcher(searcher: Any, run: RunContext, *, output_dir: Optional[str] = None, objectives: Any = None):
    """Run ``searcher`` under ``run``: ``search(run=run)`` for a searcher that takes the context
    (the kernel loop); any other ``Searcher`` runs inside a ``RunSession`` on ``output_dir`` (the
    one the experiment gave it), with ``objectives`` recorded in the store and resumed from it."""
    if takes_run_context(searcher):
        return searcher.search(run=run)
    output_dir = output_dir or getattr(searcher, "output_dir", None)
    if not output_dir:
        raise ValueError(f"{type(searcher).__name__} has no output_dir; pass output_dir= to run_searcher")
    fingerprint = run.fingerprint or f"{type(searcher).__module__}.{type(searcher).__qualname__}"
    with RunSession(output_dir, run, fingerprint=fingerprint, describe=type(searcher).__name__, searcher=searcher,
                    objectives=objectives) as session:
        if session.stop_at_start is not None:
            raise session.stop_at_start
        results = searcher.search()
        session.finish(results, record=True)
    return results
