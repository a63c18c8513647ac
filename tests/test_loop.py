"""The kernel loop: hooks, dedup before build, constraints, failures, store, resume."""
import sqlite3

import pandas as pd
import pytest
from overrides import overrides

from nas_kernel import SearchObjectives, StopSearch, hookimpl
from nas_kernel.loop import IterativeSearcher, Proposal, SearchFailed
from nas_kernel.run_context import RunContext
from nas_kernel.store import StoreError
from toy import AsyncDistance, Distance, Size, ToyEvolution, ToyRandom, ToySpace, _model


def objectives(distance=None, constraint=(0, 9000)):
    so = SearchObjectives()
    so.add_objective("distance", distance or Distance(), higher_is_better=False)
    so.add_objective("size", Size(), higher_is_better=True, compute_intensive=False, constraint=constraint)
    return so


def run(searcher_cls, out, seed=1, **kwargs):
    searcher = searcher_cls(ToySpace(seed=seed), kwargs.pop("so", None) or objectives(), str(out), seed=seed, **kwargs)
    searcher.progress = False
    return searcher, searcher.search()


def state(out):
    return pd.read_csv(out / "search_state.csv").drop(columns=["search_walltime_hours"])


def test_hooks_and_callbacks_fire_every_iteration_with_one_based_numbers(tmp_path, toy_manager):
    events = []

    class Recorder:
        @hookimpl
        def on_search_start(self, searcher):
            events.append("start")

        @hookimpl
        def on_start_iteration(self, searcher, iteration):
            events.append(("it", iteration))

        @hookimpl
        def on_iteration_end(self, iteration, models, results):
            events.append(("end", iteration, len(models), sorted(results)))

        @hookimpl
        def on_search_end(self, results):
            events.append(("done", results.iteration_num))

    toy_manager.register(Recorder(), name="recorder")
    searcher = ToyRandom(ToySpace(), objectives(), str(tmp_path), num_iters=3, samples_per_iter=4)
    searcher.progress = False
    searcher.plugin_manager = toy_manager
    callbacks = []
    searcher.subscribe_start_iteration(callbacks.append)
    searcher.search()
    assert callbacks == [1, 2, 3]
    assert events[0] == "start" and events[-1] == ("done", 3)
    assert [e for e in events if e[0] == "it"] == [("it", 1), ("it", 2), ("it", 3)]
    assert ("end", 2, 4, ["distance", "size"]) in events


def test_same_seed_same_search_and_other_seed_differs(tmp_path):
    run(ToyEvolution, tmp_path / "a", seed=5)
    run(ToyEvolution, tmp_path / "b", seed=5)
    run(ToyEvolution, tmp_path / "c", seed=6)
    assert state(tmp_path / "a").equals(state(tmp_path / "b"))
    assert not state(tmp_path / "a").equals(state(tmp_path / "c"))


def test_exports_are_written_from_the_store(tmp_path):
    out = tmp_path / "run"
    _, results = run(ToyEvolution, out)
    names = {p.name for p in out.iterdir()}
    assert {"results.db", "search_state.csv", "pareto.json", "evaluations.yaml", "plots", "pareto_models"} <= names
    df = state(out)
    assert list(df.columns) == ["archid", "distance", "size", "parent", "iteration_num", "is_pareto"]
    assert df["is_pareto"].sum() == len(results.get_pareto_frontier()["models"])
    with sqlite3.connect(out / "results.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM evaluations WHERE objective='distance'").fetchone()[0] == len(df)


class Repeater(IterativeSearcher):
    """Proposes the same archids every iteration, plus one new one: dedup must drop the old."""

    def __init__(self, search_space, search_objectives, output_dir, num_iters=3, seed=1):
        super().__init__(search_space, search_objectives, output_dir, num_iters=num_iters, seed=seed)
        self.builds = 0

    def make(self, x):
        def build():
            self.builds += 1
            return {"x": x}
        from nas_kernel import ArchaiModel
        return ArchaiModel(None, f"x{x}", builder=build)

    @overrides
    def propose(self, iteration):
        return [self.make(1), self.make(2), self.make(100 + iteration)]


def test_seen_candidates_are_dropped_before_their_module_is_built(tmp_path):
    so = SearchObjectives()
    so.add_objective("distance", Distance(), higher_is_better=False)
    searcher = Repeater(ToySpace(), so, str(tmp_path))
    searcher.progress = False
    results = searcher.search()
    assert [len(r["archid"]) for r in results.results] == [3, 1, 1]
    assert searcher.builds == 0  # the toy evaluator needs only the archid: nothing was built


def test_constraints_rejecting_everything_stop_with_a_message_not_a_loop(tmp_path):
    searcher = ToyRandom(ToySpace(), objectives(constraint=(-2, -1)), str(tmp_path), num_iters=50)
    searcher.progress = False
    searcher.sampling_patience = 5
    with pytest.raises(SearchFailed, match="no candidate could be evaluated"):
        searcher.search()


