"""Zero-cost proxies: finite, deterministic, leave the candidate alone, and one checked by hand."""
import math

import pytest
import torch
from torch import nn

from nas_evaluators.testing.models import TwoLayer, cnn_model
from nas_kernel.testing.reference import Glyphs
from nas_kernel.api import ArchaiModel
from nas_evaluators import GradNorm, Jacov, Naswot, Snip, Synflow

IMAGES = Glyphs(seed=1)
PROXIES = [Synflow, Naswot, GradNorm, Snip, Jacov]


@pytest.mark.parametrize("proxy", PROXIES, ids=lambda c: c.__name__)
def test_proxy_is_finite_deterministic_and_leaves_model_alone(proxy):
    model = cnn_model(8)
    before = {k: v.clone() for k, v in model.arch.state_dict().items()}
    a = proxy(IMAGES, batch_size=32).evaluate(model)
    b = proxy(IMAGES, batch_size=32).evaluate(model)
    assert math.isfinite(a) and a == b
    assert all(torch.equal(before[k], v) for k, v in model.arch.state_dict().items())
    assert all(p.grad is None for p in model.arch.parameters())


def test_synflow_by_hand_on_a_linear_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 3, bias=False))
    # all-ones input, |W|: R = sum |W|, dR/dW = 1, so the score is sum |W|
    expected = float(net[1].weight.detach().double().abs().sum())
    assert Synflow(IMAGES).evaluate(ArchaiModel(net, "lin")) == pytest.approx(expected, rel=1e-9)


def test_snip_and_grad_norm_by_autograd_on_a_linear_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    proxy = Snip(IMAGES, batch_size=16, seed=4)
    X, y = proxy.minibatch()
    loss = nn.functional.cross_entropy(net(X), y)
    grads = torch.autograd.grad(loss, list(net.parameters()))
    snip = sum(float((p.detach() * g).abs().sum()) for p, g in zip(net.parameters(), grads))
    norm = sum(float(g.norm()) for g in grads)
    model = ArchaiModel(net, "lin")
    assert proxy.evaluate(model) == pytest.approx(snip, rel=1e-5)
    assert GradNorm(IMAGES, batch_size=16, seed=4).evaluate(model) == pytest.approx(norm, rel=1e-5)


def test_naswot_sees_relu_modules_and_functions_and_separates_wider_nets():
    with pytest.raises(ValueError, match="ReLU"):
        Naswot(IMAGES).evaluate(ArchaiModel(nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), "lin"))
    functional = Naswot(IMAGES).evaluate(ArchaiModel(TwoLayer(), "functional-relu"))
    assert math.isfinite(functional) and functional > 0
    narrow, wide = Naswot(IMAGES).evaluate(cnn_model(2)), Naswot(IMAGES).evaluate(cnn_model(32))
    assert wide > narrow  # more units give more distinct activation patterns


def test_proxy_parameters_validated():
    with pytest.raises(ValueError, match="batch_size"):
        Snip(batch_size=1)
    with pytest.raises(ValueError, match="dataset"):
        Snip(dataset=42)
