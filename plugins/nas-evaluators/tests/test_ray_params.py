"""The `ray` evaluator's parameters are checked when it is built (no Ray needed): one ValueError
naming the parameter, which `nas search` turns into exit 2 naming the key."""
import pytest

from nas_evaluators import EvaluationFunction, RayParallelEvaluator

INNER = EvaluationFunction("zlib:crc32")


@pytest.mark.parametrize("params,name", [
    ({"num_cpus": -1}, "num_cpus"), ({"num_gpus": float("nan")}, "num_gpus"), ({"max_in_flight": 0}, "max_in_flight"),
    ({"max_retries": -1}, "max_retries"), ({"start_timeout": 0}, "start_timeout"), ({"timeout": 0}, "timeout"),
    ({"address": ""}, "address"),
])
def test_bad_parameters_name_themselves(params, name):
    with pytest.raises(ValueError, match=name):
        RayParallelEvaluator(INNER, **params)


def test_fractional_resources_and_caps_are_kept():
    ev = RayParallelEvaluator(INNER, num_cpus=0.5, num_gpus=0.25, max_in_flight=3, max_retries=2, start_timeout=5)
    assert (ev.num_cpus, ev.num_gpus, ev.max_in_flight, ev.max_retries, ev.start_timeout) == (0.5, 0.25, 3, 2, 5.0)
