"""nas_kernel.components: one component built by kind and name, the experiment file's way."""
import pytest

from nas_kernel.components import build_component, component_factory, installed_plugins
from nas_kernel.config import ConfigError


def test_a_dataset_and_a_nested_evaluator_are_built_from_the_installed_plugins():
    digits = build_component("datasets", "digits", {})
    assert digits.num_classes == 10
    evaluator = build_component("evaluators", "partial_training", {"dataset": {"name": "digits"}, "epochs": 1})
    assert type(evaluator).__name__ == "PartialTraining"
    assert evaluator.dataset.num_classes == 10


def test_the_seed_goes_to_a_factory_that_takes_one():
    a = build_component("search_spaces", "cnn", {}, seed=3)
    b = build_component("search_spaces", "cnn", {}, seed=3)
    assert a.random_sample().archid == b.random_sample().archid


def test_an_unknown_name_or_parameter_is_one_config_error():
    with pytest.raises(ConfigError, match="unknown dataset 'no_such_data'"):
        build_component("datasets", "no_such_data")
    with pytest.raises(ConfigError, match="unknown parameter of dataset 'digits'"):
        build_component("datasets", "digits", {"colour": "red"})


def test_the_installed_manager_is_built_once_and_factories_load_lazily():
    assert installed_plugins() is installed_plugins()
    factory = component_factory("datasets", "digits")
    assert callable(factory) and factory.__name__ == "Digits"
    with pytest.raises(ConfigError):
        component_factory("ops", "no_such_op")
