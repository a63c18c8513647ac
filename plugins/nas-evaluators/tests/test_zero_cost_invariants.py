"""Zero-cost proxies keep the properties their papers state: synflow needs no data and obeys the
layer-wise conservation of synaptic flow (Tanaka et al. 2020), the NASWOT and Jacobian-covariance
scores depend on the set of inputs, not their order, and NASWOT penalises inputs that share an
activation pattern (Mellor et al. 2021), SNIP is invariant to the scale of weights a batch norm
follows (Lee et al. 2019) where the gradient norm is not."""
import copy
import math

import pytest
import torch
from torch import nn

from nas_evaluators.testing.models import cnn_model
from nas_kernel.api import ArchaiModel
from nas_kernel.testing.reference import Glyphs
from nas_evaluators import GradNorm, Jacov, Naswot, Snip, Synflow

IMAGES = Glyphs(seed=1)


def test_synflow_needs_no_data_only_the_input_shape():
    model = cnn_model(8)
    noise = Glyphs(seed=9, train=16, val=4, test=0)  # other images of the same shape
    assert Synflow(IMAGES).evaluate(model) == Synflow(noise, batch_size=2).evaluate(model)


def test_synflow_is_conserved_layer_by_layer():
    """With |W| and an all-ones input, R = sum of outputs is homogeneous of degree one in each
    layer's weights, so every layer carries the same flow, R, and the score is depth x R."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 20, bias=False), nn.ReLU(), nn.Linear(20, 12, bias=False),
                        nn.ReLU(), nn.Linear(12, 3, bias=False))
    with torch.no_grad():
        flow = torch.ones(1, 64, dtype=torch.float64)
        for layer in (net[1], net[3], net[5]):
            flow = flow @ layer.weight.detach().double().abs().T
    assert Synflow(IMAGES).evaluate(ArchaiModel(net, "deep-linear")) == pytest.approx(3 * float(flow.sum()), rel=1e-9)


def batch(proxy):
    X, y = proxy.minibatch()
    return X, y, torch.randperm(len(y), generator=torch.Generator().manual_seed(5))


@pytest.mark.parametrize("proxy_class", [Naswot, Jacov], ids=lambda c: c.__name__)
def test_set_scores_do_not_depend_on_the_order_of_the_minibatch(proxy_class):
    proxy = proxy_class(IMAGES, batch_size=32)
    X, y, perm = batch(proxy)
    torch.manual_seed(0)
    net = cnn_model(8).arch
    a = proxy.score(net, X, y)
    b = proxy.score(net, X[perm], y[perm])
    assert a == pytest.approx(b, rel=1e-6, abs=1e-6)


def test_naswot_penalises_inputs_with_one_activation_pattern():
    proxy = Naswot(IMAGES, batch_size=16)
    X, y, _ = batch(proxy)
    net = cnn_model(16).arch
    distinct = proxy.score(net, X, y)
    repeated = X.clone()
    repeated[1] = repeated[0]  # two inputs with the same codes make the kernel singular
    assert math.isfinite(distinct)
    assert proxy.score(net, repeated, y) < distinct - 5


def test_snip_is_invariant_to_the_scale_of_weights_before_batch_norm_grad_norm_is_not():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                        nn.Linear(8 * 64, 10))
    scaled = copy.deepcopy(net)
    with torch.no_grad():
        scaled[0].weight.mul_(4.0)
    snip = Snip(IMAGES, batch_size=32)
    assert snip.evaluate(ArchaiModel(net, "a")) == pytest.approx(snip.evaluate(ArchaiModel(scaled, "b")), rel=1e-4)
    norm = GradNorm(IMAGES, batch_size=32)
    assert norm.evaluate(ArchaiModel(net, "a")) != pytest.approx(norm.evaluate(ArchaiModel(scaled, "b")), rel=1e-2)
