"""An ensemble of small MLPs: the mean across members is the prediction, their spread the
variance. Members train together as one batched network (one matrix product per layer for all
members), which is what makes the ensemble affordable on a CPU."""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
from overrides import overrides

from nas_kernel import MeanVar
from nas_kernel.toolbox.params import check_int, check_number
from nas_predictors.adam import Adam
from nas_predictors.data import Standardizer, check_x, check_xy
from nas_predictors.torch_fit import TorchPredictor


class PredictiveDNNEnsemble(TorchPredictor):
    """Archai's predictor, same parameters; runs on CPU when no GPU is present.

    Each member is ``num_layers`` hidden ReLU layers of ``width`` units and a linear output per
    target, trained full-batch with Adam on the sum of squared errors of z-scored data for
    ``num_tr_steps`` steps. ``device`` and ``num_threads`` as ``TorchPredictor`` says (the
    default ``auto`` is the first GPU when there is one).
    """

    def __init__(self, num_ensemble_members: int = 5, num_layers: int = 5, width: int = 64, lr: float = 1e-4,
                 num_tr_steps: int = 2000, replace_nan_value: float = -1.0, device: Optional[str] = "auto",
                 num_threads: Optional[int] = 1, seed: int = 1) -> None:
        self.num_ensemble_members = check_int("num_ensemble_members", num_ensemble_members, 1)
        self.num_layers = check_int("num_layers", num_layers, 0)
        self.width = check_int("width", width, 1)
        self.lr = check_number("lr", lr, 0.0, low_open=True)
        self.num_tr_steps = check_int("num_tr_steps", num_tr_steps, 1)
        self.replace_nan_value = float(replace_nan_value)
        super().__init__(device, num_threads)
        self.seed = seed
        self._weights = None
        self._x_scale: Optional[Standardizer] = None
        self._y_scale: Optional[Standardizer] = None

    @overrides
    def _fit(self, encoded_archs, y):
        import torch

        x, y = check_xy(encoded_archs, y, self.replace_nan_value)
        self._x_scale, self._y_scale = Standardizer(x), Standardizer(y)
        device = self._torch_device()
        gen = torch.Generator().manual_seed(int(self.seed))
        sizes = [x.shape[1]] + [self.width] * self.num_layers + [y.shape[1]]
        m = self.num_ensemble_members
        weights = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w = (torch.rand(m, fan_in, fan_out, generator=gen) * 2 - 1) * bound
            b = (torch.rand(m, 1, fan_out, generator=gen) * 2 - 1) * bound
            weights += [w.to(device).requires_grad_(), b.to(device).requires_grad_()]
        xt = torch.as_tensor(self._x_scale.forward(x), dtype=torch.float32, device=device)
        yt = torch.as_tensor(self._y_scale.forward(y), dtype=torch.float32, device=device)
        xt = xt.unsqueeze(0).expand(m, -1, -1)
        adam = Adam(weights, self.lr)
        for _ in range(self.num_tr_steps):
            loss = ((self._forward(weights, xt) - yt) ** 2).sum()
            grads = torch.autograd.grad(loss, weights)
            adam.step(grads)
        self._weights = [w.detach() for w in weights]
        return self

    @staticmethod
    def _forward(weights, x):
        import torch

        h = x
        last = len(weights) // 2 - 1
        for layer in range(last + 1):
            h = torch.baddbmm(weights[2 * layer + 1], h, weights[2 * layer])
            if layer < last:
                h = torch.relu(h)
        return h

    @overrides
    def predict(self, encoded_archs):
        import torch

        if self._weights is None:
            raise RuntimeError("PredictiveDNNEnsemble.predict called before fit")
        x = check_x(encoded_archs, self.replace_nan_value)
        device = self._weights[0].device
        xt = torch.as_tensor(self._x_scale.forward(x), dtype=torch.float32, device=device)
        with torch.no_grad():
            out = self._forward(self._weights, xt.unsqueeze(0).expand(self.num_ensemble_members, -1, -1))
        out = out.cpu().numpy().astype(np.float64)  # (M, N, T)
        mean = self._y_scale.mean_back(out.mean(axis=0))
        var = self._y_scale.var_back(out.var(axis=0))
        return MeanVar(mean, np.maximum(var, 0.0))
