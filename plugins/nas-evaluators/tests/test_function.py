"""EvaluationFunction and the "module:attr" references YAML uses."""
import pickle

import pytest

from nas_evaluators.testing.worker_functions import archid_length
from nas_kernel.api import ArchaiModel
from nas_evaluators import EvaluationFunction


def test_callable_and_reference_give_the_same_value():
    m = ArchaiModel(None, "abcd")
    assert EvaluationFunction(archid_length).evaluate(m) == 4.0
    by_name = EvaluationFunction("nas_evaluators.testing.worker_functions:archid_length")
    assert by_name.evaluate(m) == 4.0
    assert pickle.loads(pickle.dumps(by_name)).evaluate(m) == 4.0  # travels as text


@pytest.mark.parametrize("ref, word", [("not a ref", "evaluation_fn"), (42, "callable")])
def test_bad_references_fail_at_construction(ref, word):
    with pytest.raises(ValueError, match=word):
        EvaluationFunction(ref)


def test_unimportable_reference_fails_clearly():
    with pytest.raises(ValueError, match="cannot be imported"):
        EvaluationFunction("no_such_module_xyz:f").evaluate(ArchaiModel(None, "a"))
