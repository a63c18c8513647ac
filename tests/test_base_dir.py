"""``base_dir``: relative data paths are read from the experiment file's folder, wherever `nas
search` runs, and a run's saved experiment keeps reading the same files."""
import os

import pytest
import yaml
from overrides import overrides

from nas_kernel import ModelEvaluator, hookimpl
from nas_kernel.components import build_component
from nas_kernel.experiment.build import load_experiment
from nas_kernel.experiment.errors import ConfigError
from nas_kernel.experiment.identity import fingerprint
from nas_kernel.experiment.yaml_file import save_experiment
from nas_kernel.run_files import SAVED_EXPERIMENT


class Where(ModelEvaluator):
    """Records the folders the kernel supplied."""

    def __init__(self, base_dir=None, output_dir=None, seed: int = 0) -> None:
        self.base_dir, self.output_dir, self.seed = base_dir, output_dir, seed

    @overrides
    def evaluate(self, arch, budget=None):
        return 0.0


class WherePlugin:
    @hookimpl
    def register_evaluators(self, register):
        register("where", Where)


SPEC = {"seed": 2, "search_space": {"name": "toy"},
        "objectives": [{"name": "w", "higher_is_better": True, "evaluator": {"name": "where"}}],
        "searcher": {"name": "toy_random", "params": {"num_iters": 1}}}


@pytest.fixture
def manager(toy_manager):
    toy_manager.register(WherePlugin(), name="where")
    return toy_manager


def write(folder, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "exp.yaml"
    path.write_text(yaml.safe_dump({**SPEC, "output_dir": str(folder / "out"), **extra}))
    return str(path)


def evaluator(experiment):
    return experiment.objectives.objectives["w"]["evaluator"]


def test_factories_get_the_experiment_folder_and_output_dir_from_anywhere(tmp_path, manager, monkeypatch):
    path = write(tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    exp = load_experiment(os.path.relpath(path, tmp_path), manager)
    assert evaluator(exp).base_dir == str(tmp_path / "project") == exp.spec["base_dir"]
    assert evaluator(exp).output_dir == str(tmp_path / "project" / "out") and evaluator(exp).seed == 2


def test_the_saved_experiment_reads_the_same_folder_and_keeps_the_fingerprint(tmp_path, manager):
    exp = load_experiment(write(tmp_path / "project"), manager)
    save_experiment(exp)
    again = load_experiment(os.path.join(exp.output_dir, SAVED_EXPERIMENT), manager)
    assert evaluator(again).base_dir == str(tmp_path / "project")
    assert again.searcher.fingerprint == exp.searcher.fingerprint
    moved = dict(exp.spec, base_dir="/elsewhere")
    assert fingerprint(moved) == fingerprint(exp.spec)  # where data is read from, like output_dir


def test_a_set_base_dir_is_relative_to_the_file_and_parameters_win(tmp_path, manager):
    exp = load_experiment(write(tmp_path / "project", base_dir="../data"), manager)
    assert evaluator(exp).base_dir == str(tmp_path / "data")
    spec = {**SPEC, "objectives": [{"name": "w", "higher_is_better": True,
                                    "evaluator": {"name": "where", "params": {"base_dir": "mine"}}}]}
    path = tmp_path / "p2.yaml"
    path.write_text(yaml.safe_dump({**spec, "output_dir": str(tmp_path / "o")}))
    assert evaluator(load_experiment(str(path), manager)).base_dir == "mine"
    with pytest.raises(ConfigError, match="key 'base_dir': must be a directory path"):
        load_experiment(write(tmp_path / "p3", base_dir=3), manager)


def test_build_component_passes_them_when_given(tmp_path, manager):
    built = build_component("evaluators", "where", manager=manager)
    assert built.base_dir == os.getcwd() and built.output_dir is None
    built = build_component("evaluators", "where", manager=manager, base_dir=str(tmp_path), output_dir="run")
    assert (built.base_dir, built.output_dir) == (str(tmp_path), "run")
