"""One writer per run directory, and what a reader can tell about the run in it.

The writer (a running search) holds ``OUTPUT_DIR/run.lock`` with ``fcntl.flock``: the operating
system releases that lock when the process ends, however it ends (kill -9 included), so a dead
holder never blocks the next search. The lock file also names the holder (pid, host, start time)
for the refusal message. The writer also keeps a heartbeat row in the store's ``meta`` table
fresh from a background thread; readers on any machine use it (and, on the same host, whether
the pid still lives) to tell a live run from a stale one without touching the lock.

``read_run_state(output_dir)`` opens the store read-only (``mode=ro``): it never writes, never
takes a lock and is never blocked by the writer (SQLite WAL readers are not).
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Optional

from nas_kernel.run_files import RUN_LOCK
from nas_kernel.store import StoreError
from nas_kernel.store_reader import read_meta

__all__ = ["HEARTBEAT_S", "RUN_STATUSES", "STALE_AFTER_S", "Heartbeat", "RunDirectoryBusy", "RunLock",
           "RunState", "pid_alive", "read_run_state", "this_host"]

#: seconds between two heartbeats of a running search
HEARTBEAT_S = 2.0
#: a "running" run whose heartbeat is older than this is stale (its writer is gone)
STALE_AFTER_S = 20.0

# what the run's owner (``RunSession``) writes as meta "status" -> the state a reader reports
_STATUS_STATE = {"running": "running", "finished": "finished", "failed": "failed",
                 "stopped": "stopped", "interrupted": "stopped"}
#: the statuses a run records, and the only ones its owner writes
RUN_STATUSES = tuple(_STATUS_STATE)


class RunDirectoryBusy(StoreError):
    """Another live process is writing this run directory."""


@dataclass(frozen=True)
class RunState:
    """What a reader can tell about the run in a directory (see ``read_run_state``)."""

    state: str
    pid: Optional[int] = None
    host: Optional[str] = None
    heartbeat_age_s: Optional[float] = None
    started_at: Optional[float] = None
    ended_at: Optional[float] = None

    def describe(self) -> str:
        """One phrase, e.g. ``running (heartbeat 1.2 s ago, pid 4242 on box)``."""
        who = f"pid {self.pid} on {self.host}" if self.pid else ""
        if self.state == "running":
            age = "" if self.heartbeat_age_s is None else f"heartbeat {self.heartbeat_age_s:.1f} s ago"
            inner = ", ".join(p for p in (age, who) if p)
        elif self.state == "stale":
            age = "" if self.heartbeat_age_s is None else f"last heartbeat {self.heartbeat_age_s:.0f} s ago"
            inner = ", ".join(p for p in ("its writer is gone" + (f" ({who})" if who else ""), age) if p)
            inner += "; continue it with --resume"
        else:
            inner = ""
            if self.ended_at:
                inner = "ended " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.ended_at))
        return f"{self.state} ({inner})" if inner else self.state


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs on this host (a zombie, killed but not yet reaped, counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _float(text: Optional[str]) -> Optional[float]:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def read_run_state(output_dir: str, *, now: Optional[float] = None) -> RunState:
    """The state of the run in ``output_dir``: running, finished, stopped, failed, stale (its
    store says running but the writer is gone: no heartbeat for ``STALE_AFTER_S`` seconds, or
    its pid is dead on this host) or unknown (no store, or not one this kernel wrote)."""
    try:
        meta = read_meta(output_dir, timeout=2)
    except sqlite3.Error:
        meta = None
    if not meta:
        return RunState("unknown")
    now = time.time() if now is None else now
    pid_text = meta.get("pid")
    pid = int(pid_text) if pid_text and pid_text.isdigit() else None
    host = meta.get("host")
    beat = _float(meta.get("heartbeat"))
    age = None if beat is None else max(0.0, now - beat)
    state = _STATUS_STATE.get(meta.get("status") or "", "unknown")
    if state == "running":
        gone = (age is not None and age > STALE_AFTER_S) or (
            pid is not None and host == this_host() and not pid_alive(pid))
        if gone or (age is None and pid is None):
            state = "stale"
    return RunState(state, pid, host, age, _float(meta.get("started_at")), _float(meta.get("ended_at")))


class RunLock:
    """The single-writer lock on a run directory (``OUTPUT_DIR/run.lock``, flock)."""

    def __init__(self, output_dir: str) -> None:
        self.output_dir = str(output_dir)
        self.path = os.path.join(self.output_dir, RUN_LOCK)
        self._file = None

    def acquire(self) -> "RunLock":
        """Take the lock or raise ``RunDirectoryBusy`` naming the live holder; never waits."""
        os.makedirs(self.output_dir, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = _holder_text(f.read())
            f.close()
            raise RunDirectoryBusy(_busy_message(self.output_dir, holder)) from None
        except BaseException:
            f.close()
            raise
        # a live writer on another machine (shared filesystem without flock) keeps its heartbeat fresh
        state = read_run_state(self.output_dir)
        if state.state == "running" and state.host and state.host != this_host():
            f.close()
            raise RunDirectoryBusy(_busy_message(self.output_dir, f"pid {state.pid} on {state.host}"))
        f.seek(0)
        f.truncate()
        f.write(json.dumps({"pid": os.getpid(), "host": this_host(), "started_at": time.time()}))
        f.flush()
        self._file = f
        return self

    def release(self) -> None:
        if self._file is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _holder_text(text: str) -> str:
    try:
        info = json.loads(text)
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["started_at"])))
        return f"pid {int(info['pid'])} on {info['host']}, started {started}"
    except (ValueError, KeyError, TypeError):
        return "another process"


def _busy_message(output_dir: str, holder: str) -> str:
    return (f"{output_dir} is held by a running search ({holder}). Only one search may write a run "
            f"directory: wait for it to finish (`nas results show {output_dir}` shows its progress), "
            "or stop it and continue it with --resume, or choose another output directory with -o.")


class Heartbeat:
    """Refreshes meta ``heartbeat`` every ``interval`` seconds from a daemon thread, on its own
    connection, while a search runs; a missed beat (database busy) is retried at the next one."""

    def __init__(self, db_file: str, interval: float = HEARTBEAT_S) -> None:
        self.db_file = db_file
        self.interval = float(interval)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "Heartbeat":
        self.beat()
        self._thread = threading.Thread(target=self._run, name="nas-heartbeat", daemon=True)
        self._thread.start()
        return self

    def beat(self, conn: Optional[sqlite3.Connection] = None) -> None:
        own = conn is None
        conn = conn or sqlite3.connect(self.db_file, timeout=5, isolation_level=None)
        try:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('heartbeat', ?)", (repr(time.time()),))
        finally:
            if own:
                conn.close()

    def _run(self) -> None:
        conn = sqlite3.connect(self.db_file, timeout=5, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat(conn)
                except sqlite3.Error:
                    pass
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
