"""One kinds table (``nas_kernel.kinds.KINDS``) drives the hooks, the registries, the experiment
builder, the CLI, the conformance kit and the scaffold: every kind shows up everywhere, spelled
the way its record spells it."""
from importlib import resources
from typing import Any, Optional

import pytest
from overrides import overrides

from nas_kernel import MeanVar, Predictor, hookimpl, hookspecs
from nas_kernel.cli import make_cli
from nas_kernel.components import build_component
from nas_kernel.experiment.errors import ConfigError
from nas_kernel.kinds import KEYS, KINDS
from nas_kernel.plugins import make_plugin_manager
from nas_kernel._scaffold import KINDS as SCAFFOLD_KINDS
from nas_kernel.testing import _runners
from nas_kernel.testing._generator import KIND_CHECKS
from toy import Distance


def test_every_kind_has_its_hook_registry_cli_choice_kit_runner_and_scaffold():
    assert [k.key for k in KINDS] == list(KEYS) and "datasets" in KEYS
    assert hookspecs.REGISTRATION_HOOKS == {k.hook: k.key for k in KINDS}
    manager = make_plugin_manager(entrypoints=False)
    assert set(manager.registry.entries) == set(KEYS)
    cli = make_cli()

    def choices(command):
        return [list(p.type.choices) for p in command.params if p.name == "kind"]

    assert choices(cli.commands["components"]) == [list(KEYS)]
    assert choices(cli.commands["plugins"].commands["new"]) == [[k.cli for k in KINDS]]
    templates = resources.files("nas_kernel") / "templates" / "plugin" / "kinds"
    for kind in KINDS:
        spec = getattr(hookspecs, kind.hook)
        assert hasattr(spec, "nas_kernel_spec") and f"Register {kind.label} factories" in spec.__doc__
        assert callable(getattr(_runners, f"check_{kind.snake}")) and kind.snake in KIND_CHECKS
        assert SCAFFOLD_KINDS[kind.cli] is kind
        stem = kind.cli.replace("-", "_")
        assert (templates / f"{stem}.py.tmpl").is_file() and (templates / f"{stem}_test.py.tmpl").is_file()


class NotAProvider:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed


class TinyProvider:  # duck-typed: get_train and get_val are the contract
    num_classes = 2
    input_shape = (1,)

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def get_train(self):
        import torch

        return torch.zeros(4, 1), torch.tensor([0, 1, 0, 1])

    get_val = get_train


def test_datasets_are_a_full_kind_built_against_their_contract_with_the_seed():
    class Data:
        @hookimpl
        def register_datasets(self, register):
            register("tiny", TinyProvider)
            register("not_one", NotAProvider)

    manager = make_plugin_manager(entrypoints=False)
    manager.register(Data(), name="data")
    built = build_component("datasets", "tiny", seed=5, manager=manager)
    assert isinstance(built, TinyProvider) and built.seed == 5
    with pytest.raises(ConfigError, match="dataset 'not_one' of plugin 'data' built a NotAProvider, not a "
                                          "DatasetProvider"):
        build_component("datasets", "not_one", manager=manager)
    with pytest.raises(ConfigError, match="unknown dataset 'nope'. Choose one of: not_one, tiny"):
        build_component("datasets", "nope", manager=manager)


class SharedPredictor(Predictor):
    @overrides
    def fit(self, encoded_archs, y):
        pass

    @overrides
    def predict(self, encoded_archs):
        return MeanVar([], [])


class Uses(Distance):
    def __init__(self, helper: Optional[Predictor] = None, untyped: Any = None, backup_predictor: Any = None) -> None:
        super().__init__()
        self.helper, self.untyped, self.backup_predictor = helper, untyped, backup_predictor


def test_a_nested_component_takes_its_kind_from_the_annotation_then_the_documented_name_rule():
    class Both:
        @hookimpl
        def register_predictors(self, register):
            register("shared", SharedPredictor)

        @hookimpl
        def register_evaluators(self, register):
            register("shared", Distance)  # the same name under two kinds
            register("uses", Uses)

    manager = make_plugin_manager(entrypoints=False)
    manager.register(Both(), name="both")
    shared = {"name": "shared"}
    built = build_component("evaluators", "uses", {"helper": shared, "backup_predictor": shared}, manager=manager)
    assert isinstance(built.helper, SharedPredictor)  # Optional[Predictor]: the predictors kind
    assert isinstance(built.backup_predictor, SharedPredictor)  # no annotation: named after the kind
    with pytest.raises(ConfigError, match="registered as several kinds .* which parameter 'untyped' wants"):
        build_component("evaluators", "uses", {"untyped": shared}, manager=manager)
