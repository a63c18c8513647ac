"""``ArchParams`` used the way Archai code uses it: a read-only mapping from names to
architecture parameters, created by an ``ArchModule`` (the registrar owns them), shared by
passing it around, and found again with ``from_module``."""
from __future__ import annotations

import pytest
import torch
from overrides import overrides
from torch import nn

# Archai: from archai.supergraph.nas.arch_module import ArchModule
from nas_supergraph.arch_module import ArchModule
# Archai: from archai.supergraph.nas.arch_params import ArchParams
from nas_supergraph.arch_params import ArchParams


class Gate(ArchModule):
    """An Archai-style op with its own alphas and betas (created) or someone else's (shared)."""

    def __init__(self, shared=None):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1)
        if shared is None:
            self.created = self.create_arch_params([("alphas", nn.Parameter(torch.zeros(3))),
                                                    ("betas", nn.ParameterList([nn.Parameter(torch.ones(2))]))])
        else:
            self.set_arch_params(shared)

    @overrides
    def forward(self, x):
        alphas = next(self.arch_params().param_by_kind("alphas"))
        return self.conv(x) * torch.softmax(alphas, 0)[0]


def test_arch_params_is_a_read_only_mapping():
    alphas, betas = nn.Parameter(torch.zeros(3)), nn.ParameterDict({"b": nn.Parameter(torch.ones(1))})
    params = ArchParams([("alphas", alphas), ("betas", betas)])
    assert len(params) == 2 and list(params) == ["alphas", "betas"] and list(params.keys()) == ["alphas", "betas"]
    assert list(params.values()) == [alphas, betas] and dict(params.items()) == {"alphas": alphas, "betas": betas}
    assert params["alphas"] is alphas and "betas" in params and "gammas" not in params
    assert params.get("gammas") is None and dict(params)["betas"] is betas
    assert params.has_kind("alphas") and not params.has_kind("gammas")
    assert list(params.param_by_kind("betas")) == [betas] and len(list(params.param_by_kind(None))) == 2
    with pytest.raises(RuntimeError, match="cannot be changed"):
        params["alphas"] = nn.Parameter(torch.zeros(1))
    with pytest.raises(RuntimeError, match="cannot be changed"):
        del params["alphas"]
    with pytest.raises(KeyError):
        params["gammas"]
    assert len(ArchParams.empty()) == 0 and list(ArchParams.empty().items()) == []


def test_a_registrar_gets_the_parameters_it_registers():
    registrar = nn.Module()
    gamma = nn.Parameter(torch.ones(2))
    params = ArchParams([("gamma", gamma)], registrar=registrar)
    assert dict(registrar.named_parameters()) == {"gamma_arch_param": gamma}
    assert "gamma_arch_param" in registrar.state_dict() and params["gamma"] is gamma


def test_arch_modules_create_share_and_collect_mappings():
    owner = Gate()
    sharer = Gate(owner.arch_params())
    net = nn.Sequential(owner, sharer)
    assert isinstance(owner.created, ArchParams) and dict(owner.created) == dict(owner.arch_params(only_owned=True))
    assert list(owner.arch_params()) == ["alphas", "betas"] and list(owner.all_owned().keys()) == ["alphas", "betas"]
    assert len(sharer.arch_params(only_owned=True)) == 0 and sharer.arch_params()["alphas"] is owner.arch_params()["alphas"]
    found = ArchParams.from_module(net, recurse=True)
    assert isinstance(found, ArchParams) and list(found) == ["alphas", "betas"]  # shared: listed once
    assert len(ArchParams.from_module(net, recurse=False)) == 0  # a plain container uses none itself
    assert list(ArchParams.from_module(owner)) == ["alphas", "betas"]
    # the owner's parameters are its own; the sharer only points at them
    assert {n for n, _ in owner.named_parameters() if "_arch_param" in n} == {"alphas_arch_param",
                                                                             "betas_arch_param.0"}
    assert not any("_arch_param" in n for n, _ in sharer.named_parameters())
    assert net(torch.randn(1, 2, 3, 3)).shape == (1, 2, 3, 3)
