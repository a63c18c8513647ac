"""A graph convolutional network as surrogate: the graph predictor of Wen et al., "Neural
Predictor for Neural Architecture Search" (ECCV 2020), in an ensemble for the uncertainty.

It reads the graph encoding of ``nas_kernel.toolbox.graph_encoding`` (a space's ``graph`` encoding,
e.g. ``natsbench_tss``'s), so it learns from how operations are wired rather than from per-slot
bits; extra features after the graph (``graph+cell_stats+params+flops``) join the graph's
summary before the output layers. Members train together as one batched network, full batch,
as the MLP ensemble does. On NAS-Bench-201 it ranks architectures best of the project's
predictors, ahead of boosted trees and of the MLP ensemble given the same cell statistics and
cost counts (tests/benchmarks/predictors.py, figures in docs/benchmarks.md). A fit on 100
architectures costs about what boosted trees cost (a few seconds for 5 members on one core), on
500 two to three times more.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
from overrides import overrides

from nas_kernel import MeanVar
from nas_kernel.toolbox.graph_encoding import split_graphs
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_predictors.adam import Adam
from nas_predictors.data import TARGET_TRANSFORMS, Standardizer, check_x, check_xy, target_scaler
from nas_predictors.torch_fit import TorchPredictor


class GCNPredictor(TorchPredictor):
    """``num_ensemble_members`` networks of ``num_layers`` bidirectional graph convolutions
    (``width`` units: each node averages its own state with its predecessors' and, through
    separate weights, its successors', as Wen et al. do), the mean over present nodes, then a
    hidden layer of ``width`` units with the extra features. Trained full-batch with Adam (``lr``,
    ``weight_decay`` as an L2 penalty) for ``num_tr_steps`` steps on ``target_transform``ed
    targets (as ``boosted_trees``); members start from different seeded weights, their spread is
    the variance. ``device`` and ``num_threads`` as ``TorchPredictor`` says. The defaults were chosen
    on NAS-Bench-201 CIFAR-10 (12-epoch accuracy, 3 seeds): twice the width, a third layer and
    twice the steps ranked within 0.02 Kendall tau of them (0.741 / 0.842 against 0.739 / 0.825
    with 100 / 500 training architectures) and fitted 6-8 times slower."""

    def __init__(self, num_ensemble_members: int = 5, num_layers: int = 2, width: int = 32, lr: float = 3e-3,
                 weight_decay: float = 1e-4, num_tr_steps: int = 300, target_transform: str = "rank_gauss",
                 replace_nan_value: float = -1.0, device: Optional[str] = "auto", num_threads: Optional[int] = 1,
                 seed: int = 1) -> None:
        self.num_ensemble_members = check_int("num_ensemble_members", num_ensemble_members, 1)
        self.num_layers = check_int("num_layers", num_layers, 1)
        self.width = check_int("width", width, 1)
        self.lr = check_number("lr", lr, 0.0, low_open=True)
        self.weight_decay = check_number("weight_decay", weight_decay, 0.0)
        self.num_tr_steps = check_int("num_tr_steps", num_tr_steps, 1)
        self.target_transform = check_choice("target_transform", target_transform, TARGET_TRANSFORMS)
        self.replace_nan_value = float(replace_nan_value)
        super().__init__(device, num_threads)
        self.seed = int(seed)
        self._weights = None
        self._extra_scale: Optional[Standardizer] = None
        self._y_scale = None

    @overrides
    def _fit(self, encoded_archs, y):
        import torch

        x, y = check_xy(encoded_archs, y, self.replace_nan_value)
        graphs = split_graphs(x)
        self._extra_scale = Standardizer(graphs.extra)
        self._y_scale = target_scaler(self.target_transform, y)
        device = self._torch_device()
        gen = torch.Generator().manual_seed(self.seed)
        m, k, e = self.num_ensemble_members, graphs.nodes.shape[2], graphs.extra.shape[1]

        def uniform(*shape, fan_in):
            bound = 1.0 / math.sqrt(fan_in)
            return ((torch.rand(m, *shape, generator=gen) * 2 - 1) * bound).to(device).requires_grad_()

        weights, fan_in = [], k
        for _ in range(self.num_layers):  # per layer: weights for what is heard both ways, stacked; bias
            weights += [uniform(2 * fan_in, self.width, fan_in=fan_in), uniform(1, self.width, fan_in=fan_in)]
            fan_in = self.width
        head_in = self.width + e
        weights += [uniform(head_in, self.width, fan_in=head_in), uniform(1, self.width, fan_in=head_in),
                    uniform(self.width, y.shape[1], fan_in=self.width), uniform(1, y.shape[1], fan_in=self.width)]
        inputs = self._tensors(graphs, device)
        target = torch.as_tensor(self._y_scale.forward(y), dtype=torch.float32, device=device)
        adam = Adam(weights, self.lr)
        for _ in range(self.num_tr_steps):
            loss = ((self._forward(weights, *inputs) - target) ** 2).mean(dim=(1, 2)).sum()
            if self.weight_decay:
                loss = loss + self.weight_decay * sum((w ** 2).sum() for w in weights)
            adam.step(torch.autograd.grad(loss, weights))
        self._weights = [w.detach() for w in weights]
        return self

    def _tensors(self, graphs, device):
        """Row-normalised propagation both ways (with self-loops), node features, the mask of
        present nodes and the scaled extra features, as float32 tensors."""
        import torch

        eye = np.eye(graphs.adjacency.shape[1])
        forward = graphs.adjacency.transpose(0, 2, 1) + eye  # a node hears its predecessors
        backward = graphs.adjacency + eye  # ... and, separately, its successors
        forward /= forward.sum(axis=2, keepdims=True)
        backward /= backward.sum(axis=2, keepdims=True)
        present = (np.abs(graphs.nodes).sum(axis=2) > 0).astype(np.float64)
        present[present.sum(axis=1) == 0] = 1.0  # a graph without features: every node counts
        extra = self._extra_scale.forward(graphs.extra)
        return [torch.as_tensor(a, dtype=torch.float32, device=device)
                for a in (forward, backward, graphs.nodes, present, extra)]

    def _forward(self, weights, forward, backward, nodes, present, extra):
        """(M, N, T) outputs. Node states are kept as (N, n, M, d): propagation is linear, so it
        runs first, for all members in one batched product per direction, then each member's
        weights apply to both directions' messages at once."""
        import torch

        m = self.num_ensemble_members
        batch, n, _ = nodes.shape
        h = nodes.unsqueeze(2).expand(-1, -1, m, -1)
        for layer in range(self.num_layers):
            w, bias = weights[2 * layer:2 * layer + 2]
            flat = h.reshape(batch, n, -1)
            heard = torch.cat([torch.bmm(forward, flat).view(batch, n, m, -1),
                               torch.bmm(backward, flat).view(batch, n, m, -1)], dim=3)
            h = torch.relu(torch.einsum("bimd,mde->bime", heard, w) / 2 + bias.view(1, 1, m, -1))
        pooled = (h * present[:, :, None, None]).sum(dim=1) / present.sum(dim=1)[:, None, None]  # (N, M, width)
        summary = torch.cat([pooled.transpose(0, 1), extra.unsqueeze(0).expand(m, -1, -1)], dim=2)
        w1, b1, w2, b2 = weights[2 * self.num_layers:]
        return torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, summary, w1)), w2)  # (M, N, T)

    @overrides
    def predict(self, encoded_archs):
        import torch

        if self._weights is None:
            raise RuntimeError("GCNPredictor.predict called before fit")
        graphs = split_graphs(check_x(encoded_archs, self.replace_nan_value))
        with torch.no_grad():
            out = self._forward(self._weights, *self._tensors(graphs, self._weights[0].device))
        out = out.cpu().numpy().astype(np.float64)  # (M, N, T), each member back on the target's scale
        out = np.stack([self._y_scale.back(member) for member in out])
        return MeanVar(out.mean(axis=0), np.maximum(out.var(axis=0), 0.0))
