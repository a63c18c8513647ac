"""The supernet through the ``nas`` command, in subprocesses: ``nas supernet train`` (progress,
resume after ``kill -9``), a search scoring candidates with inherited weights in a process pool
next to a latency table, ``nas train-best`` fine-tuning the front, and bad input as one exit-2 line."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from .edge_support import TINY_SPACE, nas, table_objective, write_experiment
from .stand_ins import nas_env
from nas_edge.latency_table import build_table, save_table
from nas_edge.mobilenet_space import MobileNetSearchSpace
from nas_edge.timing import TimingSettings

DATA = {"name": "glyphs", "params": {"seed": 2, "train": 96, "val": 48, "test": 0}}
SETTINGS = {"epochs": 2, "batch_size": 32, "calibration_batches": 2}


def supernet_objective(**params):
    evaluator = {"name": "supernet", "params": {"path": "sn", "dataset": DATA, **SETTINGS, **params}}
    return {"name": "val_acc", "higher_is_better": True, "evaluator": evaluator}


def one_error_line(result):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("nas: error:") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder with an experiment (supernet + latency-table objectives), its supernet and table."""
    folder = tmp_path_factory.mktemp("supernet-cli")
    write_experiment(folder, [supernet_objective(), table_objective()],
                     searcher={"name": "sampling", "params": {"num_iters": 1, "samples_per_iter": 4}})
    result = nas(folder, "supernet", "train", "experiment.yaml", "-o", "sn")
    assert result.returncode == 0, result.stderr
    record = {"name": "mobilenet", "params": TINY_SPACE, "from_data": {}, "seed": 1, "base_dir": None}
    space = MobileNetSearchSpace(**TINY_SPACE)
    save_table(build_table(space, record, TimingSettings(warmups=1, samples=2), calibration=1, seconds=0),
               str(folder / "table.json"))
    return folder, result


def test_train_writes_the_supernet_with_a_progress_bar(trained):
    folder, result = trained
    assert "sn: supernet trained for 2 epochs (6 steps) on cpu" in result.stdout
    assert "supernet:" in result.stderr and "6/6" in result.stderr  # the progress bar
    meta = json.loads((folder / "sn" / "supernet.json").read_text())
    assert meta["settings"]["epochs"] == 2 and meta["data"] == {"num_classes": 10, "input_shape": [1, 8, 8]}
    assert len(meta["history"]) == 2 and not (folder / "sn" / "checkpoint.pt").exists()


def test_search_with_supernet_and_latency_table(trained):
    """(Through a process_pool, then ``nas train-best`` on the front: tests/integration.)"""
    folder, _ = trained
    result = nas(folder, "search", "experiment.yaml", "-q")
    assert result.returncode == 0, result.stderr
    rows = (folder / "run" / "search_state.csv").read_text().splitlines()
    assert len(rows) == 5 and "val_acc" in rows[0] and "latency_ms" in rows[0]
    assert all(0 <= float(row.split(",")[1]) <= 1 for row in rows[1:])
    assert "Pareto front" in result.stdout


def test_training_resumes_after_kill_9(tmp_path):
    write_experiment(tmp_path, [supernet_objective(checkpoint_every=1)])
    env = {**nas_env(tmp_path.parent / f"{tmp_path.name}-site"), "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.Popen([sys.executable, "-m", "nas_kernel.cli", "supernet", "train", "experiment.yaml", "-o",
                             "sn", "-q"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    checkpoint, deadline = tmp_path / "sn" / "checkpoint.pt", time.time() + 240
    while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert checkpoint.exists() and not (tmp_path / "sn" / "supernet.json").exists()
    result = nas(tmp_path, "supernet", "train", "experiment.yaml", "-o", "sn", "-q")
    assert result.returncode == 0, result.stderr
    assert "resuming from" in result.stdout and (tmp_path / "sn" / "supernet.json").exists()


def test_bad_input_is_one_exit_2_line(trained, tmp_path):
    folder, _ = trained
    # a search whose space is another configuration than the supernet's: refused before evaluating
    other = dict(TINY_SPACE, stem_channels=16)
    write_experiment(tmp_path, [supernet_objective(path=str(folder / "sn"))], space=other)
    line = one_error_line(nas(tmp_path, "search", "experiment.yaml", "-q"))
    assert "another configuration of the space: stage table" in line
    # nas supernet train with a misspelt parameter: the key is named, nothing is written
    write_experiment(tmp_path, [supernet_objective(epohcs=2)])
    line = one_error_line(nas(tmp_path, "supernet", "train", "experiment.yaml", "-o", "x", "-q"))
    assert "objectives[0].evaluator.params.epohcs" in line and "unknown parameter" in line
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("content", [b"\x00torn or foreign\xff", None], ids=["garbage", "foreign-dict"])
def test_an_unreadable_checkpoint_is_one_exit_2_line(tmp_path, content):
    import torch

    write_experiment(tmp_path, [supernet_objective()])
    checkpoint = tmp_path / "sn" / "checkpoint.pt"
    checkpoint.parent.mkdir()
    if content is None:
        torch.save({"weights": torch.zeros(2)}, checkpoint)  # a dict some other program wrote
    else:
        checkpoint.write_bytes(content)
    before = checkpoint.read_bytes()
    line = one_error_line(nas(tmp_path, "supernet", "train", "experiment.yaml", "-o", "sn", "-q"))
    assert str(checkpoint) in line or "sn/checkpoint.pt" in line, line
    assert ("unreadable training checkpoint" if content else "not a supernet training checkpoint") in line
    assert "remove it or train into another folder (-o)" in line and "weights_only" not in line
    assert sorted(os.listdir(tmp_path / "sn")) == ["checkpoint.pt"] and checkpoint.read_bytes() == before
