"""Partial training: train a candidate for a few epochs and report its validation accuracy.

This is the evaluator behind ``partial_training``. It trains a copy of ``model.arch`` (so the
same model and budget always give the same value, in this process or in a worker), for
``epochs x budget`` epochs, deterministically from ``seed``: the batch order and any dropout of
epoch ``e`` depend only on ``(seed, e)``, which also makes a run resumed from a checkpoint equal
to one trained straight through.
"""
from __future__ import annotations

import copy
import sys
import time
from typing import Any, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import (autocast, call_releasing_memory, check_device, check_precision,
                                deterministic_algorithms, device_type, grad_scaler, placed, seeded_rng,
                                synchronize)
from nas_kernel.toolbox.params import check_int
from nas_evaluators.act import act_threshold
from nas_evaluators.batches import Augment, TensorSplit, check_loader, choose_loader, open_split
from nas_evaluators.checkpoints import load_checkpoint, save_checkpoint
from nas_evaluators.inputs import check_threads, torch_threads
from nas_evaluators.schedules import OPTIMIZERS, SCHEDULES, lr_at, make_optimizer

METRICS = ("accuracy", "loss")
#: ``task: regression`` scores: the first is higher-is-better (what ACT-free history records)
REGRESSION_METRICS = ("r2", "mse", "mae")
TASKS = ("classification", "regression")
SPLITS = ("val", "test")


def seeded_reinit(net, seed: int, archid: str) -> None:
    """Re-initialise every layer from a generator seeded by (seed, archid).

    How a module was initialised otherwise depends on how many modules the process built before
    it (torch's global generator), so the same architecture would train to a different score in
    a resumed run, a worker process or another searcher. Layers without ``reset_parameters`` keep
    their weights."""
    import zlib

    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(zlib.crc32(f"{seed}:{archid}".encode("utf-8")))
        for module in net.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()


