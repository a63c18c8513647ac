"""Trackers on the lifecycle hooks: each tracker of an experiment's ``trackers:`` list becomes a
plugin of the run's plugin manager whose hooks feed it on a background thread.

Why this shape: the loop knows nothing of trackers (they are plugins like any other hook user);
the hook methods only put a message on a queue, so a slow or unreachable backend never slows the
search, and a raising one is reported once and left out (its error never reaches the loop, strict
manager or not). What is new to a tracker is read from the results store, not from the hook's
arguments: the candidates of every finished iteration, in (iteration, position) order, counted
from the first evaluation of the search. The count a tracker has logged is kept in
``OUTPUT_DIR/trackers/<label>.json`` after every batch, and the tracker may correct it from its
own backend when it starts, so a search killed at any instant and resumed logs every evaluation
once: the replayed iterations of the resume find their candidates already counted. The run's
owner, ``RunSession``, gives the trackers the run's directory when it opens and stops them when it
closes, however the search ended: a failed or interrupted search aborts them, so no backend run is
left running and every tracker is closed.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import sqlite3
import sys
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

from nas_kernel.api.tracker import TrackedEvaluation, TrackedRun, Tracker
from nas_kernel.exports import pareto_rows
from nas_kernel.hookspecs import hookimpl
from nas_kernel.run_files import PARETO_JSON, PLOTS, SAVED_EXPERIMENT, TRACKERS
from nas_kernel.store_reader import candidate_evaluations, read_meta

#: how long the end of a search waits for a tracker to write what it was given
DEFAULT_FLUSH_SECONDS = 30.0


def attach_trackers(manager: Any, trackers: Sequence[Tuple[str, Tracker]]) -> List["TrackerHooks"]:
    """Register one ``TrackerHooks`` per ``(label, tracker)`` on ``manager`` (once each)."""
    attached = []
    for label, tracker in trackers:
        hooks = getattr(tracker, "_nas_hooks", None)
        if hooks is None:
            hooks = TrackerHooks(tracker, label)
            tracker._nas_hooks = hooks
        if manager is not None and not manager.is_registered(hooks):
            manager.register(hooks, name=f"tracker {label}")
        attached.append(hooks)
    return attached


def bind_trackers(manager: Any, output_dir: str) -> None:
    """Tell every tracker on ``manager`` the run's output directory (``RunSession.open``)."""
    for hooks in _hooks_on(manager):
        hooks.bind(output_dir)


def stop_trackers(manager: Any, status: str) -> None:
    """Stop every tracker on ``manager`` at the end of the run, however it ended
    (``RunSession.close``); a tracker's error is reported, never raised into the search."""
    for hooks in _hooks_on(manager):
        try:
            hooks.stop(status)
        except Exception as exc:
            hooks._fail(exc)


def _hooks_on(manager: Any) -> List["TrackerHooks"]:
    if manager is None:
        return []
    return [p for p in manager.get_plugins() if isinstance(p, TrackerHooks)]


def labels_for(names: Sequence[str]) -> List[str]:
    """``["mlflow", "tensorboard", "mlflow"]`` -> ``["mlflow", "tensorboard", "mlflow-2"]``."""
    seen: Dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


