"""The experiment file: every mistake is one message naming the file and the key."""
import pytest
import yaml
from overrides import overrides

from nas_kernel import ModelEvaluator, hookimpl

from nas_kernel.experiment.build import load_experiment
from nas_kernel.experiment.errors import ConfigError
from nas_kernel.experiment.identity import fingerprint
from nas_kernel.experiment.overrides import apply_overrides
from nas_kernel.experiment.shape import validate
from nas_kernel.loop import IterativeSearcher
from toy import Distance

GOOD = {
    "seed": 3, "output_dir": "OUT",
    "search_space": {"name": "toy"},
    "objectives": [
        {"name": "distance", "higher_is_better": False, "evaluator": {"name": "distance", "params": {"target": 7}}},
        {"name": "size", "higher_is_better": True, "compute_intensive": False, "evaluator": {"name": "size"},
         "constraint": [0, 9000]},
    ],
    "searcher": {"name": "toy_random", "params": {"num_iters": 2}},
}


def build(tmp_path, manager, mutate=None, text=None):
    spec = yaml.safe_load(yaml.safe_dump(GOOD))
    spec["output_dir"] = str(tmp_path / "out")
    if mutate:
        mutate(spec)
    path = tmp_path / "exp.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(spec))
    return load_experiment(str(path), manager)


def test_good_file_builds_components_and_injects_the_seed(tmp_path, toy_manager):
    exp = build(tmp_path, toy_manager)
    assert isinstance(exp.searcher, IterativeSearcher)
    assert exp.searcher.seed == 3 and exp.search_space.rng.random() == __import__("random").Random(3).random()
    assert exp.objectives.objectives["distance"]["evaluator"].target == 7
    assert exp.objectives.objectives["size"]["constraint"] == (0.0, 9000.0)
    assert exp.run_context().plugin_manager is toy_manager


CASES = [
    (lambda s: s.update(serach_space=1), "serach_space", "unknown key"),
    (lambda s: s.pop("objectives"), "objectives", "missing"),
    (lambda s: s.update(objectives=[]), "objectives", "non-empty list"),
    (lambda s: s.update(seed="one"), "seed", "whole number"),
    (lambda s: s.update(seed=-1), "seed", "whole number from 0"),
    (lambda s: s.update(seed=10**30), "seed", "2**63"),
    (lambda s: s.update(max_failures=True), "max_failures", "whole number"),
    (lambda s: s.update(search_space="toy"), "search_space", "got the text 'toy'"),
    (lambda s: s["search_space"].update(name="resnet"), "search_space.name", "Choose one of: toy"),
    (lambda s: s["search_space"].update(params={"sise": 3}), "search_space.params.sise",
     "its parameters are: size, step, seed"),
    (lambda s: s["search_space"].update(params={"size": "big"}), "search_space.params.size", "expected int"),
    (lambda s: s["search_space"].update(params={"size": 1}), "search_space.params", "size must be at least 2"),
    (lambda s: s["searcher"].update(params={"num_iters": 0}), "searcher.params", "num_iters must be at least 1"),
    (lambda s: s["searcher"].update(params={"num_iters": 2.5}), "searcher.params.num_iters", "expected int"),
    (lambda s: s["searcher"].update(extra=1), "searcher.extra", "unknown key"),
    (lambda s: s["objectives"][0].pop("higher_is_better"), "objectives[0].higher_is_better", "missing"),
    (lambda s: s["objectives"][0].update(higher_is_better="yes"), "objectives[0].higher_is_better", "true or false"),
    (lambda s: s["objectives"][0].update(constraint=[0, 1]), "objectives[0].constraint", "compute_intensive: false"),
    (lambda s: s["objectives"][1].update(constraint=[5, 1]), "objectives[1].constraint", "above high"),
    (lambda s: s["objectives"][1].update(constraint=["a", 1]), "objectives[1].constraint", "[low, high]"),
    (lambda s: s["objectives"][1].update(name="distance"), "objectives[1].name", "already used"),
    (lambda s: s["objectives"][0]["evaluator"].update(params={"target": {"name": "nope"}}),
     "objectives[0].evaluator.params.target.name", "no plugin registers it"),
    (lambda s: s.update(constraints=[{"name": "c", "evaluator": {"name": "size"}}]), "constraints[0].constraint",
     "missing"),
    (lambda s: s.pop("output_dir"), "output_dir", "missing"),
]


