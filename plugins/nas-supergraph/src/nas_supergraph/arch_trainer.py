"""Bilevel training of a supergraph: architecture weights (alphas) learn on one half of the
training data, regular weights on the other, alternating every step.

* ``darts``: softmax-weighted mixed ops. First order takes the gradient of the validation loss
  at the current weights; second order (``second_order=True``) takes it at the weights after a
  virtual SGD step and corrects with a finite-difference Hessian-vector product.
* ``gdas``: each mixed op runs one candidate drawn from hard Gumbel-softmax samples of its alphas
  (straight-through gradients), with the temperature annealed from ``tau_max`` to ``tau_min``;
  only the drawn op does work, so a step costs about one candidate per edge.

Architecture gradients are taken with ``torch.autograd.grad`` w.r.t. the alphas only, so the
architecture step never computes weight gradients (most of a conv's backward cost).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F

from nas_supergraph.training import cosine_lr, epoch_batches, set_lr

ALGORITHMS = ("darts", "gdas")


class ArchTrainer:
    def __init__(self, model: Any, algorithm: str = "darts", second_order: bool = False, epochs: int = 2,
                 w_lr: float = 0.025, w_lr_min: float = 0.001, w_momentum: float = 0.9,
                 w_weight_decay: float = 3e-4, alpha_lr: float = 3e-3, alpha_weight_decay: float = 1e-3,
                 grad_clip: float = 5.0, tau_max: float = 10.0, tau_min: float = 0.1) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        if second_order and algorithm != "darts":
            raise ValueError(f"second_order applies to darts only, not {algorithm!r}")
        for name, value in (("w_lr", w_lr), ("alpha_lr", alpha_lr), ("grad_clip", grad_clip)):
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        self.model = model
        self.algorithm, self.second_order, self.epochs = algorithm, bool(second_order), int(epochs)
        self.w_lr, self.w_lr_min, self.w_momentum, self.w_weight_decay = w_lr, w_lr_min, w_momentum, w_weight_decay
        self.grad_clip, self.tau_max, self.tau_min = grad_clip, tau_max, tau_min
        self.alphas = list(model.arch_parameters())
        if not self.alphas:
            raise ValueError("the model has no architecture parameters (no mixed_op edges) to search")
        self.weights = list(model.weights())
        self.w_optim = torch.optim.SGD(self.weights, lr=w_lr, momentum=w_momentum, weight_decay=w_weight_decay)
        self.a_optim = torch.optim.Adam(self.alphas, lr=alpha_lr, betas=(0.5, 0.999), weight_decay=alpha_weight_decay)

    # ---- one epoch ---------------------------------------------------------------------------
    def start_epoch(self, epoch: int) -> None:
        set_lr(self.w_optim, cosine_lr(self.w_lr, self.w_lr_min, epoch, self.epochs))
        if self.algorithm == "gdas":
            frac = epoch / max(1, self.epochs - 1)
            self.model.set_op_weighting("gumbel_hard", self.tau_max - (self.tau_max - self.tau_min) * frac)
        else:
            self.model.set_op_weighting("softmax")

    def train_epoch(self, epoch: int, train: Tuple[torch.Tensor, torch.Tensor], val: Tuple[torch.Tensor, torch.Tensor],
                    batch_size: int, seed: int) -> Dict[str, float]:
        """Alternate architecture and weight steps over paired mini-batches of the two halves."""
        self.start_epoch(epoch)
        self.model.train()
        totals = {"train_loss": 0.0, "val_loss": 0.0, "steps": 0}
        for (xt, yt), (xv, yv) in zip(epoch_batches(*train, batch_size, seed, epoch),
                                      epoch_batches(*val, batch_size, seed + 1, epoch)):
            loss_t, loss_v = self.step(xt, yt, xv, yv)
            totals["train_loss"] += loss_t
            totals["val_loss"] += loss_v
            totals["steps"] += 1
        steps = max(1, totals["steps"])
        return {"train_loss": totals["train_loss"] / steps, "val_loss": totals["val_loss"] / steps,
                "steps": totals["steps"]}

    def step(self, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor) -> Tuple[float, float]:
        """One architecture step on (xv, yv), then one weight step on (xt, yt); returns both losses."""
        if self.second_order:
            grads, loss_v = self._unrolled_alpha_grads(xt, yt, xv, yv)
        else:
            loss = F.cross_entropy(self.model(xv), yv)
            grads, loss_v = torch.autograd.grad(loss, self.alphas), loss.item()
        self.a_optim.zero_grad(set_to_none=True)
        for p, g in zip(self.alphas, grads):
            p.grad = g
        self.a_optim.step()

        self.w_optim.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.model(xt), yt)
        loss.backward(inputs=self.weights)
        torch.nn.utils.clip_grad_norm_(self.weights, self.grad_clip)
        self.w_optim.step()
        return loss.item(), loss_v

    # ---- second order ------------------------------------------------------------------------
    def _unrolled_alpha_grads(self, xt, yt, xv, yv) -> Tuple[Sequence[torch.Tensor], float]:
        model, weights, alphas = self.model, self.weights, self.alphas
        eta = self.w_optim.param_groups[0]["lr"]
        saved_w = [w.detach().clone() for w in weights]
        saved_b = [b.detach().clone() for b in model.buffers()]
        try:
            # virtual step w' = w - eta * (momentum buffer + dL_train/dw + weight decay)
            g_train = torch.autograd.grad(F.cross_entropy(model(xt), yt), weights)
            with torch.no_grad():
                for w, g in zip(weights, g_train):
                    buf = self.w_optim.state.get(w, {}).get("momentum_buffer")
                    step = g + self.w_weight_decay * w
                    if buf is not None:
                        step = step + self.w_momentum * buf
                    w.sub_(eta * step)
            loss_v = F.cross_entropy(model(xv), yv)
            grads = torch.autograd.grad(loss_v, alphas + weights)
            d_alpha, d_w = grads[:len(alphas)], grads[len(alphas):]
            self._restore(weights, saved_w)
            # Hessian-vector product by central differences around w along d_w
            eps = 0.01 / (torch.cat([g.reshape(-1) for g in d_w]).norm() + 1e-12)
            g_pos = self._alpha_grads_at(d_w, eps, xt, yt, saved_w)
            g_neg = self._alpha_grads_at(d_w, -eps, xt, yt, saved_w)
            hessian = [(p - n) / (2 * eps) for p, n in zip(g_pos, g_neg)]
            return [da - eta * h for da, h in zip(d_alpha, hessian)], loss_v.item()
        finally:
            self._restore(weights, saved_w)
            self._restore(list(model.buffers()), saved_b)

    def _alpha_grads_at(self, direction, eps, xt, yt, base: List[torch.Tensor]):
        with torch.no_grad():
            for w, b, d in zip(self.weights, base, direction):
                w.copy_(b + eps * d)
        return torch.autograd.grad(F.cross_entropy(self.model(xt), yt), self.alphas)

    @staticmethod
    def _restore(tensors, saved) -> None:
        with torch.no_grad():
            for t, s in zip(tensors, saved):
                t.copy_(s)

    # ---- checkpointing -----------------------------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        return {"w_optim": self.w_optim.state_dict(), "a_optim": self.a_optim.state_dict()}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.w_optim.load_state_dict(state["w_optim"])
        self.a_optim.load_state_dict(state["a_optim"])
