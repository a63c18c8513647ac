"""The run directories a dashboard serves: checked once at start, then opened read-only per request.

A fresh read-only connection per request (``file:...?mode=ro``) is what keeps the dashboard
harmless to a running search (WAL readers never block the writer) and correct across a finish,
a kill or a resume (nothing is cached that the writer could make stale). Runs are addressed by
their index in the command line, so no URL ever names a path.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, List

from nas_kernel.run_files import RESULTS_DB
from nas_kernel.store_reader import connect, read_meta


class RunDirError(ValueError):
    """A directory given to ``nas results serve`` is not a readable run directory."""


@dataclass(frozen=True)
class Run:
    index: int
    path: str  # absolute

    @property
    def name(self) -> str:
        return os.path.basename(self.path.rstrip(os.sep)) or self.path

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """The kernel's reader connection to the run's store (never writes into DIR), shareable
        with the server's threads, closed when the block ends."""
        conn = connect(self.path, timeout=5, check_same_thread=False)
        try:
            yield conn
        finally:
            conn.close()


def check_run_dir(directory: str) -> str:
    """The absolute path of ``directory`` if it holds a results store with a search in it;
    otherwise a ``RunDirError`` saying what is wrong, in one line."""
    path = os.path.abspath(directory)
    if not os.path.isdir(path):
        raise RunDirError(f"{directory}: no such directory")
    if not os.path.isfile(os.path.join(path, RESULTS_DB)):
        raise RunDirError(f"{directory}: not a run directory (no {RESULTS_DB}; run `nas search -o {directory}` first)")
    try:
        meta = read_meta(path, timeout=5)
    except sqlite3.Error as exc:
        raise RunDirError(f"{directory}: {RESULTS_DB} is not a results store ({exc})") from None
    if "objectives" not in (meta or {}):
        raise RunDirError(f"{directory}: {RESULTS_DB} holds no search yet")
    return path


def open_runs(directories: List[str]) -> List[Run]:
    """Check every directory; the first bad one raises. The same directory twice is one run."""
    runs: List[Run] = []
    seen = set()
    for directory in directories:
        path = check_run_dir(directory)
        if path in seen:
            continue
        seen.add(path)
        runs.append(Run(len(runs), path))
    return runs
