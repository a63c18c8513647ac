"""One run directory, one writer, from Python: an earlier run is moved aside (never deleted or
mixed), a live holder refuses, the run context drives every searcher, and readers see the state."""
import os
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from overrides import overrides

from nas_kernel import SearchObjectives, SearchResults, Searcher
from nas_kernel.run_context import RunContext
from nas_kernel.run_files import EARLIER_RUNS
from nas_kernel.run_session import RunSession, run_searcher
from nas_kernel.runstate import STALE_AFTER_S, RunDirectoryBusy, read_run_state
from nas_kernel.store import Store, StoreError
from toy import Distance, Size, ToyRandom, ToySpace


def objectives(distance=None):
    so = SearchObjectives()
    so.add_objective("distance", distance or Distance(), higher_is_better=False)
    so.add_objective("size", Size(), higher_is_better=True, compute_intensive=False)
    return so


def toy_search(out, seed, **settings):
    searcher = ToyRandom(ToySpace(seed=seed), objectives(), str(out), num_iters=2, seed=seed)
    searcher.progress = False
    for key, value in settings.items():
        setattr(searcher, key, value)
    return searcher.search()


def evaluations(db):
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT objective, archid, value FROM evaluations").fetchall())


def state(out):
    return pd.read_csv(out / "search_state.csv").drop(columns=["search_walltime_hours"])


def test_a_second_python_search_moves_the_earlier_run_aside_and_keeps_it_whole(tmp_path, capsys):
    out = tmp_path / "run"
    toy_search(out, seed=1)
    first_evals, first_state = evaluations(out / "results.db"), state(out)
    assert read_run_state(str(out)).state == "finished"

    toy_search(out, seed=2)  # Archai starts a new search in the same output_dir; so do we
    kept = sorted((out / EARLIER_RUNS).iterdir())
    assert len(kept) == 1
    assert f"moved it to {kept[0]}" in capsys.readouterr().err
    assert evaluations(kept[0] / "results.db") == first_evals  # the earlier run, whole
    assert state(kept[0]).equals(first_state)
    toy_search(tmp_path / "fresh", seed=2)
    assert state(out).equals(state(tmp_path / "fresh"))  # the new run, not mixed with the old one
    assert evaluations(out / "results.db") == evaluations(tmp_path / "fresh" / "results.db")

    toy_search(out, seed=3)
    assert len(list((out / EARLIER_RUNS).iterdir())) == 2  # every earlier run is kept
    assert evaluations(kept[0] / "results.db") == first_evals


def test_resume_from_python_continues_instead_of_moving_aside(tmp_path):
    out = tmp_path / "run"
    toy_search(out, seed=1)
    before = evaluations(out / "results.db")
    toy_search(out, seed=1, resume=True)
    assert not (out / EARLIER_RUNS).exists() and evaluations(out / "results.db") == before


def test_the_cli_rule_refuses_an_earlier_run_and_touches_nothing(tmp_path):
    out = tmp_path / "run"
    toy_search(out, seed=1)
    files = lambda: sorted(n for n in os.listdir(out) if not n.endswith(("-wal", "-shm")))  # noqa: E731
    names, before = files(), evaluations(out / "results.db")
    searcher = ToyRandom(ToySpace(seed=1), objectives(), str(out), num_iters=2, seed=1)
    with pytest.raises(StoreError, match="already holds a search"):
        searcher.search(run=RunContext(progress=False, earlier_run="refuse"))
    assert files() == names and evaluations(out / "results.db") == before


HOLD = """
import sys, time
from nas_kernel.run_context import RunContext
from nas_kernel.run_session import RunSession
session = RunSession(sys.argv[1], RunContext(resume=True), fingerprint=sys.argv[2])
session.open()
print("held", flush=True)
time.sleep(120)
"""


def test_a_live_holder_refuses_python_searches_and_is_never_moved_aside(tmp_path):
    out = tmp_path / "run"
    toy_search(out, seed=1)
    from nas_kernel.store import Store

    store = Store(str(out / "results.db"), readonly=True)
    fingerprint = store.get_meta("fingerprint")
    store.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out), fingerprint], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        running = read_run_state(str(out))
        assert running.state == "running" and running.pid == holder.pid and running.heartbeat_age_s < STALE_AFTER_S
        for settings in ({}, {"resume": True}):
            with pytest.raises(RunDirectoryBusy, match=f"pid {holder.pid} on "):
                toy_search(out, seed=1, **settings)
        assert not (out / EARLIER_RUNS).exists()
    finally:
        holder.kill()
        holder.wait()
    assert read_run_state(str(out)).state == "stale"  # killed: the pid is gone at once
    toy_search(out, seed=1, resume=True)  # and the lock went with the process
    assert read_run_state(str(out)).state == "finished"


