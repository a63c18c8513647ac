"""The Archai-compatible contracts: models, ABC enforcement, objectives and their cache."""
import numpy as np
import pytest
from overrides import overrides

from nas_kernel import (ArchaiModel, AsyncModelEvaluator, DiscreteSearchSpace, ModelEvaluator, SearchObjectives)
from toy import AsyncDistance, Distance, Size, _model


def test_archai_model_repr_matches_archai():
    model = ArchaiModel("net", "a1", {"k": 1})
    assert repr(model) == "ArchaiModel(\n\tarchid=a1, \n\tmetadata={'k': 1}, \n\tarch=net\n)"


def test_metadata_defaults_to_fresh_dict_and_clear_drops_arch():
    a, b = ArchaiModel("x", "a"), ArchaiModel("y", "b")
    a.metadata["k"] = 1
    assert b.metadata == {}
    a.clear()
    assert a.arch is None and a.archid == "a" and a.metadata == {"k": 1}


def test_lazy_arch_is_built_once_on_first_access():
    calls = []
    model = ArchaiModel(None, "lazy", builder=lambda: calls.append(1) or "module")
    assert not model.is_built and "<not built>" in repr(model)
    assert model.arch == "module" and model.arch == "module"
    assert calls == [1]


def test_archid_must_be_non_empty_text():
    with pytest.raises(ValueError, match="archid"):
        ArchaiModel("x", "")


def test_override_without_decorator_is_refused():
    with pytest.raises(TypeError, match="override"):
        class Bad(ModelEvaluator):  # noqa: F841
            def evaluate(self, model, budget=None):
                return 1.0


def test_incomplete_subclass_cannot_be_instantiated():
    class Half(DiscreteSearchSpace):
        @overrides
        def random_sample(self):
            return ArchaiModel("x", "x")

    with pytest.raises(TypeError, match="abstract"):
        Half()


def objectives_with(evaluator=None, constraint=(0, 9000)):
    so = SearchObjectives()
    so.add_objective("distance", evaluator or Distance(), higher_is_better=False)
    so.add_objective("size", Size(), higher_is_better=True, compute_intensive=False, constraint=constraint)
    return so


def test_objective_views_keep_insertion_order():
    so = objectives_with()
    so.add_constraint("size2", Size(), (0, 10))
    assert so.objective_names == ["distance", "size"]
    assert so.cheap_objective_names == ["size"] and so.expensive_objective_names == ["distance"]
    assert list(so.constraints) == ["size2"]


def test_constraint_on_expensive_objective_and_duplicate_names_are_refused():
    so = SearchObjectives()
    with pytest.raises(ValueError, match="cheap objective"):
        so.add_objective("d", Distance(), higher_is_better=False, constraint=(0, 1))
    so.add_objective("d", Distance(), higher_is_better=False)
    with pytest.raises(ValueError, match="constraint .d.: name .d. is already used by an objective"):
        so.add_constraint("d", Size(), (0, 1))
    with pytest.raises(TypeError, match="ModelEvaluator"):
        so.add_objective("e", object(), higher_is_better=True)


def test_constraint_values_are_cached_and_reused_as_objective_values():
    size = Size()
    so = SearchObjectives()
    so.add_objective("size", size, higher_is_better=True, compute_intensive=False, constraint=(0, 100))
    models = [_model(5), _model(500)]
    values, valid = so.validate_constraints(models)
    assert list(valid) == [0] and list(values["size"]) == [5.0, 500.0]
    assert so.eval_all_objs(models)["size"].tolist() == [5.0, 500.0]
    assert size.calls == 2  # the objective reused the constraint evaluation
    assert so.is_model_valid(_model(7)) and not so.is_model_valid(_model(700))


def test_cache_key_includes_budget_and_same_key_in_one_call_is_computed_once():
    dist = Distance(target=0)
    so = SearchObjectives()
    so.add_objective("distance", dist, higher_is_better=False)
    models = [_model(4), _model(4), _model(4)]
    out = so.eval_all_objs(models, budgets={"distance": [1, 1.0, 2]})
    assert out["distance"].tolist() == [16.0, 16.0, 8.0]
    assert dist.calls == 2
    assert so.lookup_cache("distance", "x4", 2) == 8.0 and so.lookup_cache("distance", "x4", None) is None


def test_async_objectives_are_sent_first_and_fetched_in_send_order():
    so = SearchObjectives()
    so.add_objective("d", AsyncDistance(target=0), higher_is_better=False)
    so.add_objective("s", Size(), higher_is_better=True)
    out = so.eval_all_objs([_model(3), _model(1), _model(2)])
    assert out["d"].tolist() == [9.0, 1.0, 4.0] and out["s"].tolist() == [3.0, 1.0, 2.0]


