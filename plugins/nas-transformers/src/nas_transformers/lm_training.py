"""``lm_training``: train a candidate language model for a token budget and score it on held-out
text.

A call trains a copy of ``model.arch`` (so the same model and budget always give the same value,
in this process or in a worker) from weights seeded by ``(seed, archid)``, for
``round(steps x budget)`` optimiser steps (or the steps that ``tokens x budget`` tokens take).
The minibatches of step ``s`` depend only on ``(seed, s)`` and the learning rate only on ``s``, so
a call that continues a checkpoint equals a straight run. Device, precision, determinism and
out-of-memory handling follow the kernel's one rule (``nas_kernel.toolbox.devices``).
"""
from __future__ import annotations

import copy
import math
import time
import zlib
from typing import Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.api.dataset import DatasetProvider
from nas_kernel.toolbox.checkpoints import load_state, save_state
from nas_kernel.toolbox.devices import (autocast, call_releasing_memory, check_device, check_precision,
                                deterministic_algorithms, device_type, grad_scaler, placed, seeded_rng, synchronize)
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_kernel.paths import inside, safe_filename
from nas_kernel.toolbox.schedules import cosine_anneal
from nas_transformers.threads import check_thread_count, pinned_threads

METRICS = ("loss", "perplexity", "bits_per_byte")
SCHEDULES = ("budget", "run")
CHECKPOINT_FORMAT = 1