def test_heartbeat_age_tells_running_from_stale(tmp_path):
    session = RunSession(str(tmp_path), RunContext(), fingerprint="f")
    session.open()
    try:
        now = read_run_state(str(tmp_path))
        assert now.state == "running" and now.pid == os.getpid() and now.heartbeat_age_s < 5
        later = read_run_state(str(tmp_path), now=time.time() + STALE_AFTER_S + 5)
        assert later.state == "stale" and "--resume" in later.describe()
    finally:
        session.close("stopped")
    ended = read_run_state(str(tmp_path))
    assert ended.state == "stopped" and ended.ended_at >= ended.started_at


def test_reading_the_state_writes_nothing_and_needs_no_store(tmp_path):
    assert read_run_state(str(tmp_path / "missing")).state == "unknown"
    toy_search(tmp_path / "run", seed=1)
    db = tmp_path / "run" / "results.db"
    before = (db.stat().st_mtime_ns, db.read_bytes())
    files = sorted(os.listdir(tmp_path / "run"))
    assert read_run_state(str(tmp_path / "run")).state == "finished"
    assert Store(str(db), readonly=True).count_evaluations() > 0
    assert (db.stat().st_mtime_ns, db.read_bytes()) == before
    assert sorted(os.listdir(tmp_path / "run")) == files  # no -wal/-shm side files for a reader


class PlainSearcher(Searcher):
    """A searcher written on the bare Archai ``Searcher`` contract (its own loop, no kernel loop)."""

    def __init__(self, search_space, objectives, output_dir, num_iters=3, seed=1):
        super().__init__()
        self.space, self.objectives, self.output_dir, self.num_iters = search_space, objectives, output_dir, num_iters

    @overrides
    def search(self):
        results = SearchResults(self.space, self.objectives)
        for i in range(1, self.num_iters + 1):
            self.on_start_iteration(i)
            models = [self.space.random_sample() for _ in range(4)]
            results.add_iteration_results(models, self.objectives.eval_all_objs(models, progress_bar=True))
        return results


def test_a_plain_searcher_honours_resume_and_quiet_through_the_run_context(tmp_path, capsys):
    out = str(tmp_path / "plain")
    distance = Distance()
    so = objectives(distance)
    first = run_searcher(PlainSearcher(ToySpace(seed=4), so, out), RunContext(progress=False), objectives=so)
    assert "evaluating" not in capsys.readouterr().err  # -q reaches the evaluation bars
    calls = distance.calls
    assert calls == 12 and state(tmp_path / "plain")["archid"].tolist() == [
        a for entry in first.results for a in entry["archid"]]
    assert read_run_state(out).state == "finished"

    again = Distance()
    so2 = objectives(again)
    run_searcher(PlainSearcher(ToySpace(seed=4), so2, out), RunContext(progress=False, resume=True), objectives=so2)
    assert again.calls == 0  # resumed: every evaluation came back from the store
    with pytest.raises(StoreError, match="already holds a search"):
        run_searcher(PlainSearcher(ToySpace(seed=4), so2, out), RunContext(progress=False, earlier_run="refuse"),
                     objectives=so2)


def test_each_evaluation_is_stored_with_the_iteration_that_evaluated_it(tmp_path):
    toy_search(tmp_path / "run", seed=1)
    with sqlite3.connect(tmp_path / "run" / "results.db") as conn:
        evaluated = dict(conn.execute("SELECT archid, MIN(iteration) FROM evaluations GROUP BY archid").fetchall())
        proposed = dict(conn.execute("SELECT archid, MIN(iteration) FROM candidates GROUP BY archid").fetchall())
    assert evaluated == proposed and set(evaluated.values()) == {0, 1}  # the store counts from 0


def test_the_exports_written_from_the_loop_equal_what_the_store_reader_rebuilds(tmp_path):
    """The exports come from the loop's one results object; ``nas results`` rebuilds its own from
    the store. Both must tell the same search, byte for byte."""
    from nas_kernel.store_reader import load_results

    out = tmp_path / "run"
    toy_search(out, seed=3)
    rebuilt = tmp_path / "rebuilt.csv"
    load_results(str(out)).save_search_state(str(rebuilt))
    assert rebuilt.read_bytes() == (out / "search_state.csv").read_bytes()
    assert len(pd.read_csv(rebuilt)) > 0


def test_a_store_killed_before_its_tables_resumes_from_nothing(tmp_path):
    """A writer killed between creating ``results.db`` and its tables leaves an empty database:
    it holds nothing, and ``resume`` starts the search there instead of refusing the file."""
    out = tmp_path / "run"
    out.mkdir()
    sqlite3.connect(out / "results.db").execute("PRAGMA journal_mode=WAL").close()
    empty = Store(str(out / "results.db"), readonly=True)
    assert not empty.has_schema()
    empty.close()
    toy_search(out, seed=3, resume=True)
    toy_search(tmp_path / "straight", seed=3)
    assert evaluations(out / "results.db") == evaluations(tmp_path / "straight" / "results.db") != []
