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

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from nas_kernel.toolbox.devices import autocast, check_device, device_type, grad_scaler, placed
from nas_kernel.api.overridable import OpenOverrides
from nas_supergraph.checkpoint import fingerprint, restore_rng, rng_state
from nas_supergraph.conf import arch_trainer_conf
from nas_supergraph.data import DataLoaders
from nas_supergraph.training import cosine_lr, epoch_batches, set_lr

ALGORITHMS = ("darts", "gdas")
EpochCallback = Callable[[int, Dict[str, float]], None]


class ArchTrainer(OpenOverrides):
    """Trains ``model``'s weights and architecture weights as ``conf_train`` says (schema:
    ``nas_supergraph.conf.ARCH_TRAINER``: ``algorithm``, ``epochs``, ``batch_size``,
    ``second_order``, ``optimizer``, ``alpha_optimizer``, ``lr_schedule``, ``grad_clip``,
    ``tau_max``/``tau_min``, ``device``, ``precision``). With a ``checkpoint`` it saves after
    every epoch and ``fit`` continues from the last finished one."""

    def __init__(self, conf_train: Dict[str, Any], model: Any, checkpoint: Any = None) -> None:
        conf = arch_trainer_conf(conf_train)
        self.conf_train = conf
        self.device = placed(check_device("trainer.device", conf["device"]))  # a pool worker's own GPU
        self.precision = conf["precision"]
        if conf["second_order"] and self.precision == "fp16":
            raise ValueError("trainer.second_order needs precision fp32 or bf16 (its finite differences "
                             "underflow in fp16)")
        self.model = model.to(self.device)
        self.checkpoint = checkpoint
        self.algorithm, self.second_order, self.epochs = conf["algorithm"], conf["second_order"], conf["epochs"]
        opt, a_opt = conf["optimizer"], conf["alpha_optimizer"]
        self.w_lr, self.w_lr_min = opt["lr"], conf["lr_schedule"]["min_lr"]
        self.w_momentum, self.w_weight_decay = opt["momentum"], opt["decay"]
        self.grad_clip, self.tau_max, self.tau_min = conf["grad_clip"], conf["tau_max"], conf["tau_min"]
        self.alphas = list(model.arch_parameters())
        if not self.alphas:
            raise ValueError("the model has no architecture parameters (no mixed_op edges) to search")
        self.weights = list(model.weights())
        # fused on a GPU: one kernel per step, and the fp16 scaler's overflow check without a wait
        fused = {"fused": True} if device_type(self.device) == "cuda" else {}
        self.w_optim = torch.optim.SGD(self.weights, lr=self.w_lr, momentum=self.w_momentum,
                                       weight_decay=self.w_weight_decay, **fused)
        self.a_optim = torch.optim.Adam(self.alphas, lr=a_opt["lr"], betas=tuple(a_opt["betas"]),
                                        weight_decay=a_opt["decay"], **fused)
        self.scaler = grad_scaler(self.device, self.precision)
        self.epoch_callbacks: List[EpochCallback] = []

    # ---- the seed API ------------------------------------------------------------------------
    def compute_loss(self, lossfn: Callable, y: torch.Tensor, logits: torch.Tensor, aux_weight: float,
                     aux_logits: Optional[torch.Tensor]) -> torch.Tensor:
        """``lossfn(logits, y)`` plus ``aux_weight`` times the auxiliary tower's loss."""
        loss = lossfn(logits, y)
        if aux_weight > 0.0 and aux_logits is not None:
            loss = loss + aux_weight * lossfn(aux_logits, y)
        return loss

    def pre_epoch(self, data_loaders: DataLoaders) -> None:
        """Hook before each epoch (the epoch number is ``self.epoch``)."""

    def post_epoch(self, data_loaders: DataLoaders) -> None:
        """Hook after each epoch, once its checkpoint is written."""

    def fit(self, data_loaders: DataLoaders, seed: int = 1) -> Dict[str, float]:
        """Train from the checkpoint's epoch (or 0) to ``epochs``; weights learn on
        ``data_loaders.train``, architecture weights on ``data_loaders.val``."""
        fingerprint = self.fingerprint()
        start, info = 0, {}
        state = self.checkpoint.load() if self.checkpoint is not None else None
        if state is not None:
            if state.get("fingerprint") != fingerprint:
                raise ValueError(f"checkpoint {self.checkpoint.path} was written by a different config; "
                                 "remove it or use another output directory")
            self.model.load_state_dict(state["model"])
            self.load_state_dict(state["trainer"])
            restore_rng(state, self.device)
            start, info = int(state["epoch"]), dict(state.get("info") or {})
        train = tuple(t.to(self.device) for t in data_loaders.train)
        val = tuple(t.to(self.device) for t in data_loaders.val)
        for epoch in range(start, self.epochs):
            self.epoch = epoch
            self.pre_epoch(data_loaders)
            info = self.train_epoch(epoch, train, val, self.conf_train["batch_size"], seed)
            if self.checkpoint is not None:
                self.checkpoint.save({"fingerprint": fingerprint, "epoch": epoch + 1,
                                      "model": self.model.state_dict(), "trainer": self.state_dict(),
                                      **rng_state(self.device), "info": info})
            self.post_epoch(data_loaders)
            for callback in self.epoch_callbacks:
                callback(epoch, info)
        return info

    def fingerprint(self) -> str:
        """What a checkpoint must have been written by: these settings (not the device) and the
        supergraph's structure."""
        return fingerprint(self.conf_train, getattr(self.model, "desc", None))

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
        losses_t, losses_v = [], []  # on the device: the epoch reads the GPU once, at its end
        # correct predictions of the weight steps, counted on the device (the bar's train_acc)
        self._correct, seen = torch.zeros((), device=self.device), 0
        try:
            for (xt, yt), (xv, yv) in zip(epoch_batches(*train, batch_size, seed, epoch),
                                          epoch_batches(*val, batch_size, seed + 1, epoch)):
                loss_t, loss_v = self.step_losses(xt, yt, xv, yv)
                losses_t.append(loss_t)
                losses_v.append(loss_v)
                seen += len(yt)
            steps = len(losses_t)
            if not steps:
                return {"train_loss": 0.0, "val_loss": 0.0, "train_acc": 0.0, "steps": 0}
            sums = torch.stack([torch.stack(losses_t).sum(), torch.stack(losses_v).sum(), self._correct]).tolist()
        finally:
            self._correct = None
        return {"train_loss": sums[0] / steps, "val_loss": sums[1] / steps, "train_acc": sums[2] / seen,
                "steps": steps}

    def _loss(self, x: torch.Tensor, y: torch.Tensor, precision: Optional[str] = None,
              correct: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The training loss of a batch; with ``correct`` (a device tensor) its right predictions
        are added to it in place, without reading the device."""
        with autocast(self.device, precision or self.precision):
            logits, aux = self.model(x)
            if correct is not None:
                correct += (logits.detach().argmax(dim=1) == y).sum()
            return self.compute_loss(F.cross_entropy, y, logits.float(), self.conf_train["aux_weight"],
                                     None if aux is None else aux.float())

    def step(self, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor) -> Tuple[float, float]:
        """One architecture step on (xv, yv), then one weight step on (xt, yt); returns both losses."""
        loss_t, loss_v = self.step_losses(xt, yt, xv, yv)
        return loss_t.item(), loss_v.item()

    def step_losses(self, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor,
                    yv: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """:meth:`step` with the losses left on the device (detached): nothing in a step waits for
        the GPU (under fp16 with fused optimizers, on a GPU, neither does the overflow check)."""
        if self.second_order:
            grads, loss_v = self._unrolled_alpha_grads(xt, yt, xv, yv)
        else:
            loss_v = self._loss(xv, yv)
            # scaled by the scaler's own scale tensor (fp16; identity otherwise), unscaled by step
            grads = self._alpha_grads(self.scaler.scale(loss_v))
        self.a_optim.zero_grad(set_to_none=True)
        for p, g in zip(self.alphas, grads):
            p.grad = g
        self.scaler.step(self.a_optim)  # fp16: skipped when a gradient overflowed

        self.w_optim.zero_grad(set_to_none=True)
        loss = self._loss(xt, yt, correct=getattr(self, "_correct", None))
        self.scaler.scale(loss).backward(inputs=self.weights)
        self.scaler.unscale_(self.w_optim)
        torch.nn.utils.clip_grad_norm_(self.weights, self.grad_clip)
        self.scaler.step(self.w_optim)
        self.scaler.update()
        return loss.detach(), loss_v.detach()

    # ---- second order ------------------------------------------------------------------------
    def _unrolled_alpha_grads(self, xt, yt, xv, yv) -> Tuple[Sequence[torch.Tensor], float]:
        model, weights, alphas = self.model, self.weights, self.alphas
        eta = self.w_optim.param_groups[0]["lr"]
        saved_w = [w.detach().clone() for w in weights]
        saved_b = [b.detach().clone() for b in model.buffers()]
        try:
            # virtual step w' = w - eta * (momentum buffer + dL_train/dw + weight decay)
            g_train = torch.autograd.grad(self._loss(xt, yt), weights)
            with torch.no_grad():
                for w, g in zip(weights, g_train):
                    buf = self.w_optim.state.get(w, {}).get("momentum_buffer")
                    step = g + self.w_weight_decay * w
                    if buf is not None:
                        step = step + self.w_momentum * buf
                    w.sub_(eta * step)
            loss_v = self._loss(xv, yv)
            grads = torch.autograd.grad(loss_v, alphas + weights)
            d_alpha, d_w = grads[:len(alphas)], grads[len(alphas):]
            self._restore(weights, saved_w)
            # Hessian-vector product by central differences around w along d_w
            eps = 0.01 / (torch.cat([g.reshape(-1) for g in d_w]).norm() + 1e-12)
            g_pos = self._alpha_grads_at(d_w, eps, xt, yt, saved_w)
            g_neg = self._alpha_grads_at(d_w, -eps, xt, yt, saved_w)
            hessian = [(p - n) / (2 * eps) for p, n in zip(g_pos, g_neg)]
            return [da - eta * h for da, h in zip(d_alpha, hessian)], loss_v
        finally:
            self._restore(weights, saved_w)
            self._restore(list(model.buffers()), saved_b)

    def _alpha_grads_at(self, direction, eps, xt, yt, base: List[torch.Tensor]):
        """d loss / d alphas at ``base + eps * direction``, in fp32 whatever the precision: the
        finite difference of two such gradients is below bf16's resolution (8 bits of mantissa),
        so under bf16 the Hessian term would be rounding noise."""
        with torch.no_grad():
            for w, b, d in zip(self.weights, base, direction):
                w.copy_(b + eps * d)
        return self._alpha_grads(self._loss(xt, yt, precision="fp32"))

    def _alpha_grads(self, loss: torch.Tensor) -> List[torch.Tensor]:
        """d loss / d alphas; an edge whose drawn (GDAS) candidate was ``none`` did not use its
        alphas, and its exact gradient is zero."""
        grads = torch.autograd.grad(loss, self.alphas, allow_unused=True)
        return [torch.zeros_like(a) if g is None else g for a, g in zip(self.alphas, grads)]

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
