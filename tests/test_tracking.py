"""Trackers on the lifecycle hooks (``nas_kernel._tracking``), with a tracker that records its calls:
every evaluation once and in order, a resumed search adding nothing, and a raising tracker
reported once without touching the search, even on a strict plugin manager."""
import json
import threading

import pytest
from overrides import overrides

from nas_kernel import testing as kit
from nas_kernel.api.results import SearchResults
from nas_kernel.api.searcher import Searcher
from nas_kernel.api.tracker import Tracker
from nas_kernel.failures import SearchFailed
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.run_context import RunContext
from nas_kernel.run_files import PARETO_JSON
from nas_kernel.run_session import run_searcher
from nas_kernel.store import Store, db_path
from nas_kernel.testing import CheckFailed
from nas_kernel._tracking import attach_trackers, labels_for
from test_loop import objectives
from toy import Distance, ToyRandom, ToySpace


class Recording(Tracker):
    def __init__(self, fail_on_batch: int = 0) -> None:
        self.calls, self.runs, self.logged, self.fail_on_batch = [], [], [], fail_on_batch

    @overrides
    def start(self, run):
        self.calls.append("start")
        self.runs.append(run)
        run.state["opened"] = run.state.get("opened", 0) + 1
        return None

    @overrides
    def log_evaluations(self, evaluations):
        self.calls.append("log")
        if self.fail_on_batch and self.calls.count("log") == self.fail_on_batch:
            raise OSError(28, "No space left on device")
        self.logged += evaluations

    @overrides
    def finish(self, front, artifacts):
        self.calls.append("finish")
        self.front = front

    @overrides
    def abort(self, status):
        self.calls.append(f"abort {status}")

    @overrides
    def close(self):
        self.calls.append("close")


def search(out, tracker, resume=False, distance=None):
    manager = make_plugin_manager(entrypoints=False, strict=True)
    attach_trackers(manager, [("recording", tracker)])
    searcher = ToyRandom(ToySpace(seed=2), objectives(distance), str(out), num_iters=3, samples_per_iter=4, seed=2)
    return searcher.search(run=RunContext(plugin_manager=manager, progress=False, resume=resume))


def test_every_evaluation_reaches_the_tracker_once_in_order_and_a_resume_adds_nothing(tmp_path):
    first = Recording()
    search(tmp_path, first)
    store = Store(db_path(str(tmp_path)), readonly=True)
    try:
        stored = [archid for _, archid, _, _, _ in store.candidates()]
        values = {archid: ev.value for name, archid, _, ev in store.evaluations() if name == "distance"}
    finally:
        store.close()
    assert [e.index for e in first.logged] == list(range(12)) and [e.archid for e in first.logged] == stored
    assert all(e.values["distance"] == values[e.archid] for e in first.logged)
    assert first.calls[0] == "start" and first.calls[-2:] == ["finish", "close"]
    assert not first.runs[0].resumed and first.front and all("distance" in row for row in first.front)
    assert first.front == json.loads((tmp_path / PARETO_JSON).read_text())  # one helper builds both

    again = Recording()
    search(tmp_path, again, resume=True)  # the finished search replayed from the store
    assert again.runs[0].resumed and again.runs[0].logged == 12 and again.runs[0].state == {"opened": 2}  # given back what it kept
    assert again.logged == [] and again.calls == ["start", "finish", "close"]


def test_a_raising_tracker_is_reported_once_and_the_search_runs_to_the_end(tmp_path, capsys):
    broken = Recording(fail_on_batch=2)
    results = search(tmp_path, broken)
    assert sum(len(r["archid"]) for r in results.results) == 12
    err = capsys.readouterr().err
    assert err.count("tracker 'recording' failed") == 1 and "No space left on device" in err
    assert broken.calls == ["start", "log", "log", "close"]  # left out after its error, still closed


class Interrupting(Distance):
    @overrides
    def evaluate(self, model, budget=None):
        raise KeyboardInterrupt


@pytest.mark.parametrize("distance, raised, status", [(lambda: Distance(fail_every=1), SearchFailed, "failed"),
                                                      (Interrupting, KeyboardInterrupt, "interrupted")])
