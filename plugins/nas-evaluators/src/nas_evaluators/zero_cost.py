"""Zero-cost proxies: score an untrained network from a single minibatch, in well under a second,
to rank candidates before (or instead of) training them. Higher is better for every proxy here.

Each proxy works on a copy of ``model.arch`` (the candidate's weights and gradients are left
alone) with torch threads pinned, on one seeded minibatch of the dataset's training split.

* ``synflow`` - Tanaka, Kunin, Yamins & Ganguli, "Pruning neural networks without any data by
  iteratively conserving synaptic flow", NeurIPS 2020; used as a NAS proxy by Abdelfattah,
  Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for Lightweight NAS", ICLR 2021.
* ``naswot`` - Mellor, Turner, Storkey & Crowley, "Neural Architecture Search without Training",
  ICML 2021 (the activation-pattern kernel score).
* ``grad_norm`` - Abdelfattah et al., ICLR 2021 (sum of gradient norms at initialisation).
* ``snip`` - Lee, Ajanthan & Torr, "SNIP: Single-shot Network Pruning based on Connection
  Sensitivity", ICLR 2019; as a NAS proxy in Abdelfattah et al., ICLR 2021.
* ``jacov`` - Mellor, Turner, Storkey & Crowley, first version (2020) of "Neural Architecture
  Search without Training" (the Jacobian-correlation score).
"""
from __future__ import annotations

import copy
from typing import Any, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import call_releasing_memory, check_device, placed, seeded_rng
from nas_kernel.toolbox.params import check_int
from nas_evaluators.inputs import check_threads, torch_threads


class ZeroCostProxy(ModelEvaluator):
    """Shared minibatch handling; subclasses implement ``score(net, X, y)``.

    Args:
        dataset: a dataset provider (``get_train()`` -> ``(X, y)``); None means the embedded
            digits from ``nas-datasets``.
        batch_size: size of the one minibatch, drawn from the training split with ``seed``.
        torch_threads: intra-op threads while scoring (restored afterwards).
        device: ``auto`` (the first GPU when there is one, else the CPU), ``cpu``, ``cuda`` or
            ``cuda:N``; inside a ``process_pool`` with ``devices``, the worker's device.
        seed: which samples form the minibatch.
    """

    def __init__(self, dataset: Any = None, batch_size: int = 64, torch_threads: Optional[int] = 1,
                 device: str = "auto", seed: int = 1) -> None:
        if dataset is not None and not hasattr(dataset, "get_train"):
            raise ValueError(f"dataset must be a dataset provider with get_train(); got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = check_int("batch_size", batch_size, 2)
        self.torch_threads = check_threads(torch_threads, "torch_threads")
        self.device = check_device("device", device)
        self.seed = int(seed)

    def minibatch(self):
        import torch

        if self.dataset is None:
            from nas_kernel.components import build_component

            self.dataset = build_component("datasets", "digits", seed=self.seed)
        from nas_kernel.api.dataset import split_sizes
        from nas_evaluators.batches import rows_of

        n = split_sizes(self.dataset)["train"]
        idx = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed))[: self.batch_size]
        return rows_of(self.dataset, "train", idx)  # only these rows are read from a file-backed dataset

    def score(self, net, X, y) -> float:
        raise NotImplementedError

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        device = placed(self.device)
        X, y = self.minibatch()
        with torch_threads(self.torch_threads), seeded_rng(device, self.seed):
            return float(call_releasing_memory(device, f"{type(self).__name__.lower()} of {arch.archid}",
                                               self._score_on, device, arch, X, y))

    def _score_on(self, device: str, arch: ArchaiModel, X, y) -> float:
        return self.score(copy.deepcopy(arch.arch).to(device), X.to(device), y.to(device))


def _loss_gradients(net, X, y):
    """Parameters with their gradients of the cross-entropy on ``(X, y)`` (train mode)."""
    import torch.nn.functional as F

    net.train()
    net.zero_grad(set_to_none=True)
    F.cross_entropy(net(X), y).backward()
    return [p for p in net.parameters() if p.grad is not None]


class GradNorm(ZeroCostProxy):
    """Sum over parameter tensors of the L2 norm of the loss gradient."""

    @overrides
    def score(self, net, X, y) -> float:
        return float(sum(p.grad.norm(2) for p in _loss_gradients(net, X, y)))


class Snip(ZeroCostProxy):
    """Connection sensitivity: sum of |weight x loss gradient| over all weights."""

    @overrides
    def score(self, net, X, y) -> float:
        return float(sum((p.detach() * p.grad).abs().sum() for p in _loss_gradients(net, X, y)))


class Synflow(ZeroCostProxy):
    """Synaptic flow: with every weight made positive and an all-ones input, the sum of
    |weight x d(sum of outputs)/d(weight)|. Needs no labels or data values, only the input shape;
    runs in float64 and eval mode (batch statistics of a one-sample batch are meaningless)."""

    @overrides
    def score(self, net, X, y) -> float:
        import torch

        net = net.double().eval()
        with torch.no_grad():
            for p in net.parameters():
                p.abs_()
        net.zero_grad(set_to_none=True)
        net(torch.ones((1,) + tuple(X.shape[1:]), dtype=torch.float64, device=X.device)).sum().backward()
        return float(sum((p.detach() * p.grad).abs().sum() for p in net.parameters() if p.grad is not None))


class Naswot(ZeroCostProxy):
    """log|det K| where ``K[i, j]`` counts the ReLU units on which inputs ``i`` and ``j`` agree
    (both active or both inactive), over every ReLU-family call of the forward pass. Distinct
    activation patterns for distinct inputs give a larger score. Calls are observed with a
    ``TorchFunctionMode``, so ``nn.ReLU`` modules and functional ``relu`` calls both count."""

    @overrides
    def score(self, net, X, y) -> float:
        import torch
        import torch.nn.functional as F
        from torch.overrides import TorchFunctionMode

        watched = {F.relu, F.relu6, F.leaky_relu, F.rrelu, F.prelu, torch.relu, torch.Tensor.relu}
        watched |= {f for f in (getattr(F, "relu_", None), getattr(torch, "relu_", None),
                                getattr(torch.Tensor, "relu_", None), getattr(F, "leaky_relu_", None)) if f}
        n = len(X)
        K = torch.zeros((n, n), dtype=torch.float64, device=X.device)
        seen = []

        class ActivationCodes(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                if func in watched and isinstance(out, torch.Tensor) and out.dim() >= 1 and out.shape[0] == n:
                    codes = (out.detach().flatten(1) > 0).double()
                    K.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)
                    seen.append(1)
                return out

        net.train()
        with torch.no_grad(), ActivationCodes():
            net(X)
        if not seen:
            raise ValueError(f"naswot needs ReLU-family activations; none ran in {type(net).__name__}'s forward")
        return float(torch.linalg.slogdet(K)[1])


class Jacov(ZeroCostProxy):
    """Correlation of input Jacobians across the minibatch: with eigenvalues ``v`` of the
    correlation matrix of per-sample gradients d(sum of outputs)/d(input), the score is
    ``-sum(log(v + k) + 1 / (v + k))``, ``k = 1e-5``. Uncorrelated Jacobians score higher."""

    @overrides
    def score(self, net, X, y) -> float:
        import numpy as np

        net.train()
        X = X.clone().requires_grad_(True)
        net(X).sum().backward()
        J = X.grad.detach().flatten(1).double().cpu().numpy()
        v = np.linalg.eigvalsh(np.corrcoef(J))
        k = 1e-5
        return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))
