"""Data meets a search space, through the real `nas` command and the built-in plugins: a space
takes its sizes from the data when the experiment leaves them out, and a mismatch is refused
before the search (exit 2, one line naming both keys, nothing written)."""
from __future__ import annotations

import numpy as np
import pytest

from support import run_nas

TRAINED = "{{name: partial_training, params: {{dataset: {dataset}, epochs: 1, progress_bar: false}}}}"


def _experiment(tmp_path, space: str, dataset: str) -> tuple:
    out = tmp_path / "run"
    path = tmp_path / "exp.yaml"
    path.write_text(f"""\
output_dir: {out}
search_space: {space}
objectives:
  - {{name: val_acc, higher_is_better: true, evaluator: {TRAINED.format(dataset=dataset)}}}
  - {{name: params, higher_is_better: false, compute_intensive: false, evaluator: {{name: num_params}}}}
searcher: {{name: random, params: {{num_iters: 1}}}}
""")
    return path, out


@pytest.fixture(scope="module")
def rows_npz(tmp_path_factory):
    """569 feature rows of 30 floats and two classes (the shape of scikit-learn's breast cancer data)."""
    path = tmp_path_factory.mktemp("rows") / "rows.npz"
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.normal(size=(569, 30)).astype("float32"), y=rng.integers(0, 2, 569))
    return path


def test_feature_rows_for_an_image_space_are_refused_before_the_search(tmp_path, rows_npz):
    path, out = _experiment(tmp_path, "{name: cnn}", f"{{name: arrays, params: {{path: {rows_npz}}}}}")
    done = run_nas(["search", str(path), "-q"])
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nas: error: {path}: search_space cnn builds 1-channel 8x8 image models with 2 outputs; dataset arrays "
        "(objectives[0].evaluator.params.dataset) gives feature rows of shape (30,) with 2 classes: a batch of "
        "shape (16, 30) fails in the model: RuntimeError: Expected 3D (unbatched) or 4D (batched) input to conv2d, "
        "but got input of size: [16, 30]; use search_space mlp (it takes feature rows)"]
    assert not out.exists()  # nothing evaluated, nothing written


def test_sizes_the_experiment_sets_against_the_data_are_named(tmp_path):
    dataset = "{name: synthetic, params: {input_shape: [3, 8, 8], num_classes: 4}}"
    path, out = _experiment(tmp_path, "{name: cnn, params: {in_channels: 1, num_classes: 3}}", dataset)
    done = run_nas(["search", str(path), "-q"])
    assert done.returncode == 2 and not out.exists()
    line, = done.stderr.splitlines()
    assert line.startswith(f"nas: error: {path}: search_space cnn builds 1-channel 8x8 image models with 3 outputs; "
                           "dataset synthetic (objectives[0].evaluator.params.dataset) gives 3-channel 8x8 images "
                           "with 4 classes: a batch of shape (16, 3, 8, 8) fails in the model: RuntimeError: ")
    assert line.endswith("; search_space.params.in_channels is 1 but the data has 3, search_space.params.num_classes "
                         "is 3 but the data has 4: leave it out to take it from the data")

    done = run_nas(["search", str(path), "-q", "--set", "search_space.params.in_channels=3"])
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nas: error: {path}: search_space cnn builds 3-channel 8x8 image models with 3 outputs; dataset synthetic "
        "(objectives[0].evaluator.params.dataset) gives 3-channel 8x8 images with 4 classes: the model has 3 outputs, "
        "but the labels go up to 3; search_space.params.num_classes is 3 but the data has 4: leave it out to take it "
        "from the data"]


@pytest.mark.parametrize("space", ["cnn", "hivenas_chain", "config"])
def test_a_space_takes_channels_size_and_classes_from_the_data_when_unset(space):
    from nas_kernel.experiment.build import build_experiment
    from nas_kernel.experiment.data_check import check_data_fits
    from nas_kernel.experiment.shape import validate
    from nas_kernel.plugins import make_plugin_manager

    raw = {"output_dir": "unused", "search_space": {"name": space},
           "objectives": [{"name": "val_acc", "higher_is_better": True, "evaluator": {
               "name": "partial_training",
               "params": {"dataset": {"name": "synthetic", "params": {"input_shape": [3, 16, 16], "num_classes": 4}}}}}],
           "searcher": {"name": "random"}}
    experiment = build_experiment(validate(raw, "test"), "test", make_plugin_manager())
    assert (experiment.search_space.in_channels, experiment.search_space.num_classes) == (3, 4)
    check_data_fits(experiment)  # one batch goes through a sample model: no mismatch left
