"""``nas search`` over ``transformer_flex`` through the real command (the searcher is the kernel's
reference random sampling, from this folder's test plugin): a run end to end, resume after
``kill -9`` equal to a straight run, and bad input as one exit-2 line naming the key with nothing
written."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from .sampling_plugin import manager, nas_env

EXPERIMENT = {
    "seed": 3,
    "search_space": {"name": "transformer_flex", "params": {
        "arch_type": "gpt2", "max_layers": 2, "d_model_options": [32, 48], "d_inner_options": [32, 64],
        "n_head_options": [2, 4], "share_d_inner": False,
        "dataset": {"name": "text", "params": {"seq_len": 32, "max_bytes": 200000}}}},
    "objectives": [
        {"name": "val_ppl", "higher_is_better": False, "evaluator": {"name": "lm_training", "params": {
            "dataset": {"name": "text", "params": {"seq_len": 32, "max_bytes": 200000}},
            "steps": 6, "batch_size": 8, "eval_tokens": 2048}}},
        {"name": "non_emb", "higher_is_better": False, "compute_intensive": False,
         "evaluator": {"name": "non_embedding_params"}, "constraint": [0, 60000]}],
    "searcher": {"name": "sampling", "params": {"num_iters": 2, "samples_per_iter": 3}},
}


def nas(args, cwd, timeout=240):
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=nas_env(os.path.join(cwd, "..", os.path.basename(cwd) + "-site")))


def write(folder, experiment, name="experiment.yaml"):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(experiment, f)
    return path


def state(run):
    frame = pd.read_csv(os.path.join(run, "search_state.csv"))
    columns = ["archid", "iteration_num", "val_ppl", "non_emb"]
    return frame.sort_values(columns[:2])[columns].reset_index(drop=True)


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("straight"))
    result = nas(["search", write(folder, EXPERIMENT), "-q", "-o", "run"], folder)
    assert result.returncode == 0, result.stderr[-2000:]
    return os.path.join(folder, "run")


def test_a_search_runs_end_to_end(straight_run):
    """(``nas train-best`` on its front is nas-evaluators' command: tests/integration.)"""
    frame = state(straight_run)
    assert len(frame) >= 4 and frame["val_ppl"].between(1, 256).all()
    assert os.listdir(os.path.join(straight_run, "text_cache"))  # one token cache for space and trainer


def test_resume_after_kill_9_equals_a_straight_run(straight_run, tmp_path):
    folder = str(tmp_path)
    path = write(folder, EXPERIMENT)
    run = os.path.join(folder, "run")
    process = subprocess.Popen([sys.executable, "-m", "nas_kernel.cli", "search", path, "-q", "-o", "run"],
                               cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=nas_env(os.path.join(folder, "..", os.path.basename(folder) + "-site")))
    deadline = time.time() + 180
    while time.time() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(os.path.join(run, "results.db")) as db:
                done = db.execute("SELECT COUNT(*) FROM evaluations WHERE objective='val_ppl'").fetchone()[0]
        except sqlite3.Error:
            done = 0
        if done >= 3:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the search finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    result = nas(["search", path, "-q", "-o", "run", "--resume"], folder)
    assert result.returncode == 0, result.stderr[-2000:]
    pd.testing.assert_frame_equal(state(run), state(straight_run))


BAD = {  # one per component that refuses; the other refusals are tested in-process (test_text_data, test_models)
    "empty file": (("search_space.params.dataset.params", {"path": "empty.txt"}), "empty"),
    "vocab_size too small": (("search_space.params", {"vocab_size": 100}), "vocab_size"),
    "sequence above the maximum": (("search_space.params", {"max_sequence_length": 16}), "max_sequence_length"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_exit_2_line_naming_the_key(case, tmp_path):
    (where, change), key = BAD[case]
    (tmp_path / "empty.txt").write_text("")
    experiment = json.loads(json.dumps(EXPERIMENT))
    target = experiment
    for part in where.split("."):
        target = target[part]
    target.update(change)
    result = nas(["search", write(str(tmp_path), experiment), "-q", "-o", "run"], str(tmp_path), timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert key in lines[0] and "search_space.params" in lines[0]
    assert not (tmp_path / "run").exists()


def test_the_space_takes_vocabulary_and_context_from_the_training_corpus(tmp_path):
    """Without its own ``dataset``, vocab_size or max_sequence_length, the space gets both from
    ``lm_training``'s corpus (the kernel's data-fit contract: ``TextCorpus.space_sizes``)."""
    from nas_kernel.experiment.build import load_experiment
    experiment = json.loads(json.dumps(EXPERIMENT))
    del experiment["search_space"]["params"]["dataset"]
    built = load_experiment(write(str(tmp_path), experiment), manager(), output_dir=str(tmp_path / "o"))
    assert (built.search_space.vocab_size, built.search_space.max_sequence_length) == (256, 32)
    experiment["search_space"]["params"]["max_sequence_length"] = 64  # what the experiment sets wins
    built = load_experiment(write(str(tmp_path), experiment), manager(), output_dir=str(tmp_path / "o2"))
    assert (built.search_space.vocab_size, built.search_space.max_sequence_length) == (256, 64)