def test_failed_evaluations_are_stored_and_max_failures_stops_the_search(tmp_path):
    searcher, results = run(ToyRandom, tmp_path / "a", so=objectives(Distance(fail_every=3)), num_iters=3)
    df = pd.read_csv(tmp_path / "a" / "search_state.csv")
    failed = df[df["archid"].str[1:].astype(int) % 3 == 0]
    assert len(failed) and failed["distance"].isna().all() and not failed["is_pareto"].any()
    with sqlite3.connect(tmp_path / "a" / "results.db") as conn:
        errors = [r[0] for r in conn.execute("SELECT error FROM evaluations WHERE status='failed'")]
    assert errors and all("toy failure" in e for e in errors)

    searcher = ToyRandom(ToySpace(), objectives(Distance(fail_every=1)), str(tmp_path / "b"), num_iters=5)
    searcher.progress = False
    searcher.max_failures = 3
    with pytest.raises(SearchFailed, match="evaluations failed"):
        searcher.search()


def test_async_evaluators_are_batched_per_iteration(tmp_path):
    so = SearchObjectives()
    evaluator = AsyncDistance()
    so.add_objective("distance", evaluator, higher_is_better=False)
    _, results = run(ToyRandom, tmp_path, so=so, num_iters=2, samples_per_iter=5)
    assert len(results.all_evaluated_objs["distance"]) == 10 and evaluator.queue == []


class Halving(IterativeSearcher):
    """Re-evaluates the same models at growing budgets: budgets reach the cache key and CSV."""

    @overrides
    def propose(self, iteration):
        models = [_model(x) for x in (10, 20)]
        return Proposal(models, budgets=[float(iteration)] * 2)


def test_budgets_reach_the_cache_key_and_the_budget_column(tmp_path):
    so = SearchObjectives()
    so.add_objective("distance", Distance(target=0), higher_is_better=False)
    searcher = Halving(ToySpace(), so, str(tmp_path), num_iters=3)
    searcher.progress = False
    searcher.search()
    df = pd.read_csv(tmp_path / "search_state.csv")
    assert df["budget"].tolist() == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert df["distance"].tolist() == [100.0, 400.0, 50.0, 200.0, 100 / 3, 400 / 3]


def test_an_existing_store_is_never_silently_mixed(tmp_path):
    run(ToyRandom, tmp_path, num_iters=1)
    again = ToyRandom(ToySpace(seed=1), objectives(), str(tmp_path), num_iters=1, seed=1)
    with pytest.raises(StoreError, match="already holds a search"):  # what `nas search` asks for
        again.search(run=RunContext(progress=False, earlier_run="refuse"))
    searcher = ToyRandom(ToySpace(), objectives(), str(tmp_path), num_iters=1, seed=9)
    searcher.resume = True
    with pytest.raises(StoreError, match="different experiment"):
        searcher.search()
    nothing = ToyRandom(ToySpace(), objectives(), str(tmp_path / "empty"), num_iters=1)
    nothing.resume = True
    with pytest.raises(StoreError, match="nothing to resume"):
        nothing.search()


def test_resume_replays_from_the_store_without_recomputing(tmp_path):
    first = Distance()
    run(ToyEvolution, tmp_path / "full", so=objectives(first), num_iters=4)
    again = Distance()
    searcher = ToyEvolution(ToySpace(seed=1), objectives(again), str(tmp_path / "full"), num_iters=4, seed=1)
    searcher.progress = False
    searcher.resume = True
    searcher.search()
    assert again.calls == 0 and first.calls > 0


class Interrupting(Distance):
    def __init__(self, after):
        super().__init__()
        self.after = after

    @overrides
    def evaluate(self, model, budget=None):
        if self.calls >= self.after:
            raise KeyboardInterrupt
        return super().evaluate(model, budget)


def test_interrupted_search_resumes_to_the_uninterrupted_result(tmp_path):
    run(ToyEvolution, tmp_path / "ref", num_iters=4)
    with pytest.raises(KeyboardInterrupt):
        run(ToyEvolution, tmp_path / "cut", so=objectives(Interrupting(after=9)), num_iters=4)
    with sqlite3.connect(tmp_path / "cut" / "results.db") as conn:
        stored = conn.execute("SELECT COUNT(*) FROM evaluations WHERE objective='distance'").fetchone()[0]
        assert conn.execute("SELECT value FROM meta WHERE key='status'").fetchone()[0] == "interrupted"
    assert stored == 9
    resumed = Distance()
    searcher = ToyEvolution(ToySpace(seed=1), objectives(resumed), str(tmp_path / "cut"), num_iters=4, seed=1)
    searcher.progress = False
    searcher.resume = True
    searcher.search()
    assert state(tmp_path / "cut").equals(state(tmp_path / "ref"))
    assert resumed.calls == len(state(tmp_path / "ref")) - stored


def test_search_twice_gives_the_same_run_because_state_is_reset(tmp_path):
    searcher = ToyEvolution(ToySpace(seed=1), objectives(), str(tmp_path / "a"), num_iters=3, seed=1)
    searcher.progress = False
    searcher.search()
    first = state(tmp_path / "a")
    searcher.output_dir = str(tmp_path / "b")
    searcher.rng.seed(1)
    searcher.search_space.rng.seed(1)
    searcher.objectives._cache.clear()
    searcher.search()
    assert state(tmp_path / "b").equals(first)


