"""The user's own data through the real ``nas search``: each kind from an experiment file next to
the data (relative paths), read as tensors and through a DataLoader, images decoded once in the
workers of a two-process spawn pool, and bad data refused with one exit-2 line naming the key
before anything is written. The search's other components are the test plugin's
(``search_plugin``), so no other plugin is needed."""
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from nas_datasets.image_folder import ImageFolder
from nas_kernel.api.dataset import get_split

from .data_files import blobs, factory_module, image_tree
from .searching import nas_search

SEARCH = """\
seed: 1
output_dir: run
search_space: {{name: integers, params: {{size: 50}}}}
objectives:
{objectives}
searcher: {{name: sampling, params: {{num_iters: 1, samples_per_iter: 2}}}}
"""
OBJECTIVE = """\
  - name: {name}
    higher_is_better: true
    evaluator: {evaluator}
"""
TRAIN = "{{name: nearest_mean, params: {{loader: {loader}, dataset: {dataset}}}}}"
ARRAYS = "{name: arrays, params: {path: data/blobs.npz}}"
NPY = "{name: arrays, params: {train: {X: data/X.npy, y: data/y.npy}}}"
IMAGES = "{name: image_folder, params: {root: images, size: 8}}"
PYTHON = "{name: python, params: {function: 'h13_search_data:cubes'}}"


def nas(folder, *args, timeout=300):
    return nas_search("experiment.yaml", folder, *args, timeout=timeout)


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
    names = ["arrays_acc", "images_acc", "python_acc", "npy_acc"]
    write_experiment(project, [(n, TRAIN.format(loader=loader, dataset=d)) for n, loader, d in
                               zip(names, ("tensors", "dataloader", "auto", "dataloader"),
                                   (ARRAYS, IMAGES, PYTHON, NPY))])
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = nas_search(str(project / "experiment.yaml"), elsewhere, "-o", str(elsewhere / "run"))
    assert result.returncode == 0, result.stderr
    values = pareto_values(elsewhere, names)
    assert values and all(0.0 <= v <= 1.0 for row in values for v in row)
    assert os.path.isdir(elsewhere / "run" / "data_cache")  # decoded images live in the run


def test_two_spawn_workers_load_the_images_in_the_workers_and_decode_them_once(project):
    """A pool pickles the provider, not its samples (that the pickled job stays small is measured
    in nas-evaluators' test_data_loading.py); both workers then read the one decoded copy."""
    folder = ImageFolder("images", size=8, base_dir=str(project), output_dir=str(project / "run"))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        (X1, y1), (X2, y2) = pool.map(get_split, [folder, folder], ["train", "train"])
    assert np.array_equal(X1.numpy(), X2.numpy()) and np.array_equal(y1.numpy(), y2.numpy())
    cache = project / "run" / "data_cache"
    entries = [e for e in os.listdir(cache) if not e.endswith(".lock")]
    assert len(entries) == 1  # one folder, decoded once for both workers
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