@pytest.mark.parametrize("mutate,key,message", CASES)
def test_mistakes_name_the_key(tmp_path, toy_manager, mutate, key, message):
    with pytest.raises(ConfigError) as err:
        build(tmp_path, toy_manager, mutate)
    assert err.value.key == key and message in str(err.value)
    assert str(tmp_path / "exp.yaml") in str(err.value)
    assert not (tmp_path / "out").exists()  # nothing written


@pytest.mark.parametrize("text,message", [
    ("seed: [1\n", "invalid YAML at line"),
    ("- 1\n- 2\n", "mapping of keys, got a list"),
    ("", "mapping of keys, got nothing"),
    ("!!python/object/apply:os.system ['touch /tmp/hacked']\n", "invalid YAML"),
    ("seed: &a [*a]\n", "key 'seed': expected a whole number"),
])
def test_broken_yaml_is_one_message(tmp_path, toy_manager, text, message):
    with pytest.raises(ConfigError, match=message):
        build(tmp_path, toy_manager, text=text)


def test_missing_file_and_directory(tmp_path, toy_manager):
    with pytest.raises(ConfigError, match="no such file"):
        load_experiment(str(tmp_path / "nope.yaml"), toy_manager)
    with pytest.raises(ConfigError, match="is a directory"):
        load_experiment(str(tmp_path), toy_manager)


def test_overrides_set_nested_keys_with_yaml_values():
    raw = apply_overrides(GOOD, ["searcher.params.num_iters=7", "objectives[1].constraint=[1, 2]", "seed=4",
                                 "search_space.params.size=50"], "f")
    assert raw["searcher"]["params"]["num_iters"] == 7 and raw["objectives"][1]["constraint"] == [1, 2]
    assert raw["search_space"]["params"] == {"size": 50} and raw["seed"] == 4
    assert GOOD["seed"] == 3  # the input is not modified
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        apply_overrides(GOOD, ["novalue"], "f")
    with pytest.raises(ConfigError, match="cannot set"):
        apply_overrides(GOOD, ["objectives[9].name=x"], "f")


def test_fingerprint_ignores_output_dir_but_not_the_seed():
    a = validate(dict(GOOD), "f")
    assert fingerprint(a) == fingerprint(validate(dict(GOOD), "f", output_dir="elsewhere"))
    assert fingerprint(a) != fingerprint(validate(dict(GOOD), "f", seed=9))


def test_nested_components_are_built_recursively(tmp_path, toy_manager):
    class Wrapper(ModelEvaluator):
        def __init__(self, evaluator: ModelEvaluator = None, scale: float = 1.0):
            self.inner, self.scale = evaluator, scale

        @overrides
        def evaluate(self, model, budget=None):
            return self.scale * self.inner.evaluate(model, budget)

    class P:
        @hookimpl
        def register_evaluators(self, register):
            register("wrapper", Wrapper)

    toy_manager.register(P(), name="wrapper_plugin")

    def mutate(s):
        s["objectives"][0]["evaluator"] = {"name": "wrapper", "params": {
            "evaluator": {"name": "distance", "params": {"target": 1}}, "scale": 2}}

    exp = build(tmp_path, toy_manager, mutate)
    wrapper = exp.objectives.objectives["distance"]["evaluator"]
    assert isinstance(wrapper.inner, Distance) and wrapper.inner.target == 1 and wrapper.scale == 2
