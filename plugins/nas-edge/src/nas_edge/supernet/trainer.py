"""Training a supernet: the loop, its checkpoints and resume.

Every random choice is a function of ``(seed, epoch, step)``: the batch order of an epoch, the
sub-networks of a step, dropout inside a step; the channel re-ordering at the start of an epoch is
a function of the weights. A checkpoint (every ``checkpoint_every`` steps and at every epoch's end)
holds the weights, the optimizer and the position, so a run killed at any instant (``kill -9``
included: checkpoints are written atomically) and started again with the same command continues
from the last checkpoint and ends with the weights a straight run ends with.

With ``data_parallel: auto`` and a CUDA device, training runs on every visible GPU: one process per
GPU (started here, ``nas_edge.supernet.distributed``), each taking its share of every batch, the
gradients averaged by ``DistributedDataParallel``; rank 0 writes the files.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict, Optional

import torch

from nas_kernel.toolbox.devices import autocast, check_device, device_type, grad_scaler, seeded_rng
from nas_kernel.toolbox.schedules import cosine_anneal
from nas_edge.supernet import files
from nas_edge.supernet.bn_calibration import calibration_indices, recalibrate_bn
from nas_edge.supernet.channel_order import sort_channels
from nas_edge.supernet.config import SupernetConfig
from nas_edge.supernet.elastic import ElasticMobileNet
from nas_edge.supernet.residual_init import zero_residual_branches
from nas_edge.supernet.sampling import PHASES, allowed, phase_of, sandwich
from nas_edge.supernet.sandwich_loss import SandwichLoss
from nas_edge.supernet.settings import SupernetSettings

Progress = Callable[[int, int, Dict[str, Any]], None]
HISTORY_CALIBRATION_BATCHES = 4


def build_supernet(config: SupernetConfig, settings: SupernetSettings) -> ElasticMobileNet:
    """The initial supernet: weights drawn from a generator seeded by ``settings.seed`` alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        supernet = ElasticMobileNet(config, settings.kernel_transform)
    if settings.zero_init_residual:
        zero_residual_branches(supernet)
    return supernet


def make_optimizer(settings: SupernetSettings, params):
    if settings.optimizer == "sgd":
        return torch.optim.SGD(params, lr=settings.lr, momentum=settings.momentum, nesterov=settings.momentum > 0,
                               weight_decay=settings.weight_decay)
    return torch.optim.Adam(params, lr=settings.lr, weight_decay=settings.weight_decay)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Full batches only (a last batch of one sample cannot train batch norm)."""
    return max(1, n // batch_size)


def lr_at(settings: SupernetSettings, step: int, total: int) -> float:
    if settings.lr_schedule == "constant":
        return settings.lr
    return cosine_anneal(settings.lr, settings.end_lr, step, total)


def describe(config: SupernetConfig, settings: SupernetSettings, provider: Any, space_record: Any) -> Dict[str, Any]:
    """What the folder's supernet is: compared before resuming and before reading it back."""
    from nas_kernel.api.dataset import input_shape

    return {"format": files.FORMAT, "config": config.to_dict(), "settings": settings.identity(),
            "data": {"num_classes": int(provider.num_classes), "input_shape": list(input_shape(provider))},
            "space": space_record}