class PartialTraining(ModelEvaluator):
    """Train ``model.arch`` and return its accuracy or loss (``task: regression``: MSE, MAE or R^2).

    Args:
        dataset: a dataset provider (``get_train()``, ``get_val()``, ``get_test()`` returning
            ``(X, y)`` tensors, and ``num_classes``); in YAML ``dataset: {name: digits}``. None
            means the embedded digits from ``nas-datasets`` split with ``seed``.
        epochs: epochs at budget 1; a call trains ``max(1, round(epochs * budget))`` epochs
            (budget None = 1).
        metric: ``"accuracy"`` (higher is better) or ``"loss"`` (cross-entropy, lower is better);
            with ``task: regression``: ``"mse"`` (the default), ``"mae"`` (lower is better) or
            ``"r2"`` (higher is better). None: ``accuracy`` or ``mse``.
        task: ``"classification"`` (integer labels, cross-entropy) or ``"regression"`` (float
            targets, one output per target, trained on the mean squared error).
        eval_split: ``"val"`` (the fitness) or ``"test"`` (a reported, non-optimised figure).
        optimizer: ``"adam"``, ``"adamw"`` or ``"sgd"`` (Nesterov when ``momentum`` > 0).
        lr, final_lr, lr_schedule: the learning rate goes from ``lr`` to ``final_lr`` (default
            ``lr / 100``) over ``epochs`` epochs, ``"constant"``, ``"exponential"`` or ``"cosine"``.
        momentum, weight_decay: optimizer settings.
        batch_size: training minibatch size.
        act_beta, act_zeta: HiveNAS ACT early stop (see ``nas_evaluators.act``); ``act_beta`` 0
            turns it off. The epochs actually trained go to ``model.metadata["epochs_trained"]``,
            and, with ACT on, whether ACT stopped the candidate to ``metadata["act_stopped"]``.
        record_history: the validation accuracy after every epoch goes to
            ``model.metadata["history"]`` (HiveNAS's momentum score reads it; a continued
            checkpoint records its new epochs, from ``metadata["history_from_epoch"]``). Costs one
            validation pass per epoch but the last; false skips them.
        checkpoint_dir: if set, one checkpoint per archid is kept there and a later call with a
            larger budget continues from it instead of restarting.
        torch_threads: intra-op threads while training (restored afterwards); None keeps torch's.
        progress_bar: a tqdm bar per model (to stderr). None (default): on when stderr is a
            terminal and this is not a process_pool / Ray worker, whose bars would interleave.
        reset_weights: re-initialise the layers from (seed, archid) before training, so a score
            depends only on the architecture, the budget and the seed (resume and replay rely on
            it); False trains the weights the model arrives with.
        loader: how the splits are read: ``tensors`` (whole splits moved to the device once, the
            fastest for data that fits), ``dataloader`` (a torch ``DataLoader`` over the provider's
            ``torch_dataset``, a minibatch at a time; pinned memory on a GPU), or ``auto``
            (tensors while train + val fit in a quarter of the device's memory). Both give the
            same minibatches and the same scores; ``model.metadata["loader"]`` says which ran.
        num_workers: loader processes of the ``dataloader`` path (spawned once per process and
            kept); 0 reads in the training process.
        random_crop: pad images by this many zero pixels and crop back at a random offset
            (training split only; 0 = off; e.g. 4 for 32x32 images).
        horizontal_flip: flip half the training images left-right (off by default).
        device: ``auto`` (the first GPU when there is one, else the CPU), ``cpu``, ``cuda`` or
            ``cuda:N``; ``cuda`` on a machine without a GPU is refused when the experiment is
            built. Inside a ``process_pool`` with ``devices``, the worker's device is used.
        precision: ``fp32``, ``bf16`` or ``fp16``: forward passes under autocast at that
            precision (weights and optimizer stay fp32); ``fp16`` scales the loss with a
            gradient scaler. bf16 on the CPU is allowed (and measured in the docs).
        channels_last: train and score 4-D inputs and the weights in channels-last memory format
            (faster convolutions on GPUs with tensor cores; the same arithmetic).
        deterministic: use torch's deterministic algorithms while training (needed for
            repeatable scores on CUDA; the CPU path is deterministic without it).
        seed: weight initialisation, batch order, dropout and the default dataset split.

    A candidate that runs out of memory (CUDA or host) fails with
    :class:`nas_kernel.toolbox.devices.OutOfMemory` naming the archid, after its memory was released:
    the search records the failure and goes on.
    """

    def __init__(self, dataset: Any = None, epochs: int = 1, metric: Optional[str] = None, eval_split: str = "val",
                 optimizer: str = "adam", lr: float = 3e-3, final_lr: Optional[float] = None,
                 lr_schedule: str = "constant", momentum: float = 0.9, weight_decay: float = 0.0,
                 batch_size: int = 64, act_beta: float = 0.0, act_zeta: float = 0.25,
                 checkpoint_dir: Optional[str] = None, torch_threads: Optional[int] = 1,
                 progress_bar: Optional[bool] = None, reset_weights: bool = True, device: str = "auto",
                 precision: str = "fp32", channels_last: bool = False, deterministic: bool = False,
                 loader: str = "auto", num_workers: int = 0, random_crop: int = 0, horizontal_flip: bool = False,
                 record_history: bool = True, task: str = "classification", seed: int = 1) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
        self.task = task
        if metric is None:
            metric = "accuracy" if task == "classification" else "mse"
        if dataset is not None and getattr(dataset, "task", "classification") != task:
            raise ValueError(f"the dataset holds {getattr(dataset, 'task', 'classification')} targets; set task: "
                             f"{getattr(dataset, 'task', 'classification')} (task is {task!r})")
        if dataset is not None:
            missing = [m for m in ("get_train", "get_val", "num_classes") if not hasattr(dataset, m)]
            if missing:
                raise ValueError(f"dataset must be a dataset provider; {type(dataset).__name__} lacks {', '.join(missing)}")
        self.dataset = dataset
        self.loader, self.num_workers = check_loader(loader, num_workers)
        self.random_crop, self.horizontal_flip = random_crop, horizontal_flip
        self.augment = Augment(random_crop, horizontal_flip)
        if dataset is not None:
            from nas_kernel.api.dataset import input_shape

            self.augment.check_inputs(input_shape(dataset))
        self.reset_weights = bool(reset_weights)
        self.epochs = check_int("epochs", epochs, 1)
        metrics = METRICS if task == "classification" else REGRESSION_METRICS
        for name, value, allowed in (("metric", metric, metrics), ("eval_split", eval_split, SPLITS),
                                     ("optimizer", optimizer, OPTIMIZERS), ("lr_schedule", lr_schedule, SCHEDULES)):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        self.metric, self.eval_split, self.optimizer, self.lr_schedule = metric, eval_split, optimizer, lr_schedule
        if not float(lr) > 0 or (final_lr is not None and not float(final_lr) > 0):
            raise ValueError(f"lr and final_lr must be positive, got lr={lr}, final_lr={final_lr}")
        self.lr, self.final_lr = float(lr), None if final_lr is None else float(final_lr)
        if not 0 <= float(momentum) < 1 or float(weight_decay) < 0:
            raise ValueError(f"need 0 <= momentum < 1 and weight_decay >= 0, got {momentum}, {weight_decay}")
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.batch_size = check_int("batch_size", batch_size, 1)
        if not 0 <= float(act_beta) < 1:
            raise ValueError(f"act_beta must be in [0, 1) (0 disables ACT), got {act_beta}")
        if float(act_zeta) < 0:
            raise ValueError(f"act_zeta must be >= 0, got {act_zeta}")
        self.act_beta, self.act_zeta = float(act_beta), float(act_zeta)
        if self.act_beta > 0 and task == "regression":
            raise ValueError("act_beta needs task: classification (ACT stops on accuracy)")
        self.checkpoint_dir = None if checkpoint_dir is None else str(checkpoint_dir)
        self.torch_threads = check_threads(torch_threads, "torch_threads")
        self.progress_bar = None if progress_bar is None else bool(progress_bar)
        self.device = check_device("device", device)
        self.precision = check_precision("precision", precision)
        self.channels_last, self.deterministic = bool(channels_last), bool(deterministic)
        self.record_history = bool(record_history)
        self.seed = int(seed)

    # ---- helpers -------------------------------------------------------------------------------
    def target_epochs(self, budget: Optional[float]) -> int:
        if budget is None:
            return self.epochs
        if not float(budget) > 0:
            raise ValueError(f"budget must be positive, got {budget}")
        return max(1, int(round(self.epochs * float(budget))))

    def provider(self):
        if self.dataset is None:
            from nas_kernel.components import build_component

            self.dataset = build_component("datasets", "digits", seed=self.seed)
        return self.dataset

    def training_data(self):
        """The provider this evaluator trains on: spaces take their sizes from it and the search
        checks one batch of it against a sample model first (``nas_kernel.data_fit``)."""
        return self.provider()

    def check_fits(self, model: ArchaiModel) -> None:
        """One training batch through ``model.arch`` on the CPU, outputs checked against this
        evaluator's task (``nas_kernel.data_fit``)."""
        from nas_kernel.data_fit import check_batch, sample_batch

        data = self.provider()
        X, y = sample_batch(data)
        check_batch(model.arch, X, y, self.task, getattr(data, "num_classes", None) if self.task != "regression"
                    else None)

    def _loss(self, out, yb):
        import torch.nn.functional as F

        if self.task == "regression":
            return F.mse_loss(out.reshape(yb.shape).float(), yb.float())
        return F.cross_entropy(out, yb)

    def _score(self, net, batches, device: str):
        """Classification: ``(accuracy, loss)``; regression: ``(r2, mse, mae)``."""
        if self.task == "classification":
            return self.score_batches(net, batches, device, self.precision)
        return regression_scores(net, batches, device, self.precision)

    def settings(self) -> dict:
        """What a checkpoint must have been trained with to be continued."""
        augmentation = {"random_crop": self.random_crop, "horizontal_flip": self.horizontal_flip} \
            if self.augment.enabled else {}
        return {**augmentation, "optimizer": self.optimizer, "lr": self.lr, "final_lr": self.final_lr,
                "lr_schedule": self.lr_schedule, "epochs": self.epochs, "momentum": self.momentum,
                "weight_decay": self.weight_decay, "batch_size": self.batch_size, "seed": self.seed,
                "act_beta": self.act_beta, "act_zeta": self.act_zeta, "precision": self.precision,
                "channels_last": self.channels_last, "device_type": device_type(placed(self.device))}

    def inputs(self, X, device: str):
        """``X`` on ``device``, channels-last when asked for and 4-D."""
        import torch

        X = X.to(device, non_blocking=True)
        if self.channels_last and X.dim() == 4:
            X = X.contiguous(memory_format=torch.channels_last)
        return X

    def place(self, net, device: str):
        """``net`` moved to ``device`` (and to channels-last when asked for)."""
        import torch

        net = net.to(device)
        return net.to(memory_format=torch.channels_last) if self.channels_last else net

    @staticmethod
    def score(net, X, y, chunk: int = 1024, device: str = "cpu", precision: str = "fp32"):
        """``(accuracy, mean cross-entropy)`` of ``net`` on ``(X, y)`` in eval mode."""
        return PartialTraining.score_batches(net, TensorSplit(X, y).chunks(chunk), device, precision)

    @staticmethod
    def score_batches(net, batches, device: str = "cpu", precision: str = "fp32"):
        """``(accuracy, mean cross-entropy)`` of ``net`` over ``(X, y)`` minibatches in eval mode."""
        import torch
        import torch.nn.functional as F

        net.eval()
        correct, loss, count = [], [], 0
        with torch.no_grad():
            for xb, yb in batches:  # totals stay on the device: one wait for the GPU, at the end
                with autocast(device, precision):
                    out = net(xb).float()
                loss.append(F.cross_entropy(out, yb, reduction="sum"))
                correct.append((out.argmax(1) == yb).sum())
                count += len(yb)
        return int(torch.stack(correct).sum()) / count, float(torch.stack(loss).sum()) / count

    def _step(self, net, opt, scaler, device: str, xb, yb) -> None:
        """One optimisation step on a minibatch, at ``self.precision``."""
        import torch

        if self.channels_last and xb.dim() == 4:
            xb = xb.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        with autocast(device, self.precision):
            loss = self._loss(net(xb), yb)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    def _train_epoch(self, net, opt, train, epoch: int, scaler=None, device: str = "cpu") -> None:
        """One epoch over ``train`` (a split of ``nas_evaluators.batches``) in the seeded order."""
        import torch

        net.train()
        scaler = scaler if scaler is not None else grad_scaler(device, self.precision)
        for group in opt.param_groups:
            group["lr"] = lr_at(epoch, self.lr_schedule, self.lr, self.final_lr, self.epochs)
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(self.seed * 1_000_003 + epoch))
        with seeded_rng(device, self.seed * 7_919 + epoch):  # dropout and other in-model randomness
            augment = self.augment if self.augment.enabled else None
            for xb, yb in train.batches(order, self.batch_size, augment, seed=self.seed * 104_729 + epoch):
                self._step(net, opt, scaler, device, xb, yb)

    # ---- the evaluator -------------------------------------------------------------------------
    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None):
        model = arch  # Archai names the parameter ``arch``; the body says model
        show = self.progress_bar
        if show is None:
            from nas_evaluators.transport import in_worker

            show = not in_worker() and sys.stderr.isatty()
        tqdm = None
        if show:
            from tqdm.auto import tqdm
        target = self.target_epochs(budget)
        data = self.provider()
        device = placed(self.device)
        started = time.perf_counter()
        history = [] if self.record_history else None
        with torch_threads(self.torch_threads), deterministic_algorithms(device, self.deterministic):
            # out of memory: the candidate fails with the reason, its memory is given back
            result, done, stopped = call_releasing_memory(
                device, f"partial_training of {model.archid} (batch_size {self.batch_size}, {self.precision})",
                self._train_and_score, model, target, data, device, tqdm if show else None, history)
        if history:  # per-epoch validation accuracy: what HiveNAS's momentum score reads
            model.metadata["history"] = history
            model.metadata["history_from_epoch"] = done - len(history)
        model.metadata["epochs_trained"] = done
        if self.act_beta > 0:
            model.metadata["act_stopped"] = stopped
        model.metadata["train_seconds"] = round(time.perf_counter() - started, 4)
        model.metadata["device"] = device
        return float(result[0 if self.metric in ("accuracy", "r2") else 2 if self.metric == "mae" else 1])

    def _train_and_score(self, model: ArchaiModel, target: int, data, device: str, tqdm=None,
                         history: Optional[list] = None):
        """Train a copy of ``model.arch`` up to ``target`` epochs on ``device``; returns
        ``((accuracy, loss), epochs trained, stopped by ACT)``. ``history``, when given, gets the
        validation accuracy after every epoch trained here."""
        show = tqdm is not None
        net = copy.deepcopy(model.arch)
        if self.reset_weights:  # on the CPU's generator, so every device starts from the same weights
            seeded_reinit(net, self.seed, model.archid)
        if self.deterministic and device_type(device) == "cuda":  # CUDA has no deterministic one
            from nas_evaluators.deterministic_pooling import make_pooling_deterministic

            make_pooling_deterministic(net)
        net = self.place(net, device)
        # fused on a GPU: one kernel per step for all parameters, and fp16's overflow check
        # without waiting for the GPU
        opt = make_optimizer(self.optimizer, net.parameters(), self.lr, self.momentum, self.weight_decay,
                             fused=device_type(device) == "cuda")
        scaler = grad_scaler(device, self.precision)
        done, stopped, resumable = 0, False, True
        if self.checkpoint_dir:
            state = load_checkpoint(self.checkpoint_dir, model.archid, self.settings())
            if state is not None and state["epochs"] <= target:
                net.load_state_dict(state["model"])
                opt.load_state_dict(state["optimizer"])
                if scaler.is_enabled() and state.get("scaler"):
                    scaler.load_state_dict(state["scaler"])
                done, stopped = state["epochs"], state["stopped"]
            elif state is not None:  # trained further than asked: retrain, keep the longer one
                resumable = False
        path = model.metadata["loader"] = choose_loader(self.loader, data, device)
        train, held_out = (open_split(data, split, path, device, self.num_workers, self.inputs)
                           for split in ("train", "val"))
        val, resumed_at = None, done
        epochs = range(done, done if stopped else target)
        # no tqdm object at all when hidden: tqdm allocates a multiprocessing lock per process
        bar = tqdm(epochs, desc=f"train {model.archid}"[:40], leave=False, unit="epoch") if show else None
        for epoch in (bar if bar is not None else epochs):
            self._train_epoch(net, opt, train, epoch, scaler, device)
            done = epoch + 1
            if self.act_beta > 0 or show or history is not None:
                val = self._score(net, held_out.chunks(), device)
                if history is not None:
                    history.append(round(float(val[0]), 6))
            if bar is not None:
                bar.set_postfix({"val_acc" if self.task == "classification" else "val_r2": f"{val[0]:.3f}"})
            if self.act_beta > 0 and val[0] < act_threshold(done, data.num_classes, self.act_beta, self.act_zeta):
                stopped = True
                break
        if bar is not None:
            bar.close()
        if self.checkpoint_dir and resumable and done > resumed_at:
            save_checkpoint(self.checkpoint_dir, model.archid, self.settings(), epochs=done, stopped=stopped,
                            model_state=net.state_dict(), optimizer_state=opt.state_dict(),
                            scaler_state=scaler.state_dict() if scaler.is_enabled() else None)
        if self.eval_split == "test":
            test = open_split(data, "test", path, device, self.num_workers, self.inputs)
            result = self._score(net, test.chunks(), device)
        else:  # ``val``, when set, already scores the final weights
            result = val if val is not None else self._score(net, held_out.chunks(), device)
        synchronize(device)
        return result, done, stopped


def regression_scores(net, batches, device: str = "cpu", precision: str = "fp32"):
    """``(r2, mse, mae)`` of ``net`` over ``(X, y)`` minibatches of float targets, in eval mode."""
    import torch

    net.eval()
    outs, targets = [], []
    with torch.no_grad():
        for xb, yb in batches:
            with autocast(device, precision):
                out = net(xb).float()
            outs.append(out.reshape(yb.shape))
            targets.append(yb.float())
    out, y = torch.cat(outs), torch.cat(targets)
    mse = float(((out - y) ** 2).mean())
    mae = float((out - y).abs().mean())
    variance = float(((y - y.mean(0)) ** 2).mean())
    r2 = 1.0 - mse / variance if variance > 0 else 0.0
    return r2, mse, mae
