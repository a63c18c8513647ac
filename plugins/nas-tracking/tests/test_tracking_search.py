"""The real ``nas search`` with trackers on a toy plugin, each tracker's output read back with its
library's own reader: what is logged, a search killed with SIGKILL and resumed, failing trackers,
a missing library and a malformed ``trackers`` key."""
import importlib.util
import json
import math
import os
import signal
import subprocess
import time

import pytest

from .tracking_runs import (MLFLOW_URI, mlflow_run, nas_command, nas_env, run_nas, stored_candidates, tensorboard_events,
                            toy_site, wandb_history, write_experiment)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return toy_site(tmp_path_factory.mktemp("toy_site"))


@pytest.fixture(scope="module")
def mlflow_uri():
    """The session's MLflow store, its tables created here if no test made them yet."""
    from mlflow.tracking import MlflowClient

    MlflowClient(tracking_uri=MLFLOW_URI).search_experiments()
    return MLFLOW_URI


def _scores(out):
    """step -> score of the finished search, from the store (what every tracker must hold)."""
    return {i: value for i, (_, value) in enumerate(stored_candidates(out))}


def test_a_search_logs_its_run_evaluations_front_and_plots_to_every_tracker(site, mlflow_uri, tmp_path):
    wandb = importlib.util.find_spec("wandb") is not None  # the wandb extra (CI installs every extra)
    exp, out = write_experiment(tmp_path, [f"{{name: mlflow, params: {{tracking_uri: '{mlflow_uri}', "
                                           "experiment_name: logged}}", "{name: tensorboard}"]
                                + (["{name: wandb}"] if wandb else []))
    result = run_nas(site, "search", str(exp), "-q")
    assert result.returncode == 0, result.stderr
    assert "tracker" not in result.stderr  # no tracker failed
    expected = _scores(out)
    assert len(expected) == 12 and sum(math.isnan(v) for v in expected.values()) >= 1  # fail_every=5 failed some

    client, run = mlflow_run(out)
    assert run.info.status == "FINISHED" and run.info.experiment_id == client.get_experiment_by_name(
        "logged").experiment_id
    params = run.data.params
    assert params["seed"] == "3" and params["search_space.name"] == "toy_integers"
    assert params["searcher.name"] == "toy_random" and params["searcher.params.num_iters"] == "3"
    assert params["version.nas-kernel"] and params["version.mlflow-skinny"] and params["version.python"]
    steps = client.get_metric_history(run.info.run_id, "evaluation")
    assert sorted(m.step for m in steps) == list(range(12))
    score = {m.step: m.value for m in client.get_metric_history(run.info.run_id, "score")}
    assert score == pytest.approx({i: v for i, v in expected.items() if not math.isnan(v)})
    failed = {m.step: m.value for m in client.get_metric_history(run.info.run_id, "failed")}
    assert {i for i, v in failed.items() if v == 1.0} == {i for i, v in expected.items() if math.isnan(v)}
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"experiment.yaml", "pareto_front.csv", "pareto_front.json", "pareto.json", "plots",
            "evaluations"} <= artifacts
    assert [a.path for a in client.list_artifacts(run.info.run_id, "plots")] == ["plots/pareto_score_vs_size.png"]
    batches = [a.path for a in client.list_artifacts(run.info.run_id, "evaluations")]
    assert batches == ["evaluations/from-000000.json", "evaluations/from-000004.json", "evaluations/from-000008.json"]
    rows = []
    for path in batches:
        with open(client.download_artifacts(run.info.run_id, path, str(tmp_path)), encoding="utf-8") as f:
            rows += json.load(f)
    assert [r["evaluation"] for r in rows] == list(range(12))
    first_failed = next(r for r in rows if r["errors"])
    assert "toy failure" in first_failed["errors"]["score"] and first_failed["values"]["score"] is None
    assert rows[0]["arch_params"]["value"] == int(rows[0]["archid"].split("-")[1])
    with open(client.download_artifacts(run.info.run_id, "pareto_front.csv", str(tmp_path)), encoding="utf-8") as f:
        front = f.read().splitlines()
    assert front[0] == "archid,iteration,score,size" and len(front) >= 2

    events = tensorboard_events(out / "tensorboard")
    tb = {e.step: e.value for e in events.Scalars("objective/score")}
    assert tb == pytest.approx({i: v for i, v in expected.items() if not math.isnan(v)})
    assert {e.step for e in events.Scalars("evaluation/failed") if e.value == 1.0} == {
        i for i, v in expected.items() if math.isnan(v)}
    assert "plots/pareto_score_vs_size" in events.Tags()["images"]
    assert {"run/params/text_summary", "pareto_front/text_summary"} <= set(events.Tags()["tensors"])

    if not wandb:
        return
    history = wandb_history(out)
    logged = {int(h["_step"]): h for h in history if "evaluation/archid" in h}
    assert sorted(logged) == list(range(12))
    assert {i: json.loads(h["objective/score"]) for i, h in logged.items() if "objective/score" in h} == pytest.approx(
        {i: v for i, v in expected.items() if not math.isnan(v)})
    assert any("pareto_front/_type" in h for h in history)