def test_a_failed_or_interrupted_search_aborts_and_closes_its_trackers(tmp_path, distance, raised, status):
    tracker = Recording()
    with pytest.raises(raised):
        search(tmp_path, tracker, distance=distance())
    assert tracker.calls[0] == "start" and tracker.calls[-2:] == [f"abort {status}", "close"], tracker.calls
    assert "finish" not in tracker.calls
    assert tracker._nas_hooks._thread is None  # stopped and joined by the run's close, not left to die


class SlowFirstFinish(Recording):
    """Its first ``finish`` waits until the next search has started: the end of the first search
    gives up waiting for it, and the same tracker runs again while its first thread still writes."""

    def __init__(self):
        super().__init__()
        self.gate, self.first_thread = threading.Event(), None

    @overrides
    def start(self, run):
        self.gate.set()  # the second search's start lets the first thread go on
        return super().start(run)

    @overrides
    def finish(self, front, artifacts):
        if self.first_thread is None:
            self.first_thread = threading.current_thread()
            self.gate.clear()
            assert self.gate.wait(30)
        super().finish(front, artifacts)


def test_a_tracker_left_writing_by_one_search_keeps_its_own_queue_when_it_runs_again(tmp_path, capsys):
    tracker = SlowFirstFinish()
    attach_trackers(None, [("recording", tracker)])[0].flush_seconds = 0.2
    search(tmp_path / "first", tracker)
    assert "still writing" in capsys.readouterr().err
    tracker._nas_hooks.flush_seconds = 30
    search(tmp_path / "second", tracker)
    tracker.first_thread.join(30)
    assert not tracker.first_thread.is_alive()  # it ended on its own queue's stop, not the second's
    assert "still writing" not in capsys.readouterr().err
    assert tracker.calls.count("close") == 2 and len(tracker.logged) == 24, tracker.calls


class OwnLoop(Searcher):
    """A searcher on the bare ``Searcher`` contract without an ``output_dir`` attribute."""

    def __init__(self, objectives):
        super().__init__()
        self.objectives = objectives

    @overrides
    def search(self):
        results = SearchResults(ToySpace(seed=1), self.objectives)
        models = [ToySpace(seed=1).random_sample() for _ in range(3)]
        results.add_iteration_results(models, self.objectives.eval_all_objs(models))
        return results


def test_a_searcher_without_output_dir_logs_to_the_run_directory_run_searcher_was_given(tmp_path):
    tracker = Recording()
    manager = make_plugin_manager(entrypoints=False, strict=True)
    attach_trackers(manager, [("recording", tracker)])
    so = objectives()
    run_searcher(OwnLoop(so), RunContext(plugin_manager=manager, progress=False), output_dir=str(tmp_path / "own"),
                 objectives=so)
    assert tracker.calls[0] == "start" and tracker.calls[-2:] == ["finish", "close"], tracker.calls
    assert tracker.runs[0].output_dir == str(tmp_path / "own")
    assert (tmp_path / "own" / "trackers" / "recording.json").is_file()


def test_trackers_of_the_same_name_get_numbered_labels():
    assert labels_for(["mlflow", "tensorboard", "mlflow"]) == ["mlflow", "tensorboard", "mlflow-2"]


# ---- the kit's tracker checks, each against a tracker built to break it --------------------------
class CountsWrong(Recording):
    @overrides
    def start(self, run):
        super().start(run)
        return run.logged + 5


class KeepsAnOpenFile(Recording):
    @overrides
    def start(self, run):
        super().start(run)
        run.state["handle"] = object()
        return run.logged


BROKEN_TRACKERS = [
    (CountsWrong(), "check_tracker_logs_a_search", "on a new run counted 5 evaluations"),
    (KeepsAnOpenFile(), "check_tracker_resumes_its_run", "not JSON"),
]


@pytest.mark.parametrize("broken, check, message", BROKEN_TRACKERS)
def test_each_tracker_check_catches_its_breakage(broken, check, message):
    with pytest.raises(CheckFailed, match=message) as info:
        getattr(kit, check)(broken)
    assert type(broken).__name__ in str(info.value)
    results = {r["check_name"]: r["status"] for r in kit.check_tracker(broken, on_fail=None)}
    assert results[check] == "failed"


def test_a_recording_tracker_passes_the_kit():
    assert {r["status"] for r in kit.check_tracker(Recording(), on_fail=None)} == {"passed"}
