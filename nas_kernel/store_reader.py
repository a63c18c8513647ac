"""The one reader of a run directory's store: ``nas results`` (show and plot), the search-state
export's training facts, trackers, ``nas train-best``, the run state and the dashboard all read a
store through here, so the join of evaluations with candidates is written once.

Why one place: a candidate's value of an expensive objective is the row of its own budget, of a
cheap objective the budget-less row; a failed evaluation is NaN; what a training evaluator
recorded about itself (``nas_kernel.training_facts``) comes from the first expensive objective.
Written twice, those rules drift. Every connection opened here is read-only (``mode=ro``, no side
files when no writer has the store open: ``store.connect_read_only``), so a reader never blocks a
running search and never writes into its directory. ``nas_kernel.store`` keeps the schema and the
writer (the run session's reads on resume included); no other module speaks SQL to a store.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

from nas_kernel.api.evaluation import Evaluation, budget_key
from nas_kernel.api.model import ArchaiModel
from nas_kernel.api.results import SearchResults
from nas_kernel.run_files import RESULTS_DB
from nas_kernel.store import Store, StoreError, connect_read_only, db_path
from nas_kernel.training_facts import FACTS, training_facts

__all__ = [
    "EVALUATION_ROW",
    "ObjectiveSchema",
    "RunSummary",
    "StoredCandidate",
    "StoredEvaluation",
    "StoredRun",
    "archid_rows",
    "candidate_evaluations",
    "candidate_rows",
    "connect",
    "evaluation_rows",
    "load_results",
    "open_store",
    "overview_rows",
    "read_meta",
    "read_run",
    "run_summary",
    "with_training_facts",
]


# ---- opening ----------------------------------------------------------------------------------
def open_store(output_dir: str) -> Store:
    """The run's store, read-only (``StoreError`` when there is none); the caller closes it."""
    return Store(db_path(output_dir), readonly=True)


def connect(output_dir: str, *, timeout: float = 30, check_same_thread: bool = True) -> sqlite3.Connection:
    """A read-only connection to the run's store for the row queries below (a server's threads
    pass ``check_same_thread=False``); the caller closes it."""
    return connect_read_only(os.path.join(output_dir, RESULTS_DB), timeout=timeout,
                             check_same_thread=check_same_thread)


def read_meta(output_dir: str, *, timeout: float = 30) -> Optional[Dict[str, str]]:
    """Every key of the store's ``meta`` table (status, heartbeat, pid, ...), or None when the
    directory has no store; ``sqlite3.Error`` when it is not one."""
    if not os.path.exists(os.path.join(output_dir, RESULTS_DB)):
        return None
    conn = connect(output_dir, timeout=timeout)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


# ---- the results of a run ---------------------------------------------------------------------
@dataclass
class ObjectiveSchema:
    """Objective names and directions as stored: enough to rank results without evaluators."""

    specs: List[Dict[str, Any]]

    @property
    def objective_names(self) -> List[str]:
        return [s["name"] for s in self.specs]

    @property
    def higher_is_better(self) -> Dict[str, bool]:
        return {s["name"]: bool(s["higher_is_better"]) for s in self.specs}

    def is_expensive(self, name: str) -> bool:
        return any(s["name"] == name and s.get("compute_intensive", True) for s in self.specs)


class StoredEvaluation(NamedTuple):
    """One stored evaluation: ``Store.evaluations``' four fields, plus when it was written."""

    objective: str
    archid: str
    budget: Optional[float]
    evaluation: Evaluation
    created: float


@dataclass(frozen=True)
class StoredCandidate:
    """One row of the search state: the ``position``-th model of an iteration."""

    iteration: int
    archid: str
    budget_key: str
    extra: Dict[str, Any]
    walltime_hours: float


@dataclass
class StoredRun:
    """What a run's store holds, read in one go (evaluations in the order they were written)."""

    schema: ObjectiveSchema
    created: float
    evaluations: List[StoredEvaluation] = field(default_factory=list)
    candidates: List[StoredCandidate] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._values = {(e.objective, e.archid, budget_key(e.budget)): e.evaluation.number for e in self.evaluations}

    def value(self, objective: str, archid: str, bkey: str) -> float:
        """The value of ``objective`` for the candidate ``(archid, bkey)``: the row of its budget
        for an expensive objective, the budget-less row for a cheap one; NaN when it failed or
        was never computed."""
        key = bkey if self.schema.is_expensive(objective) else ""
        return self._values.get((objective, archid, key), math.nan)

    def facts(self) -> Dict[Tuple[str, str], Dict[str, Any]]:
        """``(archid, budget key) -> training facts`` of the first expensive objective."""
        return _trained_facts(self.evaluations, _expensive_names(self.schema))


