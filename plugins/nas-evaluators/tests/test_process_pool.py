"""The spawn process pool: send order, a worker killed mid-job, timeouts, recovery, and the same
values as evaluating in this process."""
import os
import signal
import threading
import time

import pytest

from nas_evaluators.testing.worker_functions import behave
from nas_evaluators.testing.models import cnn_model
from nas_kernel.api import ArchaiModel
from nas_kernel.testing.reference import Glyphs
from nas_evaluators import EvaluationFunction, PartialTraining, ProcessPoolEvaluator


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    os.environ["EVTEST_PIDDIR"] = str(tmp_path_factory.mktemp("pids"))  # inherited by the workers
    try:
        with ProcessPoolEvaluator(EvaluationFunction("nas_evaluators.testing.worker_functions:behave"), num_workers=2, timeout=3) as p:
            yield p
    finally:
        os.environ.pop("EVTEST_PIDDIR", None)


def test_results_in_send_order_with_failures_as_none(pool):
    ids = ["ok-1", "ok-2", "die-0", "ok-3", "fail-0", "ok-4", "ok-5"]
    models = [ArchaiModel(None, a) for a in ids]
    for m in models:
        pool.send(m, 2.0)
    assert pool.fetch_all() == [2.0, 4.0, None, 6.0, None, 8.0, 10.0]
    assert "died" in pool.last_errors["die-0"] and "asked to fail" in pool.last_errors["fail-0"]
    assert all("pid" in m.metadata for m in models if m.archid.startswith("ok"))  # metadata came back
    # the pool recovered: the next batch runs normally, on live workers
    for a in ["ok-6", "ok-7"]:
        pool.send(ArchaiModel(None, a))
    assert pool.fetch_all() == [6.0, 7.0]
    assert all(pid is not None for pid in pool.worker_pids())


def test_worker_killed_from_outside_mid_job_gives_none(pool):
    pidfile = os.path.join(os.environ["EVTEST_PIDDIR"], "hang.pid")

    def kill_when_started():
        deadline = time.monotonic() + 60
        while not os.path.exists(pidfile) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        with open(pidfile) as f:
            os.kill(int(f.read()), signal.SIGKILL)

    killer = threading.Thread(target=kill_when_started, daemon=True)
    killer.start()
    for a in ["ok-1", "hang-0", "ok-2", "ok-3"]:
        pool.send(ArchaiModel(None, a))
    assert pool.fetch_all() == [1.0, None, 2.0, 3.0]
    assert "died (exit code -9)" in pool.last_errors["hang-0"]
    killer.join(5)


def test_timeout_gives_none_and_kills_only_that_job(pool):
    for a in ["slow-0", "ok-8", "ok-9"]:
        pool.send(ArchaiModel(None, a))
    assert pool.fetch_all() == [None, 8.0, 9.0]
    assert "timed out" in pool.last_errors["slow-0"]
    assert pool.fetch_all() == []


def test_pool_equals_sequential_training_and_returns_metadata():
    trainer = PartialTraining(Glyphs(seed=1), epochs=1, progress_bar=False, seed=3)
    models = [cnn_model(w, archid=f"w{w}") for w in (4, 8)]
    with ProcessPoolEvaluator(trainer, num_workers=2) as pool:
        for m in models:
            pool.send(m)
        values = pool.fetch_all()
    assert values == [trainer.evaluate(cnn_model(w, archid=f"w{w}")) for w in (4, 8)]
    assert [m.metadata["epochs_trained"] for m in models] == [1, 1]


def test_lazy_models_and_parameter_checks():
    built = []

    def builder():  # a closure: not picklable itself, so the pool sends the built module
        built.append(1)
        return cnn_model(4).arch

    with pytest.raises(ValueError, match="num_workers"):
        ProcessPoolEvaluator(EvaluationFunction(behave), num_workers=0)
    with pytest.raises(ValueError, match="start_method"):
        ProcessPoolEvaluator(EvaluationFunction(behave), start_method="fork")
    from nas_evaluators.transport import dumps, wire_model

    lazy = ArchaiModel(None, "lazy", builder=builder)
    assert dumps(wire_model(lazy)) and built == [1]


def test_workers_leaving_run_the_exit_handlers_and_stop_their_loader_workers(tmp_path, monkeypatch):
    """Workers end with os._exit (no interpreter teardown): the temporary folders their objectives
    remove at exit, and the DataLoader workers they started, must not outlive them, whether they
    leave after a sticky CUDA error or when the pool closes."""
    monkeypatch.setenv("EVTEST_PIDDIR", str(tmp_path))  # inherited by the workers
    with ProcessPoolEvaluator(EvaluationFunction("nas_evaluators.testing.worker_functions:export_like_an_objective"), num_workers=1) as pool:
        for archid in ("poison", "next"):
            pool.send(ArchaiModel(None, archid))
        assert pool.fetch_all() == [None, 1.0], pool.last_errors
        loader_pid = int((tmp_path / "loader.pid").read_text())
        assert not os.path.exists(f"/proc/{loader_pid}")  # stopped by the poisoned worker before it left
    folders = (tmp_path / "folders").read_text().split()
    assert len(folders) == 2  # the poisoned worker's and its replacement's
    assert not any(os.path.exists(folder) for folder in folders)
