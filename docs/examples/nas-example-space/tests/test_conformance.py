"""Every conformance check that applies to the space (it is evolutionary and Bayes-opt capable,
so the mutate, crossover and encode checks run too)."""
from nas_kernel.testing import parametrize_with_checks

from nas_example_space.space import MLPSearchSpace


@parametrize_with_checks([MLPSearchSpace(seed=0), MLPSearchSpace(depths=[2], widths=[8], activations=["gelu"], seed=3)])
def test_conformance(component, check):
    check(component)