class TrackerHooks:
    """The lifecycle-hook side of one tracker; see the module docstring."""

    def __init__(self, tracker: Tracker, label: str, flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> None:
        self.tracker, self.label, self.flush_seconds = tracker, label, flush_seconds
        self.failed: Optional[str] = None
        self.logged = 0
        self._queue: "queue.Queue[Optional[tuple]]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._output_dir = ""
        self._state: Dict[str, Any] = {}

    # ---- the run's owner: RunSession opens and always stops the trackers ----------------------
    def bind(self, output_dir: str) -> None:
        """The run's output directory, from the session that holds it (a searcher need not have one)."""
        self._output_dir = str(output_dir)

    def stop(self, status: str) -> None:
        """End the tracker's thread on any end of the run: after ``on_search_end`` there is nothing
        left to do; otherwise (``failed``, ``interrupted``, a raise anywhere) the tracker is told
        with ``abort(status)`` and closed. Waits up to ``flush_seconds``; never raises."""
        thread = self._thread
        if thread is None:
            return
        self._thread = None
        self._queue.put(("abort", status))
        self._queue.put(None)
        self._join(thread)

    # ---- hooks: the search thread only enqueues ---------------------------------------------
    @hookimpl
    def on_search_start(self, searcher: Any) -> None:
        if not self._output_dir:
            self._output_dir = str(getattr(searcher, "output_dir", "") or "")
        self.failed = None
        # a fresh queue handed to its own thread: a thread left writing by an earlier run of this
        # object keeps reading its own queue, never this one
        self._queue = work = queue.Queue()
        self._thread = threading.Thread(target=self._work, args=(work,), name=f"nas-tracker-{self.label}",
                                        daemon=True)
        self._thread.start()
        work.put(("start",))

    @hookimpl
    def on_iteration_end(self, iteration: int, models: Any) -> None:
        if self.failed is None and self._thread is not None:
            self._queue.put(("iteration", iteration - 1, {m.archid: arch_params(m) for m in models}))

    @hookimpl
    def on_search_end(self, results: Any) -> None:
        thread = self._thread
        if thread is None:
            return
        self._thread = None
        if self.failed is None:
            self._queue.put(("end", pareto_rows(results)))
        self._queue.put(None)
        self._join(thread)

    def _join(self, thread: threading.Thread) -> None:
        thread.join(self.flush_seconds)
        if thread.is_alive():
            print(f"nas: warning: tracker '{self.label}' is still writing after {self.flush_seconds:g} s; "
                  "the search does not wait for it", file=sys.stderr)

    # ---- the worker thread -------------------------------------------------------------------
    def _work(self, work: "queue.Queue[Optional[tuple]]") -> None:
        params: Dict[str, Dict[str, Any]] = {}
        finished = False
        try:
            while True:
                message = work.get()
                if message is None:
                    break
                if self.failed is not None:
                    continue
                try:
                    if message[0] == "start":
                        self._start()
                    elif message[0] == "iteration":
                        params.update(message[2])
                        self._log_new(through_iteration=message[1], params=params)
                    elif message[0] == "end":
                        self._log_new(through_iteration=None, params=params)
                        self.tracker.finish(message[1], self._artifacts())
                        finished = True
                    elif message[0] == "abort" and not finished:
                        self.tracker.abort(message[1])
                except Exception as exc:  # any backend error: report once, leave the tracker out
                    self._fail(exc)
        finally:
            try:
                self.tracker.close()
            except Exception as exc:
                self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if self.failed is None:
            self.failed = f"{type(exc).__name__}: {exc}"
            print(f"nas: warning: tracker '{self.label}' failed and is left out for the rest of this search: "
                  f"{self.failed}", file=sys.stderr)

    def _state_path(self) -> str:
        return os.path.join(self._output_dir, TRACKERS, f"{self.label}.json")

    def _start(self) -> None:
        saved = _read_json(self._state_path())
        key = hashlib.sha1(f"{os.path.abspath(self._output_dir)}|{self._store_meta('created')}".encode())
        run = TrackedRun(output_dir=self._output_dir, key=key.hexdigest()[:16], resumed=saved is not None,
                         state=dict((saved or {}).get("state") or {}), logged=int((saved or {}).get("logged") or 0))
        experiment = os.path.join(self._output_dir, SAVED_EXPERIMENT)
        if os.path.isfile(experiment):
            run.experiment_file = experiment
            run.params = experiment_params(experiment)
        run.description = str(run.params.get("description", "")) or self._store_meta("describe")
        run.versions = package_versions(getattr(self.tracker, "library", None))
        counted = self.tracker.start(run)
        self.logged = run.logged if counted is None else int(counted)
        self._state = run.state
        self._save()

    def _save(self) -> None:
        path = self._state_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"logged": self.logged, "state": self._state}, f, sort_keys=True, default=str)
        os.replace(tmp, path)

    def _log_new(self, through_iteration: Optional[int], params: Dict[str, Dict[str, Any]]) -> None:
        batch = read_evaluations(self._output_dir, start=self.logged, through_iteration=through_iteration)
        if not batch:
            return
        for ev in batch:
            ev.arch_params = params.get(ev.archid, {})
        self.tracker.log_evaluations(batch)
        self.logged = batch[-1].index + 1
        self._save()

    def _artifacts(self) -> List[str]:
        found = []
        pareto = os.path.join(self._output_dir, PARETO_JSON)
        if os.path.isfile(pareto):
            found.append(pareto)
        plots = os.path.join(self._output_dir, PLOTS)
        if os.path.isdir(plots):
            found += [os.path.join(plots, n) for n in sorted(os.listdir(plots)) if n.endswith(".png")]
        return found

    def _store_meta(self, key: str) -> str:
        try:
            return (read_meta(self._output_dir) or {}).get(key, "")
        except sqlite3.Error:
            return ""


