"""nas_kernel.components: one component built by kind and name, the experiment file's way, through
the plugin manager in use (``nas_kernel.plugins_in_use``): the ``nas`` command's, the builder's
while a factory runs, else a new manager of the installed plugins."""
import pytest
from overrides import overrides

from nas_kernel import ModelEvaluator, hookimpl
from nas_kernel.components import build_component, component_factory
from nas_kernel.experiment.errors import ConfigError
from nas_kernel.plugins import make_plugin_manager
from nas_kernel.plugins_in_use import plugins_in_use, using_plugins
from support import make_dist, run_nas
from toy import Distance


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


def test_outside_every_scope_the_default_is_a_new_manager_and_factories_load_lazily():
    first, second = plugins_in_use(), plugins_in_use()
    assert first is not second  # no process-wide manager: nothing is kept between calls
    assert "digits" in first.registry.names("datasets") and "digits" in second.registry.names("datasets")
    factory = component_factory("datasets", "digits")
    assert callable(factory) and factory.__name__ == "Digits"
    with pytest.raises(ConfigError):
        component_factory("ops", "no_such_op")


def test_using_plugins_scopes_nest_and_end():
    outer, inner = make_plugin_manager(entrypoints=False), make_plugin_manager(entrypoints=False)
    with using_plugins(outer):
        assert plugins_in_use() is outer
        with using_plugins(inner):
            assert plugins_in_use() is inner
        assert plugins_in_use() is outer
    assert plugins_in_use() not in (outer, inner)
    with pytest.raises(ValueError, match="needs a plugin manager"):
        with using_plugins(None):
            pass


class OnlyHere(Distance):
    """An evaluator only the test's own manager registers."""


class WithDefault(ModelEvaluator):
    """Builds another plugin's component as its default, as ``partial_training`` builds digits."""

    def __init__(self, inner: ModelEvaluator = None) -> None:
        self.inner = inner if inner is not None else build_component("evaluators", "only_here")

    @overrides
    def evaluate(self, arch, budget=None):
        return self.inner.evaluate(arch, budget)


class Registers:
    @hookimpl
    def register_evaluators(self, register):
        register("only_here", OnlyHere)
        register("with_default", WithDefault)


def test_a_default_a_factory_builds_comes_from_the_builders_manager_and_scopes_reach_lazy_defaults():
    manager = make_plugin_manager(entrypoints=False, strict=True)
    manager.register(Registers(), name="registers")
    built = build_component("evaluators", "with_default", manager=manager)
    assert isinstance(built.inner, OnlyHere)
    with pytest.raises(ConfigError, match="unknown evaluator 'only_here'"):  # no other manager sees it
        WithDefault()
    with using_plugins(manager):  # Python code opens the scope itself around what it runs
        assert isinstance(WithDefault().inner, OnlyHere)


DEFAULTS_PLUGIN = """\
from overrides import overrides

from nas_kernel import ModelEvaluator, hookimpl
from nas_kernel.components import build_component


class WithDefaults(ModelEvaluator):
    \"\"\"Builds the toy 'distance' as a default twice: when built, and lazily when first used.\"\"\"

    def __init__(self) -> None:
        self.built = build_component("evaluators", "distance")
        self.lazy = None

    @overrides
    def evaluate(self, arch, budget=None):
        if self.lazy is None:
            self.lazy = build_component("evaluators", "distance")
        return self.lazy.evaluate(arch, budget)


@hookimpl
def register_evaluators(register):
    register("with_defaults", WithDefaults)
"""


def test_through_the_cli_a_plugins_defaults_come_from_the_clis_own_manager(tmp_path, toy_site, experiment):
    """Tracing shows every registration hook call: had a default been built through any manager but
    the command's, the registration hooks would have run again, traced by that second manager."""
    path, out = experiment
    make_dist(toy_site, "fake-defaults", "1.0", {"fake_defaults": "fake_defaults"}, {"fake_defaults": DEFAULTS_PLUGIN})
    path.write_text(path.read_text().replace("evaluator: {name: distance}", "evaluator: {name: with_defaults}"))
    env = {"NAS_LOAD_PLUGINS": "nas-toy,fake-defaults", "NAS_TRACE_PLUGINS": "1"}
    done = run_nas(["search", str(path), "-q"], pythonpath=[toy_site], env_extra=env)
    assert done.returncode == 0, done.stderr
    assert (out / "search_state.csv").is_file()
    registrations = [line for line in done.stderr.splitlines() if line.startswith("nas trace: register_evaluators ->")]
    assert sorted(registrations) == ["nas trace: register_evaluators -> fake_defaults (register)",
                                     "nas trace: register_evaluators -> toy (register)"]
