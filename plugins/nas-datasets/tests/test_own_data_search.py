"""The user's own data through the real ``nas search``: each kind from an experiment file next to
the data (relative paths), through a two-worker process_pool too, and bad data refused with one
exit-2 line naming the key before anything is written."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dstest_data import blobs, factory_module, image_tree

SEARCH = """\
seed: 1
output_dir: run
search_space: {{name: cnn, params: {{max_layers: 1, hidden_list: [4], in_channels: 3, img_size: 8, num_classes: 3}}}}
objectives:
{objectives}
searcher: {{name: random, params: {{num_iters: 1, samples_per_iter: 2}}}}
"""
OBJECTIVE = """\
  - name: {name}
    higher_is_better: true
    evaluator: {evaluator}
"""
TRAIN = "{{name: partial_training, params: {{epochs: 1, batch_size: 16, device: cpu, loader: {loader}, dataset: {dataset}}}}}"
POOL = "{{name: process_pool, params: {{num_workers: 2, evaluator: " + TRAIN + "}}}}"
ARRAYS = "{name: arrays, params: {path: data/blobs.npz}}"
NPY = "{name: arrays, params: {train: {X: data/X.npy, y: data/y.npy}}}"
IMAGES = "{name: image_folder, params: {root: images, size: 8}}"
PYTHON = "{name: python, params: {function: 'h13_search_data:cubes'}}"


def nas(folder, *args, timeout=300):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, "-m", "nas_kernel.cli", "search", "experiment.yaml", "-q", *args],
                          capture_output=True, text=True, cwd=folder, env=env, timeout=timeout)


def write_experiment(folder, objectives):
    text = "".join(OBJECTIVE.format(name=name, evaluator=evaluator) for name, evaluator in objectives)
    (folder / "experiment.yaml").write_text(SEARCH.format(objectives=text))


@pytest.fixture
def project(tmp_path):
    """An experiment's folder as a user has it: data files, an image tree, a factory module."""
    (tmp_path / "data").mkdir()
    X, y = blobs(60, shape=(3, 8, 8))
    np.savez(tmp_path / "data" / "blobs.npz", X=X, y=y)
    np.save(tmp_path / "data" / "X.npy", X)
    np.save(tmp_path / "data" / "y.npy", y)
    image_tree(tmp_path / "images", per_class=5)
    factory_module(tmp_path, "h13_search_data")
    return tmp_path


def pareto_values(folder, names):
    with open(folder / "run" / "pareto.json", encoding="utf-8") as f:
        front = json.load(f)
    rows = front["models"] if isinstance(front, dict) else front
    return [[row.get("objectives", row).get(n) for n in names] for row in rows]


def test_each_kind_in_one_search_from_a_working_directory_elsewhere(project, tmp_path_factory):
    names = ["arrays_acc", "images_acc", "python_acc"]
    write_experiment(project, [(n, TRAIN.format(loader=loader, dataset=d)) for n, loader, d in
                               zip(names, ("tensors", "dataloader", "auto"), (ARRAYS, IMAGES, PYTHON))])
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = subprocess.run([sys.executable, "-m", "nas_kernel.cli", "search", str(project / "experiment.yaml"),
                             "-q", "-o", str(elsewhere / "run")], capture_output=True, text=True, cwd=elsewhere,
                            env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, timeout=300)
    assert result.returncode == 0, result.stderr
    values = pareto_values(elsewhere, names)
    assert values and all(0.0 <= v <= 1.0 for row in values for v in row)
    assert os.path.isdir(elsewhere / "run" / "data_cache")  # decoded images live in the run


def test_two_worker_pool_loads_data_in_the_workers_and_decodes_images_once(project):
    """(That the pickled job stays small is measured in nas-evaluators' test_data_loading.py.)"""
    write_experiment(project, [("images_acc", POOL.format(loader="dataloader", dataset=IMAGES)),
                               ("npy_acc", TRAIN.format(loader="dataloader", dataset=NPY))])
    result = nas(project)
    assert result.returncode == 0, result.stderr
    assert all(0.0 <= v <= 1.0 for row in pareto_values(project, ["images_acc", "npy_acc"]) for v in row)
    cache = project / "run" / "data_cache"
    entries = [e for e in os.listdir(cache) if not e.endswith(".lock")]
    assert len(entries) == 1  # one folder, decoded once for both workers and every epoch
    source = json.loads((cache / entries[0] / "source.json").read_text())
    assert source["images"] == 15 and source["decoded_by_pid"] != os.getpid()


@pytest.mark.parametrize("dataset, says", [
    ("{name: arrays, params: {path: data/missing.npz}}", "path: no such file"),
    ("{name: arrays, params: {path: data/blobs.npz, num_classes: 2}}", "path: labels out of range: found 2"),
    ("{name: arrays, params: {train: {X: data/y.npy, y: data/y.npy}}}", "train: X has shape (60,); expected"),
    ("{name: image_folder, params: {root: one_class}}", "root: "),
    ("{name: image_folder, params: {root: mixed}}", "root: images have mixed channel counts"),
])
def test_bad_data_is_exit_2_with_one_line_naming_the_key_and_nothing_written(project, dataset, says):
    image_tree(project / "one_class", classes=("cat",), per_class=2)
    image_tree(project / "mixed", per_class=2, modes={("emu", 1): "L"})
    write_experiment(project, [("acc", TRAIN.format(loader="auto", dataset=dataset))])
    result = nas(project)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "objectives[0].evaluator.params.dataset.params" in lines[0] and says in lines[0], lines[0]
    assert not (project / "run").exists()