def check_folder(folder: str, identity: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The checkpoint to resume from (None to start afresh); ``"done"`` in the result when the
    folder already holds this supernet fully trained. ValueError when the folder holds another."""
    def differs(found: Dict[str, Any], what: str) -> None:
        diff = [f"{key} {found.get(key)!r} -> {identity[key]!r}" for key in ("config", "settings", "data")
                if found.get(key) != identity[key]]
        if diff:
            detail = "; ".join(_short(d) for d in diff)
            raise ValueError(f"{folder} holds {what} of another configuration or settings ({detail}); "
                             "train into another folder (-o) or delete this one")

    if os.path.isfile(os.path.join(folder, files.META)):
        meta = files.read_meta(folder)
        differs(meta, "a supernet")
        return {"done": True, "meta": meta}
    state = files.read_checkpoint(folder)
    if state is not None:
        differs(state["identity"], "a training checkpoint")
    return state


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def train_supernet(space: Any, provider: Any, settings: SupernetSettings, folder: str, *,
                   space_record: Any = None, progress: Optional[Progress] = None, echo=print,
                   max_steps: Optional[int] = None) -> Dict[str, Any]:
    """Train (or resume training) the supernet of ``space`` on ``provider`` into ``folder``;
    returns the folder's description (``supernet.json``'s content). ``max_steps``: stop after that
    many steps of this call, leaving a checkpoint (what a killed run leaves, used by tests)."""
    config = SupernetConfig.of_space(space, settings.width)
    identity = describe(config, settings, provider, space_record)
    state = check_folder(folder, identity)
    if state is not None and state.get("done"):
        echo(f"{folder}: this supernet is already trained ({state['meta']['epochs']} epochs); nothing to do")
        return state["meta"]
    if state is not None:
        echo(f"resuming from {os.path.join(folder, files.CHECKPOINT)}: epoch {state['epoch'] + 1}, "
             f"step {state['step']}")
    os.makedirs(folder, exist_ok=True)
    device = check_device("device", settings.device)
    world = data_parallel_world(settings, device)
    if world > 1:
        from nas_edge.supernet.distributed import launch

        echo(f"data-parallel training on {world} GPUs")
        launch(world, _train_rank, (config, provider, settings, folder, identity, max_steps), device_type(device))
        return files.read_meta(folder) if os.path.isfile(os.path.join(folder, files.META)) else identity
    return _train_rank(0, 1, config, provider, settings, folder, identity, max_steps, progress, device)


def data_parallel_world(settings: SupernetSettings, device: str) -> int:
    """How many processes train: every visible GPU for ``data_parallel: auto`` on CUDA, else one."""
    if settings.data_parallel != "auto" or device_type(device) != "cuda":
        return 1
    from nas_kernel.toolbox.devices import cuda_device_count, pinned_device

    return 1 if pinned_device() is not None else max(1, cuda_device_count())


def _train_rank(rank: int, world: int, config: SupernetConfig, provider: Any, settings: SupernetSettings,
                folder: str, identity: Dict[str, Any], max_steps: Optional[int] = None,
                progress: Optional[Progress] = None, device: Optional[str] = None) -> Dict[str, Any]:
    if world > 1:  # one process per GPU (gloo over CPU processes where there is none: tests)
        device = f"cuda:{rank}" if device_type(settings.device) != "cpu" and torch.cuda.is_available() else "cpu"
    threads_before = torch.get_num_threads()
    if settings.torch_threads is not None:
        torch.set_num_threads(settings.torch_threads)
    try:
        return _loop(rank, world, config, provider, settings, folder, identity, max_steps, progress, device)
    finally:
        torch.set_num_threads(threads_before)


def _loop(rank, world, config, provider, settings, folder, identity, max_steps, progress, device):
    started = time.perf_counter()
    supernet = build_supernet(config, settings).to(device)
    loss_module = SandwichLoss(supernet, settings.distill, settings.distill_temperature)
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        loss_module = DistributedDataParallel(loss_module, device_ids=[rank] if device_type(device) == "cuda" else None,
                                              find_unused_parameters=True)
    opt = make_optimizer(settings, supernet.parameters())
    scaler = grad_scaler(device, settings.precision)
    X, y = provider.get_train()
    steps = steps_per_epoch(len(y), settings.batch_size)
    total = steps * settings.epochs
    epoch, step, history, seconds = 0, 0, [], 0.0
    state = files.read_checkpoint(folder)
    if state is not None:
        supernet.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if scaler.is_enabled() and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        epoch, step, history, seconds = state["epoch"], state["step"], list(state["history"]), state["seconds"]

    def checkpoint(at_epoch: int, at_step: int) -> None:
        if rank == 0:
            files.write_checkpoint(folder, {"identity": identity, "epoch": at_epoch, "step": at_step,
                                            "model": supernet.state_for_file(), "optimizer": opt.state_dict(),
                                            "scaler": scaler.state_dict() if scaler.is_enabled() else None,
                                            "history": history,
                                            "seconds": seconds + time.perf_counter() - started})

    done_here = 0
    while epoch < settings.epochs:
        phase = phase_of(epoch, settings.epochs, settings.progressive)
        if step == 0 and settings.sort_channels and epoch > 0 and len(allowed(config, phase)[2]) > 1:
            sort_channels(supernet.net.modules(), opt)
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(settings.seed * 1_000_003 + epoch))
        supernet.train()
        while step < steps:
            if max_steps is not None and done_here >= max_steps:
                checkpoint(epoch, step)
                return identity
            at = epoch * steps + step
            for group in opt.param_groups:
                group["lr"] = lr_at(settings, at, total)
            index = order[step * settings.batch_size:(step + 1) * settings.batch_size][rank::world]
            xb, yb = X[index].to(device, non_blocking=True), y[index].to(device, non_blocking=True)
            archs = sandwich(config, settings.seed, epoch, step, settings.num_random, phase,
                             resolution_per_step=settings.resolution_per_step)
            opt.zero_grad(set_to_none=True)
            with seeded_rng(device, settings.seed * 7_919 + at), autocast(device, settings.precision):
                loss = loss_module(xb, yb, archs)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            step, done_here = step + 1, done_here + 1
            if progress is not None and rank == 0:  # the loss read (a host sync) every 10 steps only
                info = {"epoch": epoch + 1, "phase": PHASES[phase]}
                if (at + 1) % 10 == 0 or step == steps:
                    info["loss"] = round(float(loss.detach()), 4)
                progress(at + 1, total, info)
            if settings.checkpoint_every and step % settings.checkpoint_every == 0 and step < steps:
                checkpoint(epoch, step)
        history.append({"epoch": epoch + 1, "phase": PHASES[phase], **extremes_accuracy(supernet, config, provider,
                                                                                        settings, device)})
        epoch, step = epoch + 1, 0
        checkpoint(epoch, step)
    meta = dict(identity, history=history, epochs=settings.epochs, steps=total, world_size=world,
                device=device if world == 1 else f"{world}x{device_type(device)}",
                train_seconds=round(seconds + time.perf_counter() - started, 3))
    if rank == 0:
        files.write_supernet(folder, meta, supernet.state_for_file())
        files.remove_checkpoint(folder)
    return meta


def extremes_accuracy(supernet: ElasticMobileNet, config: SupernetConfig, provider: Any, settings: SupernetSettings,
                      device: str) -> Dict[str, float]:
    """Validation accuracy of the largest and the smallest sub-network (batch norm recalibrated):
    the training history ``supernet.json`` keeps."""
    from nas_edge.supernet.scoring import accuracy

    X, _ = provider.get_train()
    pick = calibration_indices(len(X), HISTORY_CALIBRATION_BATCHES, settings.batch_size, settings.seed)
    result = {}
    for name, arch in (("largest", config.largest()), ("smallest", config.smallest())):
        net = supernet.extract(arch).to(device)
        recalibrate_bn(net, (X[pick[i:i + settings.batch_size]].to(device)
                             for i in range(0, len(pick), settings.batch_size)))
        result[f"val_acc_{name}"] = round(accuracy(net, provider.get_val(), device, settings.precision), 6)
    supernet.train()
    return result
