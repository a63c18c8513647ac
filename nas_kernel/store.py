"""The durable results store: one SQLite database (WAL) per output directory.

The driver process is the only writer (``nas_kernel.runstate`` holds the directory for it;
``nas_kernel.run_session`` opens the store for a search). Every evaluation is committed as it finishes, keyed by
(objective, archid, budget), so a run killed at any instant loses at most what was in flight.
Readers (``nas results show``, the dashboard, trackers) open it read-only through
``nas_kernel.store_reader`` and never block the writer.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

from nas_kernel.api.evaluation import Evaluation, budget_key
from nas_kernel.run_files import RESULTS_DB

__all__ = ["SCHEMA_VERSION", "Store", "StoreError", "check_resumable", "connect_read_only", "db_path", "preflight",
           "store_describe"]

SCHEMA_VERSION = "1"

# one transaction: a process killed while creating the store leaves every table or none
_SCHEMA = """
BEGIN;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (
    objective TEXT NOT NULL, archid TEXT NOT NULL, budget_key TEXT NOT NULL, budget REAL,
    value REAL, status TEXT NOT NULL, error TEXT, seconds REAL NOT NULL, metadata TEXT NOT NULL,
    iteration INTEGER, created REAL NOT NULL,
    PRIMARY KEY (objective, archid, budget_key));
CREATE TABLE IF NOT EXISTS candidates (
    iteration INTEGER NOT NULL, position INTEGER NOT NULL, archid TEXT NOT NULL,
    budget_key TEXT NOT NULL, extra TEXT NOT NULL, walltime_hours REAL NOT NULL,
    PRIMARY KEY (iteration, position));
COMMIT;
"""


class StoreError(Exception):
    """The output directory's store cannot be used as asked (exists, missing, or mismatched)."""


def db_path(output_dir: str) -> str:
    return os.path.join(output_dir, RESULTS_DB)


def check_resumable(output_dir: str) -> None:
    """``StoreError`` unless ``output_dir`` holds a store that ``--resume`` could continue: the
    one "nothing to resume" check (``RunSession`` runs it before taking the lock, so a mistyped
    directory is not created; ``preflight`` again under it)."""
    path = db_path(output_dir)
    if not os.path.exists(path):
        raise StoreError(f"nothing to resume: {path} does not exist")


def connect_read_only(path: str, *, timeout: float = 30, check_same_thread: bool = True) -> sqlite3.Connection:
    """A reader's connection that never writes into the run directory: ``mode=ro``, and with no
    ``-wal`` file beside the store (no writer has it open; a WAL writer always has one)
    ``immutable=1`` too, so SQLite does not create ``-wal``/``-shm`` side files for the reader."""
    from urllib.parse import quote

    uri = "file:" + quote(os.path.abspath(path)) + "?mode=ro"
    if not os.path.exists(path + "-wal"):
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=check_same_thread)


