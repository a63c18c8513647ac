"""Searchers built from an experiment file, as `nas search` builds them: nested predictor
components, the injected seed, and parameters refused with the key named."""
import pytest

import nas_searchers.plugin
from nas_searchers.testing.digit_space import Accuracy, DigitSpace, Size
from nas_kernel import hookimpl
from nas_kernel.experiment.build import build_experiment
from nas_kernel.experiment.errors import ConfigError
from nas_kernel.experiment.shape import validate
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.testing.reference import NeighbourMean


class DigitsPlugin:
    """The digit space, its objectives and the kernel's reference predictor, registered as a
    plugin would register them."""

    @hookimpl
    def register_predictors(self, register):
        register("neighbour_mean", NeighbourMean)

    @hookimpl
    def register_search_spaces(self, register):
        register("digits", DigitSpace)

    @hookimpl
    def register_evaluators(self, register):
        register("acc", Accuracy)
        register("size", Size)


def build(tmp_path, searcher):
    manager = make_plugin_manager(entrypoints=False)
    for plugin, name in ((nas_searchers.plugin, "searchers"), (DigitsPlugin(), "digits")):
        manager.register(plugin, name=name)
    raw = {"seed": 7, "output_dir": str(tmp_path / "run"), "search_space": {"name": "digits"},
           "objectives": [{"name": "acc", "higher_is_better": True, "evaluator": {"name": "acc"}},
                          {"name": "size", "higher_is_better": False, "compute_intensive": False,
                           "evaluator": {"name": "size"}}],
           "searcher": searcher}
    return build_experiment(validate(raw, "exp.yaml"), "exp.yaml", manager)


def test_bananas_gets_its_surrogate_built_from_the_file(tmp_path):
    experiment = build(tmp_path, {"name": "bananas", "params": {
        "num_iters": 3, "surrogate_model": {"name": "neighbour_mean", "params": {"k": 2}}}})
    searcher = experiment.searcher
    assert isinstance(searcher.surrogate_model, NeighbourMean)
    assert searcher.surrogate_model.k == 2 and searcher.surrogate_model.seed == 7
    assert searcher.seed == 7
    searcher.progress = False
    assert searcher.search().iteration_num == 3


@pytest.mark.parametrize("params,key", [
    ({"num_iters": 0}, "searcher.params"),
    ({"trial_counter": "sometimes"}, "searcher.params"),
    ({"colony": 3}, "searcher.params.colony"),
])
def test_bad_parameters_are_config_errors_naming_the_key(tmp_path, params, key):
    with pytest.raises(ConfigError) as info:
        build(tmp_path, {"name": "bee_colony", "params": params})
    assert info.value.key == key
