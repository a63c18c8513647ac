"""`nas train-best` through the real command: --objective ranks by any objective of the run (as
its help says), and a run whose front is empty is told apart with the reason, not a missing file."""
from __future__ import annotations

import json

from support import digits_experiment, run_nas

RANDOM = "{name: random, params: {num_iters: 1, samples_per_iter: 2}}"


def test_train_best_ranks_by_the_cheap_objective_when_asked(tmp_path):
    out = tmp_path / "run"
    (tmp_path / "exp.yaml").write_text(digits_experiment(out, seed=1, searcher=RANDOM))
    assert run_nas(["search", "exp.yaml", "-q"], cwd=tmp_path).returncode == 0
    front = json.loads((out / "pareto.json").read_text())
    smallest = min(front, key=lambda row: row["params"])["archid"]
    done = run_nas(["train-best", str(out), "--objective", "params", "--epochs", "1", "--no-onnx"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    record, = json.loads((out / "train_best" / "train_best.json").read_text())
    assert record["archid"] == smallest and "val_acc" in record  # ranked by params, trained for val_acc
    wrong = run_nas(["train-best", str(out), "--objective", "latency", "--epochs", "1"], cwd=tmp_path)
    assert (wrong.returncode, wrong.stderr.strip()) == (
        2, "nas: error: --objective 'latency' is not an objective of this run; choose one of: val_acc, params")


def test_train_best_on_an_empty_front_says_why(tmp_path):
    out = tmp_path / "run"
    (tmp_path / "not-a-folder").write_text("")  # every checkpoint write fails: every training evaluation does
    text = digits_experiment(out, seed=1, searcher=RANDOM).replace(
        "epochs: 1,", f"epochs: 1, checkpoint_dir: {tmp_path / 'not-a-folder'},")
    (tmp_path / "exp.yaml").write_text(text)
    searched = run_nas(["search", "exp.yaml", "-q"], cwd=tmp_path)
    assert searched.returncode == 1
    done = run_nas(["train-best", str(out)], cwd=tmp_path)
    assert done.returncode == 2
    line, = done.stderr.splitlines()
    assert line.startswith(f"nas: error: {out}: the Pareto front is empty, so there is no model to train: 2 of 2 "
                           "val_acc evaluations failed: ")
    assert line.endswith(f"(nas results show {out} lists them)")