def read_run(output_dir: str) -> StoredRun:
    """The run in ``output_dir`` as stored so far (a running search can be read): ``StoreError``
    when there is no store or no search in it yet."""
    store = open_store(output_dir)
    try:
        specs = store.get_json("objectives")
        if specs is None:
            raise StoreError(f"{db_path(output_dir)} holds no search yet")
        created = float(store.get_meta("created") or 0.0)
        evaluations = [
            StoredEvaluation(name, archid, budget, Evaluation(value, status, error, seconds, _json(meta)), when)
            for name, archid, budget, value, status, error, seconds, meta, when in store.conn.execute(
                "SELECT objective, archid, budget, value, status, error, seconds, metadata, created "
                "FROM evaluations ORDER BY rowid")]
        candidates = [
            StoredCandidate(iteration, archid, bkey, _json(extra), wall)
            for iteration, archid, bkey, extra, wall in store.conn.execute(
                "SELECT iteration, archid, budget_key, extra, walltime_hours FROM candidates "
                "ORDER BY iteration, position")]
    finally:
        store.close()
    return StoredRun(ObjectiveSchema(specs), created, evaluations, candidates)


def load_results(output_dir: str, search_space: Any = None) -> SearchResults:
    """The search state as recorded so far (works while the search is still writing): what
    ``nas results`` reads from a running, finished or copied run."""
    run = read_run(output_dir)
    schema = run.schema
    facts = run.facts()
    results = SearchResults(search_space, schema)
    by_iteration: Dict[int, List[StoredCandidate]] = {}
    for candidate in run.candidates:
        by_iteration.setdefault(candidate.iteration, []).append(candidate)
    for iteration in sorted(by_iteration):
        rows = by_iteration[iteration]
        models = [ArchaiModel(None, c.archid) for c in rows]
        objective_values = {name: [run.value(name, c.archid, c.budget_key) for c in rows]
                            for name in schema.objective_names}
        extra_keys: List[str] = []
        for c in rows:
            extra_keys.extend(k for k in c.extra if k not in extra_keys)
        extra_cols = {k: [c.extra.get(k) for c in rows] for k in extra_keys}
        # what the (first) trained objective's evaluator recorded: epochs, ACT stop, momentum
        for key, column in _fact_columns([facts.get((c.archid, c.budget_key), {}) for c in rows]).items():
            extra_cols.setdefault(key, column)
        results.add_iteration_results(models, objective_values, extra_cols,
                                      walltime_hours=[c.walltime_hours for c in rows])
    return results


def with_training_facts(state: Any, results: SearchResults, evaluations: List[Any]) -> Any:
    """The search-state table with a column per training fact some row has (epochs trained, ACT
    stop, momentum, Ray node: ``nas_kernel.training_facts``), read from the evaluations of the
    first expensive objective, before ``iteration_num``."""
    facts = _trained_facts(evaluations, _expensive_names(results.objectives))
    if not facts or state.empty:
        return state
    budgets = state["budget"] if "budget" in state.columns else [None] * len(state)
    found = [facts.get((archid, budget_key(None if _missing(b) else b)), {})
             for archid, b in zip(state["archid"], budgets)]
    position = list(state.columns).index("iteration_num")
    for key, column in _fact_columns(found).items():
        if key not in state.columns:
            state.insert(position, key, column)
            position += 1
    return state