class Flaky(ModelEvaluator):
    def __init__(self):
        self.calls = 0

    @overrides
    def evaluate(self, model, budget=None):
        self.calls += 1
        x = int(model.archid[1:])
        if x == 1:
            raise RuntimeError("boom")
        if x == 2:
            return float("nan")
        model.metadata["epochs_trained"] = 3
        return float(x)


def test_failures_are_recorded_as_nan_with_their_error_and_not_retried():
    flaky = Flaky()
    so = SearchObjectives()
    so.add_objective("f", flaky, higher_is_better=True)
    seen = []
    so.recorders.append(lambda name, model, budget, ev: seen.append((model.archid, ev.status, ev.error)))
    out = so.eval_all_objs([_model(1), _model(2), _model(3)])
    assert np.isnan(out["f"][:2]).all() and out["f"][2] == 3.0
    assert seen[0][1] == "failed" and "RuntimeError: boom" in seen[0][2]
    assert seen[1] == ("x2", "failed", "evaluator returned NaN")
    so.eval_all_objs([_model(1), _model(2)])
    assert flaky.calls == 3  # failures are cached: no retry storm


def test_cache_hit_gives_back_the_metadata_the_evaluator_set():
    so = SearchObjectives()
    so.add_objective("f", Flaky(), higher_is_better=True)
    so.eval_all_objs([_model(3)])
    fresh = _model(3)
    so.eval_all_objs([fresh])
    assert fresh.metadata == {"epochs_trained": 3}


def test_async_fetch_count_mismatch_is_an_error():
    class Lossy(AsyncModelEvaluator):
        @overrides
        def send(self, model, budget=None):
            pass

        @overrides
        def fetch_all(self):
            return []

    so = SearchObjectives()
    so.add_objective("f", Lossy(), higher_is_better=True)
    with pytest.raises(RuntimeError, match="returned 0 results for 1 sent"):
        so.eval_all_objs([_model(1)])


def test_cache_roundtrips_through_plain_yaml(tmp_path):
    so = objectives_with()
    so.eval_all_objs([_model(1), _model(2)], budgets={"distance": [None, 2]})
    path = tmp_path / "cache.yaml"
    so.save_cache(str(path))
    assert "!!python" not in path.read_text()
    other = objectives_with()
    other.load_cache(str(path))
    assert other.lookup_cache("distance", "x2", 2.0) == so.lookup_cache("distance", "x2", 2)


@pytest.mark.parametrize("content,match", [
    ("!!python/object/apply:os.system ['echo hacked']", "not a cache file"),
    ("{a: 1}", "list of records"),
    ("- {objective: d, archid: x, value: [1]}", "value must be a number"),
    ("- {objective: d}", "needs objective, archid and value"),
])
def test_hostile_or_malformed_cache_files_are_refused(tmp_path, content, match):
    path = tmp_path / "cache.yaml"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        objectives_with().load_cache(str(path))


def test_empty_inputs_give_empty_results():
    so = objectives_with()
    assert so.eval_all_objs([]) == {}
    assert SearchObjectives().eval_all_objs([_model(1)]) == {}
    assert list(SearchObjectives().validate_constraints([_model(1), _model(2)])[1]) == [0, 1]


class Remote(AsyncModelEvaluator):
    """Writes metadata back into the sent models and explains its failures, as pools do."""

    def __init__(self):
        self.queue, self.last_errors = [], {}

    @overrides
    def send(self, model, budget=None):
        self.queue.append(model)

    @overrides
    def fetch_all(self):
        out, self.last_errors = [], {}
        for model in self.queue:
            if model.archid == "x1":
                self.last_errors[model.archid] = "worker died (signal 9)"
                out.append(None)
            else:
                model.metadata["epochs_trained"] = 2
                out.append(1.0)
        self.queue = []
        return out


def test_async_metadata_is_kept_and_failure_reasons_are_recorded():
    so = SearchObjectives()
    so.add_objective("f", Remote(), higher_is_better=True)
    seen = {}
    so.recorders.append(lambda name, model, budget, ev: seen.update({model.archid: ev}))
    so.eval_all_objs([_model(1), _model(2)])
    assert seen["x1"].error == "worker died (signal 9)" and seen["x2"].metadata == {"epochs_trained": 2}
    fresh = _model(2)
    so.eval_all_objs([fresh])
    assert fresh.metadata == {"epochs_trained": 2}
