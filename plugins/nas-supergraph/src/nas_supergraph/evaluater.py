"""Trains a discrete model and reports validation accuracy: SGD with momentum and a cosine
schedule, drop-path rising linearly over the epochs, optional auxiliary loss, on the device and
at the precision ``conf_train`` names. With a checkpoint it saves after every epoch and
continues a killed run (only one written by the same settings and architecture).

``evaluate(conf_eval, model_desc_builder)`` is the whole evaluation step of an experiment:
``create_model`` lays the searched cells (``final_desc_filename``) out at the evaluation's macro
parameters, ``train_model`` trains it, and the metrics land in ``metric_filename``; a finished
evaluation with the same settings is read back instead of redone.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import torch
import torch.nn.functional as F

from nas_kernel.toolbox.devices import autocast, call_releasing_memory, check_device, device_type, grad_scaler, placed
from nas_supergraph.conf import eval_trainer_conf
from nas_supergraph.data import DataLoaders, UsesDataset, describe
from nas_supergraph.model import Model
from nas_supergraph.model_desc import ModelDesc
from nas_supergraph.checkpoint import fingerprint, restore_rng, rng_state, write_yaml
from nas_supergraph.nas_utils import create_checkpoint
from nas_supergraph.training import accuracy, cosine_lr, epoch_batches, set_lr

Metrics = Dict[str, Any]
EpochCallback = Callable[[int, Dict[str, float]], None]


@dataclass
class EvalResult:
    """What an evaluation gives: its metrics (``val_acc``, ``train_loss``, ``epochs``), the
    description trained and, when it was trained in this process, the model."""

    train_metrics: Metrics
    model_desc: Optional[ModelDesc] = None
    model: Optional[torch.nn.Module] = field(default=None, repr=False)


class Evaluater(UsesDataset):
    """``dataset``: a provider (``get_train``/``get_val``), a registered name or ``{name,
    params}`` (default ``digits``); ``seed`` seeds the batch order."""

    epoch_callbacks: List[EpochCallback]

    # ---- the seed API ------------------------------------------------------------------------
    def evaluate(self, conf_eval: Dict[str, Any], model_desc_builder: Any) -> EvalResult:
        import yaml

        model = self.create_model(conf_eval, model_desc_builder)
        conf_train = eval_trainer_conf(conf_eval["trainer"], "nas.eval.trainer")
        if conf_eval.get("loader", {}).get("train_batch"):
            conf_train["batch_size"] = conf_eval["loader"]["train_batch"]
        run_key = f"{model.desc.archid()}/{fingerprint(conf_train, model.desc)}"
        metric_file = conf_eval["metric_filename"]
        if os.path.exists(metric_file):
            with open(metric_file, "r", encoding="utf-8") as f:
                saved = yaml.safe_load(f)
            if isinstance(saved, dict) and saved.get("run_key") == run_key:
                return EvalResult(saved, model.desc)
        checkpoint = create_checkpoint(conf_eval.get("checkpoint"), self.resume)
        metrics = self.train_model(conf_train, model, checkpoint)
        metrics.update({"archid": model.desc.archid(), "run_key": run_key})
        write_yaml(metric_file, metrics)
        if checkpoint is not None:
            checkpoint.remove()  # the metrics are the record now
        return EvalResult(metrics, model.desc, model)

    def create_model(self, conf_eval: Dict[str, Any], model_desc_builder: Any, final_desc_filename: Optional[str] = None,
                     full_desc_filename: Optional[str] = None) -> torch.nn.Module:
        """The searched cells (``final_desc_filename``) at the evaluation's layout; the full
        description is saved in ``full_desc_filename``."""
        path = final_desc_filename or conf_eval["final_desc_filename"]
        if not os.path.exists(path):
            raise ValueError(f"{path}: no searched model description to evaluate (run the search first)")
        template = ModelDesc.load(path)
        model_desc = model_desc_builder.build(conf_eval["model_desc"], template=template)
        model_desc.params.update({k: template.params[k] for k in ("algorithm", "genotype") if k in template.params})
        full = full_desc_filename or conf_eval.get("full_desc_filename")
        if full:
            os.makedirs(os.path.dirname(os.path.abspath(full)), exist_ok=True)
            model_desc.save(full)
        return Model(model_desc, droppath=True, affine=True)

    def get_data(self, conf_loader: Optional[Dict[str, Any]] = None) -> DataLoaders:
        provider = self.provider()
        return DataLoaders(provider.get_train(), provider.get_val())

    def train_model(self, conf_train: Dict[str, Any], model: torch.nn.Module, checkpoint: Any = None) -> Metrics:
        """Train ``model`` as ``conf_train`` says (schema ``nas_supergraph.conf.EVAL_TRAINER``);
        returns ``val_acc``, ``train_loss`` and ``epochs``."""
        conf = eval_trainer_conf(conf_train)
        device = placed(check_device("trainer.device", conf["device"]))  # a pool worker's own GPU
        desc = getattr(model, "desc", None)
        what = f"training of {desc.archid() if desc is not None else type(model).__name__}"
        # out of memory: a failed evaluation with the reason, its memory given back to the next one
        return call_releasing_memory(device, f"{what} (batch_size {conf['batch_size']}, {conf['precision']})",
                                     self._train, conf, model, checkpoint, device)

    def _train(self, conf: Dict[str, Any], model: torch.nn.Module, checkpoint: Any, device: str) -> Metrics:
        precision = conf["precision"]
        data = self.get_data()
        model = model.to(device)
        opt = conf["optimizer"]
        fused = {"fused": True} if device_type(device) == "cuda" else {}  # one kernel per step on a GPU
        optimizer = torch.optim.SGD(model.parameters(), lr=opt["lr"], momentum=opt["momentum"],
                                    weight_decay=opt["decay"], **fused)
        scaler = grad_scaler(device, precision)
        key = fingerprint(conf, getattr(model, "desc", None))
        start, train_loss = 0, float("nan")
        state = checkpoint.load() if checkpoint is not None else None
        if state is not None:
            if state.get("key") != key:
                raise ValueError(f"checkpoint {checkpoint.path} was written for another architecture or other "
                                 "settings; remove it or use another directory")
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            restore_rng(state, device)
            start, train_loss = int(state["epoch"]), float(state["train_loss"])
        X, y = (t.to(device) for t in data.train)
        epochs = conf["epochs"]
        for epoch in range(start, epochs):
            set_lr(optimizer, cosine_lr(opt["lr"], conf["lr_schedule"]["min_lr"], epoch, epochs))
            if hasattr(model, "drop_path_prob"):
                model.drop_path_prob(conf["drop_path_prob"] * epoch / max(1, epochs))
            model.train()
            losses = []  # on the device: the epoch reads the GPU once, at its end
            correct, seen = torch.zeros((), device=device), 0  # the bar's train_acc, counted on the device
            for xb, yb in epoch_batches(X, y, conf["batch_size"], self.seed, epoch):
                with autocast(device, precision):
                    out = model(xb)
                    logits, aux = out if isinstance(out, tuple) else (out, None)
                    correct += (logits.detach().argmax(dim=1) == yb).sum()
                    seen += len(yb)
                    loss = self.compute_loss(yb, logits.float(), conf["aux_weight"],
                                             None if aux is None else aux.float())
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), conf["grad_clip"])
                scaler.step(optimizer)
                scaler.update()
                losses.append(loss.detach())
            train_loss, train_acc = (torch.stack([torch.stack(losses).mean(), correct / seen]).tolist()
                                     if losses else (0.0, 0.0))
            if checkpoint is not None:
                checkpoint.save({"key": key, "epoch": epoch + 1, "model": model.state_dict(),
                                 "optimizer": optimizer.state_dict(), **rng_state(device),
                                 "train_loss": train_loss})
            for callback in self.epoch_callbacks:
                callback(epoch, {"train_loss": train_loss, "train_acc": train_acc})
        Xv, yv = (t.to(device) for t in data.val)
        with autocast(device, precision):
            val_acc = accuracy(model, Xv, yv)
        return {"val_acc": float(val_acc), "train_loss": float(train_loss), "epochs": int(epochs)}

    @staticmethod
    def compute_loss(y: torch.Tensor, logits: torch.Tensor, aux_weight: float,
                     aux_logits: Optional[torch.Tensor]) -> torch.Tensor:
        loss = F.cross_entropy(logits, y)
        if aux_weight > 0.0 and aux_logits is not None:
            loss = loss + aux_weight * F.cross_entropy(aux_logits, y)
        return loss

    def check_data(self, model_desc: ModelDesc) -> None:
        """ValueError when the data does not fit the description's input channels and classes."""
        in_channels, num_classes = describe(self.provider())
        if (model_desc.ds_ch, model_desc.n_classes) != (in_channels, num_classes):
            raise ValueError(f"the model expects {model_desc.ds_ch} input channels and {model_desc.n_classes} "
                             f"classes; the dataset has {in_channels} and {num_classes}")