# ---- the run's status: written by its owner, RunSession, for every way a run ends --------------------
def _meta(out, key):
    with sqlite3.connect(out / "results.db") as conn:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row and row[0]


def _raise(exc):
    raise exc


class StopsAtStart:
    @hookimpl
    def on_search_start(self, searcher):
        raise StopSearch("not today")


class FailsAtEnd:
    @hookimpl
    def on_search_end(self, results):
        raise RuntimeError("end hook broke")


def test_each_end_of_a_search_records_its_status(tmp_path, toy_manager):
    from nas_kernel.plugins import make_plugin_manager
    from nas_kernel.runstate import read_run_state

    run(ToyRandom, tmp_path / "finished", num_iters=2)
    assert _meta(tmp_path / "finished", "status") == "finished" and _meta(tmp_path / "finished", "ended_at")

    searcher = ToyRandom(ToySpace(), objectives(Distance(fail_every=1)), str(tmp_path / "failed"), num_iters=5)
    with pytest.raises(SearchFailed):
        searcher.search(run=RunContext(progress=False, max_failures=2))
    assert _meta(tmp_path / "failed", "status") == "failed"
    assert read_run_state(str(tmp_path / "failed")).state == "failed"

    with pytest.raises(KeyboardInterrupt):
        run(ToyRandom, tmp_path / "cut", so=objectives(Interrupting(after=3)), num_iters=3)
    assert _meta(tmp_path / "cut", "status") == "interrupted"
    assert read_run_state(str(tmp_path / "cut")).state == "stopped"

    # a StopSearch after the first iteration is a clean end: exports, "finished", and why it stopped
    searcher = ToyRandom(ToySpace(), objectives(), str(tmp_path / "enough"), num_iters=3)
    searcher.subscribe_start_iteration(lambda i: _raise(StopSearch("enough")) if i == 2 else None)
    assert searcher.search(run=RunContext(progress=False)).iteration_num == 1
    assert (_meta(tmp_path / "enough", "status"), _meta(tmp_path / "enough", "stop_reason")) == ("finished", "enough")
    assert read_run_state(str(tmp_path / "enough")).state == "finished"

    # a StopSearch from the start hook ends the search before its first iteration: nothing evaluated
    toy_manager.register(StopsAtStart(), name="stops-at-start")
    searcher = ToyRandom(ToySpace(), objectives(), str(tmp_path / "stopped"), num_iters=2)
    with pytest.raises(SearchFailed, match="no candidate could be evaluated: not today"):
        searcher.search(run=RunContext(progress=False, plugin_manager=toy_manager))
    assert (_meta(tmp_path / "stopped", "status"), _meta(tmp_path / "stopped", "stop_reason")) == ("failed", "not today")

    # the exports were written and "finished" recorded, then the end hook raised on a strict manager: failed
    strict = make_plugin_manager(entrypoints=False, strict=True)
    strict.register(FailsAtEnd(), name="fails-at-end")
    searcher = ToyRandom(ToySpace(), objectives(), str(tmp_path / "end"), num_iters=1)
    with pytest.raises(Exception, match="end hook broke"):
        searcher.search(run=RunContext(progress=False, plugin_manager=strict))
    assert (tmp_path / "end" / "search_state.csv").exists() and _meta(tmp_path / "end", "status") == "failed"


def test_a_session_left_without_finishing_is_failed_and_a_status_must_be_known(tmp_path):
    from nas_kernel.run_session import RunSession

    with RunSession(str(tmp_path), RunContext(progress=False), fingerprint="f") as session:
        assert _meta(tmp_path, "status") == "running"
        with pytest.raises(ValueError, match="not 'done'"):
            session._set_status("done")  # a reader would not know it
    assert _meta(tmp_path, "status") == "failed"


def test_the_searchers_run_settings_live_in_its_one_run_context(tmp_path, toy_manager):
    searcher = ToyRandom(ToySpace(), objectives(), str(tmp_path), num_iters=1)
    searcher.progress, searcher.max_failures, searcher.plugin_manager = False, 4, toy_manager
    assert (searcher.run.progress, searcher.run.max_failures, searcher.run.plugin_manager) == (False, 4, toy_manager)
    assert searcher.run.earlier_run == "move_aside"  # a plain search() moves an earlier run aside, as Archai
    with pytest.raises(ValueError, match="max_failures must be >= 0"):
        searcher.max_failures = -1  # checked as it is set, like any RunContext
    seen = []

    class Sees:
        @hookimpl
        def on_search_start(self, searcher):
            seen.append((searcher.run.resume, searcher.plugin_manager))

    given = RunContext(progress=False, plugin_manager=toy_manager)
    toy_manager.register(Sees(), name="sees")
    own = searcher.run
    searcher.search(run=given)
    assert seen == [(False, toy_manager)] and searcher.run is own  # the caller's context, for that run only