# ---- reading what to log ---------------------------------------------------------------------
def read_evaluations(output_dir: str, *, start: int = 0,
                     through_iteration: Optional[int] = None) -> List[TrackedEvaluation]:
    """The candidates of the store from the ``start``-th on (in (iteration, position) order),
    up to the store's 0-based ``through_iteration`` (None: all), each with every objective."""
    out = []
    rows = candidate_evaluations(output_dir, start=start, through_iteration=through_iteration)
    for offset, (iteration, archid, bkey, evaluations) in enumerate(rows):
        ev = TrackedEvaluation(index=start + offset, iteration=iteration + 1, archid=archid,
                               budget=None, values={}, seconds={})
        for objective, key, budget, value, status, error, seconds in evaluations:
            if objective in ev.values:  # the candidate's own budget wins over a budget-less row
                continue
            ev.values[objective] = float(value) if status == "ok" and value is not None else None
            ev.seconds[objective] = float(seconds or 0.0)
            if status != "ok":
                ev.errors[objective] = error or status
            if key == bkey and budget is not None:
                ev.budget = float(budget)
        out.append(ev)
    return out


def arch_params(model: Any) -> Dict[str, Any]:
    """What a space tells about an architecture in ``model.metadata``: plain values, lists as text."""
    meta = getattr(model, "metadata", None)
    if not isinstance(meta, dict):
        return {}
    out: Dict[str, Any] = {}
    for key, value in meta.items():
        if isinstance(value, (bool, int, float, str)):
            out[str(key)] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value):
            out[str(key)] = json.dumps(list(value))
    return out


def experiment_params(path: str) -> Dict[str, Any]:
    """The saved experiment as flat ``a.b.c`` keys with plain values (lists and mappings as JSON)."""
    import yaml

    with open(path, encoding="utf-8") as f:
        spec = yaml.safe_load(f) or {}
    out: Dict[str, Any] = {}
    for key in ("seed", "description", "max_failures"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    for key in ("search_space", "searcher"):
        comp = spec.get(key) or {}
        out[f"{key}.name"] = comp.get("name")
        for pname, value in (comp.get("params") or {}).items():
            out[f"{key}.params.{pname}"] = _plain(value)
    for obj in spec.get("objectives") or []:
        out[f"objectives.{obj['name']}.higher_is_better"] = obj.get("higher_is_better")
        out[f"objectives.{obj['name']}.evaluator"] = (obj.get("evaluator") or {}).get("name")
    return out


def _plain(value: Any) -> Any:
    return value if isinstance(value, (bool, int, float, str)) or value is None else json.dumps(value, sort_keys=True)


def package_versions(library: Optional[str] = None) -> Dict[str, str]:
    """Python, the kernel, every installed plugin distribution, torch, numpy and ``library``."""
    from importlib import metadata

    versions = {"python": sys.version.split()[0]}
    names = {"nas-kernel", "torch", "numpy"} | ({library} if library else set())
    for ep in metadata.entry_points(group="nas_kernel"):
        if ep.dist is not None:
            names.add(ep.dist.metadata["Name"])
    for name in sorted(names):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _read_json(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            found = json.load(f)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
