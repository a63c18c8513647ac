"""Every space passes every conformance check (space_checks.py) and trains on a tiny CPU batch."""
import pytest

import space_checks
from spaces import SPACES, batch


@pytest.mark.parametrize("check", space_checks.ALL_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_conformance(space_name, check):
    check(SPACES[space_name][0])


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_models_run_forward_and_backward(space_name):
    make, shape, out_shape = SPACES[space_name]
    space_checks.check_models_train_on_cpu(make, batch(shape), out_shape)


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_different_seeds_differ(space_name):
    make = SPACES[space_name][0]
    a = [m.archid for m in _n(make(seed=1), 6)]
    b = [m.archid for m in _n(make(seed=2), 6)]
    assert a != b


def _n(space, n):
    return [space.random_sample() for _ in range(n)]


@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_built_modules_pickle_for_spawn_workers(space_name):
    import pickle

    import torch

    make, shape, _ = SPACES[space_name]
    model = make().random_sample()
    clone = pickle.loads(pickle.dumps(model.arch))
    x = batch(shape)
    model.arch.eval()
    clone.eval()
    with torch.no_grad():
        assert torch.allclose(model.arch(x), clone(x))