def _trained_facts(evaluations: Iterable[Any], trained: List[str]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """``(archid, budget key) -> training facts`` of the first trained objective's evaluations
    (rows that start ``(objective, archid, budget, evaluation)``): what its evaluator recorded
    about itself (epochs, ACT stop, momentum, Ray node)."""
    if not trained:
        return {}
    return {(archid, budget_key(budget)): training_facts(ev.metadata)
            for name, archid, budget, ev, *_ in evaluations if name == trained[0] and ev.metadata}


def _fact_columns(found: List[Dict[str, Any]]) -> Dict[str, List[Any]]:
    """One column per training fact that some row has, in ``FACTS`` order."""
    return {key: [f.get(key) for f in found] for key in FACTS if any(key in f for f in found)}


def _expensive_names(objectives: Any) -> List[str]:
    names = getattr(objectives, "expensive_objective_names", None)
    if names is not None:
        return list(names)
    return [n for n in objectives.objective_names if objectives.is_expensive(n)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class RunSummary:
    """The counts ``nas results show`` prints above its table."""

    describe: str
    evaluations: int
    failed: int
    models: int
    failures: List[Dict[str, Any]]


def run_summary(output_dir: str) -> RunSummary:
    """Evaluations stored, failed, distinct models evaluated and every failure (``StoreError``
    when there is no store)."""
    store = open_store(output_dir)
    try:
        models = store.conn.execute("SELECT COUNT(DISTINCT archid) FROM evaluations").fetchone()[0]
        return RunSummary(store.get_meta("describe") or "", store.count_evaluations(),
                          store.count_evaluations("failed"), models, store.failures())
    finally:
        store.close()


# ---- rows for a live view (trackers, the dashboard) --------------------------------------------
def candidate_evaluations(output_dir: str, *, start: int = 0, through_iteration: Optional[int] = None
                          ) -> List[Tuple[int, str, str, List[tuple]]]:
    """The candidates from the ``start``-th on (in (iteration, position) order) up to the store's
    0-based ``through_iteration`` (None: all), each as ``(iteration, archid, budget key, rows)``
    with its evaluation rows ``(objective, budget key, budget, value, status, error, seconds)``:
    those of its own budget and the budget-less ones, its own budget's first."""
    conn = connect(output_dir)
    try:
        limit = "" if through_iteration is None else "WHERE iteration <= ?"
        args: Tuple[Any, ...] = () if through_iteration is None else (through_iteration,)
        rows = conn.execute(f"SELECT iteration, archid, budget_key FROM candidates {limit} "
                            "ORDER BY iteration, position LIMIT -1 OFFSET ?", args + (int(start),)).fetchall()
        out = []
        for iteration, archid, bkey in rows:
            evaluations = conn.execute(
                "SELECT objective, budget_key, budget, value, status, error, seconds FROM evaluations "
                "WHERE archid=? AND budget_key IN (?, '')", (archid, bkey)).fetchall()
            out.append((iteration, archid, bkey, sorted(evaluations, key=lambda r: r[1] != bkey)))
        return out
    finally:
        conn.close()


def overview_rows(conn: sqlite3.Connection) -> Dict[str, Any]:
    """The store at a glance: ``meta`` (every key), ``counts`` (evaluations per status), the
    first and last evaluation times, ``cursor`` (the last evaluation's rowid), ``iterations``
    and ``models`` (stored candidates) and ``current`` (the newest evaluation's iteration)."""
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    counts = dict(conn.execute("SELECT status, COUNT(*) FROM evaluations GROUP BY status").fetchall())
    first, last, cursor = conn.execute("SELECT MIN(created), MAX(created), MAX(rowid) FROM evaluations").fetchone()
    iterations, models = conn.execute("SELECT COUNT(DISTINCT iteration), COUNT(*) FROM candidates").fetchone()
    current = conn.execute("SELECT MAX(iteration) FROM evaluations").fetchone()[0]
    return {"meta": meta, "counts": counts, "first": first, "last": last, "cursor": cursor,
            "iterations": iterations, "models": models, "current": current}


#: the columns of ``evaluation_rows``, in order
EVALUATION_ROW = ("id", "objective", "archid", "budget_key", "budget", "value", "status", "error", "seconds",
                  "iteration", "created", "metadata")


def evaluation_rows(conn: sqlite3.Connection, since: int, limit: int) -> Tuple[bool, List[tuple]]:
    """``(reset, up to limit rows with rowid >= since)``, rows as ``EVALUATION_ROW``. A cursor
    past the last row means the store shrank (it was recreated under the reader): the rows then
    start over from the first, and ``reset`` is True."""
    top = conn.execute("SELECT MAX(rowid) FROM evaluations").fetchone()[0] or 0
    reset = since > top
    rows = conn.execute(
        "SELECT rowid, objective, archid, budget_key, budget, value, status, error, seconds, iteration, created, "
        "metadata FROM evaluations WHERE rowid >= ? ORDER BY rowid LIMIT ?", (0 if reset else since, limit)).fetchall()
    return reset, rows


def candidate_rows(conn: sqlite3.Connection, since: int) -> List[tuple]:
    """Candidate rows of iterations >= ``since``: ``(iteration, position, archid, budget key,
    extra JSON, walltime hours)``."""
    return conn.execute(
        "SELECT iteration, position, archid, budget_key, extra, walltime_hours FROM candidates "
        "WHERE iteration >= ? ORDER BY iteration, position", (since,)).fetchall()


def archid_rows(conn: sqlite3.Connection, archid: str) -> Tuple[List[tuple], List[tuple], Dict[str, str]]:
    """Everything stored about one archid: its evaluations ``(objective, budget key, budget,
    value, status, error, seconds, metadata JSON, iteration, created)`` in write order, its
    candidate rows ``(iteration, position, budget key, extra JSON)``, and every candidate's
    newest ``extra`` JSON by archid (where lineage is recorded)."""
    evals = conn.execute(
        "SELECT objective, budget_key, budget, value, status, error, seconds, metadata, iteration, created "
        "FROM evaluations WHERE archid=? ORDER BY rowid", (archid,)).fetchall()
    cands = conn.execute(
        "SELECT iteration, position, budget_key, extra FROM candidates WHERE archid=? ORDER BY iteration",
        (archid,)).fetchall()
    extras = dict(conn.execute("SELECT archid, extra FROM candidates ORDER BY iteration DESC").fetchall())
    return evals, cands, extras


def _json(text: Optional[str]) -> Dict[str, Any]:
    return json.loads(text) if text else {}