class Store:
    """Read/write access to ``OUTPUT_DIR/results.db``."""

    def __init__(self, path: str, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        if readonly:
            if not os.path.exists(path):
                raise StoreError(f"no results store at {path}")
            self.conn = connect_read_only(path)
        else:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing committed
            self.conn.executescript(_SCHEMA)

    def has_schema(self) -> bool:
        """False for a database file whose tables were never created (a writer killed right after
        creating the file): it holds nothing yet."""
        return self.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='meta'").fetchone()[0] > 0

    # ---- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str) -> Optional[str]:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def get_json(self, key: str, default: Any = None) -> Any:
        text = self.get_meta(key)
        return default if text is None else json.loads(text)

    def set_json(self, key: str, value: Any) -> None:
        self.set_meta(key, json.dumps(value, sort_keys=True))

    # ---- evaluations -----------------------------------------------------------------------
    def record_evaluation(self, objective: str, archid: str, budget: Optional[float], ev: Evaluation,
                          iteration: Optional[int] = None) -> None:
        """Commit one finished evaluation (autocommit: durable when this returns); ``iteration``
        is the store's 0-based index of the iteration that evaluated it."""
        self.conn.execute(
            "INSERT OR REPLACE INTO evaluations VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (objective, archid, budget_key(budget), budget, ev.value, ev.status, ev.error, ev.seconds,
             json.dumps(ev.metadata, sort_keys=True) if ev.metadata else "{}", iteration, time.time()),
        )

    def evaluations(self) -> Iterator[Tuple[str, str, Optional[float], Evaluation]]:
        for objective, archid, budget, value, status, error, seconds, meta in self.conn.execute(
            "SELECT objective, archid, budget, value, status, error, seconds, metadata FROM evaluations"
        ):
            yield objective, archid, budget, Evaluation(value, status, error, seconds, json.loads(meta))

    def count_evaluations(self, status: Optional[str] = None) -> int:
        if status is None:
            return self.conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM evaluations WHERE status=?", (status,)).fetchone()[0]

    def failures(self) -> List[Dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT objective, archid, budget, error, iteration FROM evaluations WHERE status='failed' "
            "ORDER BY created")
        return [dict(zip(("objective", "archid", "budget", "error", "iteration"), r)) for r in rows]

    # ---- candidates (the per-iteration rows of the search state) ---------------------------
    def record_iteration(self, iteration: int, archids: List[str], budgets: List[Optional[float]],
                         extra: List[Dict[str, Any]], walltimes: List[float]) -> None:
        with self.conn:  # one transaction: an iteration's rows appear together or not at all
            self.conn.execute("BEGIN")
            self.conn.execute("DELETE FROM candidates WHERE iteration=?", (iteration,))
            self.conn.executemany(
                "INSERT INTO candidates VALUES (?,?,?,?,?,?)",
                [(iteration, i, a, budget_key(b), json.dumps(e, sort_keys=True, default=_plain), w)
                 for i, (a, b, e, w) in enumerate(zip(archids, budgets, extra, walltimes))],
            )

    def iteration_walltimes(self, iteration: int) -> Optional[List[float]]:
        rows = self.conn.execute(
            "SELECT walltime_hours FROM candidates WHERE iteration=? ORDER BY position", (iteration,)).fetchall()
        return [r[0] for r in rows] or None

    def max_walltime(self) -> float:
        row = self.conn.execute("SELECT MAX(walltime_hours) FROM candidates").fetchone()
        return float(row[0] or 0.0)

    def candidates(self) -> List[Tuple[int, str, str, Dict[str, Any], float]]:
        return [
            (it, archid, bkey, json.loads(extra), wall)
            for it, archid, bkey, extra, wall in self.conn.execute(
                "SELECT iteration, archid, budget_key, extra, walltime_hours FROM candidates "
                "ORDER BY iteration, position")
        ]

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        self.conn.close()


def preflight(output_dir: str, fingerprint: str, *, resume: bool, earlier_run: str = "refuse") -> bool:
    """The one check before a search writes ``output_dir`` (run by ``RunSession`` under the run
    lock); it writes nothing. With ``resume`` the store must exist and come from the same
    experiment. Without it, an earlier run (stored evaluations, or another experiment's store) is
    refused (``earlier_run="refuse"``, the CLI) or reported by returning True so the caller moves
    it aside (``"move_aside"``, the Python API)."""
    path = db_path(output_dir)
    if resume:
        check_resumable(output_dir)
    elif not os.path.exists(path):
        return False
    try:
        probe = Store(path, readonly=True)
        try:
            has_meta = probe.has_schema()
            stored = probe.get_meta("fingerprint") if has_meta else None
            count = probe.count_evaluations() if has_meta else 0
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a results store ({exc}); refusing to touch it") from None
    other = stored is not None and stored != fingerprint
    if not resume and (count or other) and earlier_run == "move_aside":
        return True
    if not resume and count:
        raise StoreError(
            f"{output_dir} already holds a search ({count} evaluations). "
            "Use --resume to continue it, or choose another output directory with -o.")
    if other:
        raise StoreError(
            f"the store in {output_dir} was written by a different experiment "
            f"({store_describe(path)}); refusing to mix results. Use another output directory.")
    return False


def store_describe(path: str) -> str:
    try:
        store = Store(path, readonly=True)
        try:
            return store.get_meta("describe") or "unknown experiment"
        finally:
            store.close()
    except (StoreError, sqlite3.Error):
        return "unreadable"


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars and other simple objects in searcher columns."""
    from nas_kernel.jsonable import plain

    return plain(value)