class LanguageModelTraining(ModelEvaluator):
    """Train ``model.arch`` (a ``transformer_flex`` decoder) and return its validation loss,
    perplexity or bits per byte (lower is better for all three).

    Args:
        dataset: a ``text`` dataset; None: the standard library's sources, bytes, ``seq_len`` 128.
        steps: optimiser steps at budget 1 (a call trains ``max(1, round(steps x budget))``).
        tokens: a token budget instead of ``steps`` (steps = tokens / (batch_size x seq_len)).
        batch_size: windows per step.
        lr, final_lr: AdamW's learning rate rises linearly over ``warmup_steps`` then falls along
            a cosine to ``final_lr`` (default ``lr / 10``) at ``steps``.
        warmup_steps: default a tenth of ``steps``.
        schedule: ``budget``: the learning-rate schedule spans the budget-1 steps, so a call with a
            smaller budget stops inside it (a checkpoint is continued by a larger budget);
            ``run``: it spans the steps each call trains, so a short run ends its own warm-up and
            cosine (its loss ranks architectures better: ``tests/benchmarks/lm_proxy.py``), and a
            checkpoint is reused only by a call of the same length.
        weight_decay: AdamW's decoupled decay, on matrices only (not norms, biases).
        grad_clip: the gradient norm is clipped to it (0 = off).
        metric: ``loss`` (nats per token), ``perplexity`` (e to the loss) or ``bits_per_byte``
            (comparable across tokenizers).
        eval_tokens: validation tokens scored (the first windows of the split; None = all).
        device, precision, deterministic: the kernel's device rule (``auto``, ``cpu``, ``cuda``,
            ``cuda:N``), autocast at ``fp32`` / ``bf16`` / ``fp16`` (fp16 with a gradient scaler),
            and torch's deterministic algorithms.
        torch_threads: intra-op threads while training (None keeps torch's).
        reset_weights: re-initialise from ``(seed, archid)`` first (scores then depend only on
            the architecture, the budget and the seed).
        checkpoint_dir: keep one checkpoint per archid there; a later call with a larger budget
            continues it.
        seed: weights, minibatches and dropout.

    ``model.metadata`` gets ``steps_trained``, ``tokens_trained``, ``train_seconds``,
    ``tokens_per_second`` and ``device``. A model whose vocabulary or context is smaller than the
    dataset's is refused with a ``ValueError`` naming ``vocab_size`` / ``max_sequence_length``.
    """

    def __init__(self, dataset: Optional[DatasetProvider] = None, steps: int = 100, tokens: Optional[int] = None,
                 batch_size: int = 16, lr: float = 3e-3, final_lr: Optional[float] = None,
                 warmup_steps: Optional[int] = None, schedule: str = "budget", weight_decay: float = 0.1,
                 grad_clip: float = 1.0,
                 metric: str = "perplexity", eval_tokens: Optional[int] = 32768, device: str = "auto",
                 precision: str = "fp32", deterministic: bool = False, torch_threads: Optional[int] = 1,
                 reset_weights: bool = True, checkpoint_dir: Optional[str] = None, seed: int = 1) -> None:
        if dataset is not None and not all(hasattr(dataset, a) for a in ("tokens", "seq_len", "vocab_size")):
            raise ValueError(f"dataset must be a text dataset (tokens, seq_len, vocab_size); got "
                             f"{type(dataset).__name__}")
        self.dataset = dataset
        self.steps = check_int("steps", steps, 1)
        self.tokens = None if tokens is None else check_int("tokens", tokens, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.lr = check_number("lr", lr, 0.0, low_open=True)
        self.final_lr = self.lr / 10 if final_lr is None else check_number("final_lr", final_lr, 0.0)
        self.warmup_steps = None if warmup_steps is None else check_int("warmup_steps", warmup_steps, 0)
        self.schedule = check_choice("schedule", schedule, SCHEDULES)
        self.weight_decay = check_number("weight_decay", weight_decay, 0.0)
        self.grad_clip = check_number("grad_clip", grad_clip, 0.0)
        self.metric = check_choice("metric", metric, METRICS)
        self.eval_tokens = None if eval_tokens is None else check_int("eval_tokens", eval_tokens, 1)
        self.device = check_device("device", device)
        self.precision = check_precision("precision", precision)
        self.deterministic = bool(deterministic)
        self.torch_threads = check_thread_count("torch_threads", torch_threads)
        self.reset_weights = bool(reset_weights)
        self.checkpoint_dir = None if checkpoint_dir is None else str(checkpoint_dir)
        self.seed = check_int("seed", seed, 0)
        self.keep_trained: Optional[dict] = None  # train_final sets a dict to receive the trained weights

    # ---- budget and data ---------------------------------------------------------------------------
    def provider(self):
        if self.dataset is None:
            from nas_transformers.text_data import TextCorpus

            self.dataset = TextCorpus(seed=self.seed)
        return self.dataset

    def training_data(self):
        """The data this evaluator trains on (the kernel's data-fit check reads it)."""
        return self.provider()

    def check_fits(self, model: ArchaiModel) -> None:
        """The kernel's check before a search: the space's sample model reads one window of the
        data, or ``DataMismatch`` names the space's key that is too small."""
        from nas_kernel.data_fit import DataMismatch

        data = self.provider()
        try:
            check_fits(model.arch, data)
        except ValueError as exc:
            raise DataMismatch(f"search_space.params.{exc}") from None
        import torch

        x, _ = data.windows("train", limit=1)
        with torch.no_grad():
            model.arch.eval()(x)

    def base_steps(self) -> int:
        """Steps at budget 1."""
        if self.tokens is None:
            return self.steps
        return max(1, math.ceil(self.tokens / (self.batch_size * self.provider().seq_len)))

    def target_steps(self, budget: Optional[float]) -> int:
        if budget is None:
            return self.base_steps()
        if not float(budget) > 0:
            raise ValueError(f"budget must be positive, got {budget}")
        return max(1, int(round(self.base_steps() * float(budget))))

    def horizon(self, target: int) -> int:
        """The steps the learning-rate schedule spans for a call that trains to ``target``."""
        return target if self.schedule == "run" else self.base_steps()

    def lr_at(self, step: int, horizon: Optional[int] = None) -> float:
        horizon = self.base_steps() if horizon is None else horizon
        warmup = horizon // 10 if self.warmup_steps is None else self.warmup_steps
        if step < warmup:
            return self.lr * (step + 1) / warmup
        return cosine_anneal(self.lr, self.final_lr, step - warmup, horizon - warmup)

    def settings(self, target: Optional[int] = None) -> dict:
        """What a checkpoint must have been trained with to be continued (by a call training to
        ``target`` steps)."""
        data = self.provider()
        horizon = self.horizon(self.base_steps() if target is None else target)
        return {"steps": horizon, "batch_size": self.batch_size, "lr": self.lr, "final_lr": self.final_lr,
                "warmup_steps": self.warmup_steps, "weight_decay": self.weight_decay, "grad_clip": self.grad_clip,
                "precision": self.precision, "seed": self.seed, "seq_len": data.seq_len,
                "vocab_size": data.vocab_size, "data": getattr(data, "cache_key", lambda: None)(),
                "device_type": device_type(placed(self.device))}

    # ---- the evaluator -------------------------------------------------------------------------
    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        model = arch
        data = self.provider()
        check_fits(model.arch, data)
        device = placed(self.device)
        target = self.target_steps(budget)
        started = time.perf_counter()
        with pinned_threads(self.torch_threads), deterministic_algorithms(device, self.deterministic):
            loss, tokens_scored, done, trained_here, seconds = call_releasing_memory(
                device, f"lm_training of {model.archid} (batch_size {self.batch_size}, {self.precision})",
                self._train_and_score, model, target, data, device)
        tokens = done * self.batch_size * data.seq_len
        model.metadata.update(steps_trained=done, tokens_trained=tokens, device=device,
                              train_seconds=round(time.perf_counter() - started, 4))
        if seconds > 0:
            model.metadata["tokens_per_second"] = round(trained_here * self.batch_size * data.seq_len / seconds, 1)
        model.metadata["val_loss"] = round(loss, 6)
        return float(self.report(loss, tokens_scored, data))

    def report(self, loss: float, tokens_scored: int, data) -> float:
        if self.metric == "loss":
            return loss
        if self.metric == "perplexity":
            return math.exp(min(loss, 700.0))
        from nas_transformers.text_data import bits_per_byte

        share = tokens_scored / max(1, len(data.tokens("val")) - 1)
        return bits_per_byte(loss, tokens_scored, max(1, round(data.byte_count("val") * share)))

    def fresh_network(self, model: ArchaiModel, device: str):
        net = copy.deepcopy(model.arch)
        if self.reset_weights:  # on the CPU's generator: every device starts from the same weights
            with seeded_rng("cpu", zlib.crc32(f"{self.seed}:{model.archid}".encode())):
                net.reset_parameters()
        return net.to(device)

    def make_optimizer(self, net):
        import torch

        matrices = [p for p in net.parameters() if p.dim() >= 2]
        others = [p for p in net.parameters() if p.dim() < 2]
        groups = [{"params": matrices, "weight_decay": self.weight_decay}, {"params": others, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=self.lr, betas=(0.9, 0.95))

    def _train_and_score(self, model: ArchaiModel, target: int, data, device: str):
        import torch

        from nas_transformers.decoder import lm_loss
        from nas_transformers.lm_batches import batch_at

        net = self.fresh_network(model, device)
        opt, scaler = self.make_optimizer(net), grad_scaler(device, self.precision)
        done, path = 0, None
        if self.checkpoint_dir:
            path = inside(self.checkpoint_dir, safe_filename(model.archid) + ".pt")
            state = load_state(path)
            if (isinstance(state, dict) and state.get("format") == CHECKPOINT_FORMAT
                    and state.get("settings") == self.settings(target) and state["steps"] <= target):
                net.load_state_dict(state["model"])
                opt.load_state_dict(state["optimizer"])
                done = state["steps"]
        stream, resumed_at, horizon = data.tokens("train"), done, self.horizon(target)
        random_inside = any(getattr(m, "p", 0) > 0 or getattr(m, "dropout", 0) > 0 for m in net.modules())
        net.train()
        begin = time.perf_counter()
        for step in range(done, target):
            x, y = batch_at(stream, step, self.seed, self.batch_size, data.seq_len)
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            for group in opt.param_groups:
                group["lr"] = self.lr_at(step, horizon)
            opt.zero_grad(set_to_none=True)
            if random_inside:
                with seeded_rng(device, self.seed * 7_919 + step):
                    self._backward(net, x, y, scaler, device, lm_loss)
            else:
                self._backward(net, x, y, scaler, device, lm_loss)
            if self.grad_clip > 0:
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(net.parameters(), self.grad_clip)
            scaler.step(opt)
            scaler.update()
            done = step + 1
        synchronize(device)
        seconds = time.perf_counter() - begin
        if path is not None and done > resumed_at:
            save_state(path, {"format": CHECKPOINT_FORMAT, "archid": model.archid, "settings": self.settings(target),
                              "steps": done, "model": net.state_dict(), "optimizer": opt.state_dict()})
        loss, scored = self.score(net, data, device)
        if self.keep_trained is not None:  # train_final: the caller keeps the weights
            self.keep_trained["state"] = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        return loss, scored, done, done - resumed_at, seconds

    def train_final(self, model: ArchaiModel, epochs: int, device: Optional[str] = None):
        """What ``nas train-best`` calls for a front model: train ``epochs x steps`` steps from the
        seeded initial weights (an epoch here is the search's budget-1 run) and return ``(score,
        the model with its trained weights)``; ``device`` replaces this evaluator's."""
        import torch

        trainer = copy.copy(self)
        trainer.steps, trainer.tokens = self.base_steps() * int(epochs), None
        if device is not None:
            trainer.device = check_device("device", device)
        kept = {}
        trainer.keep_trained = kept
        score = trainer.evaluate(model)
        trained = ArchaiModel(arch=copy.deepcopy(model.arch), archid=model.archid, metadata=dict(model.metadata))
        with torch.no_grad():
            trained.arch.load_state_dict(kept["state"])
        return score, trained

    def _backward(self, net, x, y, scaler, device, lm_loss) -> None:
        with autocast(device, self.precision):
            loss = lm_loss(net(x), y)
        scaler.scale(loss).backward()

    def score(self, net, data, device: str):
        """``(mean validation loss in nats per token, tokens scored)``."""
        import torch

        from nas_transformers.decoder import lm_loss

        limit = None if self.eval_tokens is None else max(1, self.eval_tokens // data.seq_len)
        x, y = data.windows("val", limit)
        net.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, len(x), self.batch_size):
                xb = x[start:start + self.batch_size].to(device)
                yb = y[start:start + self.batch_size].to(device)
                with autocast(device, self.precision):
                    logits = net(xb)
                total += float(lm_loss(logits, yb, reduction="sum"))
        return total / y.numel(), int(y.numel())


def check_fits(net, data) -> None:
    """A ``ValueError`` naming the space's key when the model cannot read the dataset's windows."""
    vocab, positions = net.embed.num_embeddings, net.max_positions
    if vocab < data.vocab_size:
        raise ValueError(f"vocab_size: the model's vocabulary ({vocab}) is smaller than the dataset's "
                         f"({data.vocab_size} tokens)")
    if positions < data.seq_len:
        raise ValueError(f"max_sequence_length: the model takes {positions} positions, the dataset's seq_len "
                         f"is {data.seq_len}")
