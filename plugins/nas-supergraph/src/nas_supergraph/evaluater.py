"""Trains a discrete model from its description and reports validation accuracy: SGD with
momentum and a cosine schedule, drop-path rising linearly over the epochs, optional auxiliary
loss. With a ``Checkpoint`` it saves after every epoch and continues a killed run."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import torch
import torch.nn.functional as F

from nas_supergraph.checkpoint import Checkpoint
from nas_supergraph.descs import ModelDesc
from nas_supergraph.model import Model
from nas_supergraph.training import accuracy, cosine_lr, epoch_batches, set_lr


class Evaluater:
    def __init__(self, epochs: int = 5, batch_size: int = 64, lr: float = 0.05, lr_min: float = 0.0,
                 momentum: float = 0.9, weight_decay: float = 3e-4, grad_clip: float = 5.0,
                 drop_path_prob: float = 0.0, aux_weight: float = 0.0, seed: int = 1,
                 channels_last: bool = True) -> None:
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if not 0.0 <= drop_path_prob < 1.0:
            raise ValueError(f"drop_path_prob must be in [0, 1), got {drop_path_prob}")
        self.epochs, self.batch_size, self.lr, self.lr_min = int(epochs), int(batch_size), lr, lr_min
        self.momentum, self.weight_decay, self.grad_clip = momentum, weight_decay, grad_clip
        self.drop_path_prob, self.aux_weight, self.seed = drop_path_prob, aux_weight, seed
        self.channels_last = channels_last

    def train(self, desc: ModelDesc, dataset: Any, checkpoint: Optional[Checkpoint] = None,
              on_epoch_end: Optional[Callable[[int, Dict[str, float]], None]] = None,
              run_key: Optional[str] = None) -> Dict[str, Any]:
        """Train a fresh ``Model(desc)``; returns ``val_acc``, ``train_loss``, ``epochs`` and ``model``.
        A checkpoint is only resumed when it was written for the same ``run_key`` (default: the
        archid; pass one that also covers the training settings)."""
        torch.manual_seed(self.seed)
        model = Model(desc, affine=True, channels_last=self.channels_last)
        optimizer = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=self.momentum,
                                    weight_decay=self.weight_decay)
        key = run_key or desc.archid()
        start, train_loss = 0, float("nan")
        state = checkpoint.load() if checkpoint is not None else None
        if state is not None:
            if state.get("key") != key:
                raise ValueError(f"checkpoint {checkpoint.path} was written for run {state.get('key')!r}, not "
                                 f"{key!r} (another architecture or settings); remove it or use another directory")
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["rng"])
            start, train_loss = int(state["epoch"]), float(state["train_loss"])
        X, y = dataset.get_train()
        for epoch in range(start, self.epochs):
            set_lr(optimizer, cosine_lr(self.lr, self.lr_min, epoch, self.epochs))
            model.drop_path_prob = self.drop_path_prob * epoch / max(1, self.epochs)
            model.train()
            total, steps = 0.0, 0
            for xb, yb in epoch_batches(X, y, self.batch_size, self.seed, epoch):
                logits, aux = model.forward_aux(xb)
                loss = F.cross_entropy(logits, yb)
                if aux is not None and self.aux_weight > 0:
                    loss = loss + self.aux_weight * F.cross_entropy(aux, yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
                optimizer.step()
                total, steps = total + loss.item(), steps + 1
            train_loss = total / max(1, steps)
            if checkpoint is not None:
                checkpoint.save({"key": key, "epoch": epoch + 1, "model": model.state_dict(),
                                 "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state(),
                                 "train_loss": train_loss})
            if on_epoch_end is not None:
                on_epoch_end(epoch, {"train_loss": train_loss})
        Xv, yv = dataset.get_val()
        return {"val_acc": accuracy(model, Xv, yv), "train_loss": train_loss, "epochs": self.epochs, "model": model}