def test_a_search_killed_mid_way_and_resumed_logs_each_evaluation_exactly_once(site, mlflow_uri, tmp_path):
    exp, out = write_experiment(tmp_path, [f"{{name: mlflow, params: {{tracking_uri: '{mlflow_uri}', "
                                           "experiment_name: killed}}", "{name: tensorboard}"],
                                iters=6, delay=0.25)
    proc = subprocess.Popen(nas_command("search", str(exp), "-q"), env=nas_env(site), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    state = out / "trackers" / "tensorboard.json"
    deadline = time.time() + 120
    try:  # killed once TensorBoard logged an iteration (MLflow, slower to start, may have logged fewer)
        while time.time() < deadline and proc.poll() is None:
            if state.exists() and json.loads(state.read_text())["logged"] >= 4:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the search ended before it was killed: {err}"
    killed_at = json.loads(state.read_text())["logged"]
    assert killed_at < 24

    resumed = run_nas(site, "search", str(exp), "-o", str(out), "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    expected = _scores(out)
    assert len(expected) == 24
    ok = {i: v for i, v in expected.items() if not math.isnan(v)}

    client, run = mlflow_run(out)
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "evaluation")]
    assert sorted(steps) == list(range(24))  # every evaluation once: none missing, none twice
    assert {m.step: m.value for m in client.get_metric_history(run.info.run_id, "score")} == pytest.approx(ok)
    assert len(client.search_runs([run.info.experiment_id])) == 1  # the same parent run continued
    assert run.info.status == "FINISHED"

    events = tensorboard_events(out / "tensorboard")
    scores = events.Scalars("objective/score")
    assert len(scores) == len({e.step for e in scores})  # no step twice after TensorBoard's purge
    assert {e.step: e.value for e in scores} == pytest.approx(ok), (killed_at, sorted(e.step for e in scores),
                                                                   sorted(ok), sorted(os.listdir(out / "tensorboard")))
    assert sorted({e.step for e in events.Scalars("evaluation/seconds")}) == list(range(24))


def test_failing_trackers_are_reported_once_and_the_search_finishes(site, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the event files should go")
    exp, out = write_experiment(tmp_path, ["{name: mlflow, params: {tracking_uri: 'http://127.0.0.1:9'}}",
                                           f"{{name: tensorboard, params: {{log_dir: '{blocker}/tb'}}}}"])
    result = run_nas(site, "search", str(exp), "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("tracker 'mlflow' failed") == 1, result.stderr
    assert result.stderr.count("tracker 'tensorboard' failed") == 1, result.stderr
    assert len(stored_candidates(out)) == 12  # the whole search ran and was stored


def test_a_failed_search_ends_its_mlflow_run_failed_not_running(site, mlflow_uri, tmp_path):
    exp, out = write_experiment(tmp_path, [f"{{name: mlflow, params: {{tracking_uri: '{mlflow_uri}', "
                                           "experiment_name: failed}}"], iters=1)
    exp.write_text(exp.read_text().replace("fail_every: 5", "fail_every: 1"))  # every evaluation fails
    result = run_nas(site, "search", str(exp), "-q")
    assert result.returncode == 1, result.stderr
    assert "tracker 'mlflow' failed" not in result.stderr
    _, run = mlflow_run(out)
    assert run.info.status == "FAILED" and run.info.end_time is not None


def test_a_tracker_whose_library_is_missing_is_exit_2_naming_the_extra(site, tmp_path):
    exp, out = write_experiment(tmp_path, ["{name: tensorboard}"])
    result = run_nas(site, "search", str(exp), "-q", block=("tensorboardX",))
    assert result.returncode == 2, result.stderr
    assert "key 'trackers[0].params'" in result.stderr
    assert "pip install 'nas-tracking[tensorboard]'" in result.stderr and "Traceback" not in result.stderr
    assert not (out / "results.db").exists()


def test_trackers_must_be_a_list_of_components(site, tmp_path):
    exp, _ = write_experiment(tmp_path, [])
    exp.write_text(exp.read_text().replace("trackers:\n  []", "trackers: {name: mlflow}"))
    result = run_nas(site, "search", str(exp), "-q")
    assert result.returncode == 2 and "key 'trackers'" in result.stderr and "expected a list" in result.stderr
    exp.write_text(exp.read_text().replace("trackers: {name: mlflow}", "trackers: [mlflow]"))
    result = run_nas(site, "search", str(exp), "-q")
    assert result.returncode == 2 and "key 'trackers[0]'" in result.stderr, result.stderr
