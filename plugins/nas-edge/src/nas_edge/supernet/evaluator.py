"""The ``supernet`` evaluator: a candidate's validation accuracy with the weights it inherits from
a trained supernet, after recalibrating its batch-norm statistics; no training. It also carries
the supernet's training settings (``nas supernet train`` reads them from the experiment) and
trains the chosen sub-networks for ``nas train-best`` (``train_final``).

A supernet that is not the one the experiment describes (another space configuration, other
training settings, other data) is refused: when the evaluator is built (settings, data) or before
the first evaluation (the space's frame, through the kernel's data-fit check), each one exit-2
line. A candidate the supernet does not hold (another width, a kernel it was not trained for) is a
failed evaluation whose reason says which choice.

The supernet is loaded once per process, on first use: a ``process_pool`` worker unpickles the
evaluator once and keeps it, so each worker loads the file once.
"""
from __future__ import annotations

import os
import time
from typing import Any, Optional

from overrides import overrides

from nas_kernel.api import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.devices import check_device, placed
from nas_kernel.toolbox.params import check_choice, check_int, check_number
from nas_edge.supernet import files
from nas_edge.supernet.settings import SupernetSettings, identity_differences

FINAL_TRAINING = ("finetune", "scratch")
LOADS = [0]  #: supernet files loaded by this process (each evaluation's metadata reports it)


class SupernetEvaluator(ModelEvaluator):
    """Validation accuracy of a candidate with inherited supernet weights.

    Args:
        path: the trained supernet's folder (``nas supernet train EXPERIMENT.yaml -o DIR``);
            relative paths are read from the experiment's folder.
        dataset: the data, as for ``partial_training`` (``{name: digits}``; default: digits).
        calibration_batches, calibration_batch_size: batch-norm statistics are recomputed on this
            many training batches (the same fixed, seeded samples for every candidate;
            ``calibration_batch_size`` defaults to ``batch_size``).
        final_training: what ``nas train-best`` does with a chosen sub-network: ``finetune`` (from
            its inherited weights) or ``scratch`` (fresh weights, as a standalone network).
        finetune_lr: Adam's learning rate for ``nas train-best`` (default ``lr / 10`` when fine-tuning,
            ``lr`` from scratch).

    Training (read by ``nas supernet train``; a supernet trained otherwise is refused):
        epochs, batch_size: supernet training epochs and minibatch size.
        optimizer, lr, final_lr, lr_schedule, momentum, weight_decay: ``adam`` or ``sgd``
            (Nesterov), from ``lr`` to ``final_lr`` (default ``lr / 100``) along a ``cosine`` over
            all steps, or ``constant``.
        num_random: random sub-networks per step besides the largest and the smallest (sandwich rule).
        resolution_per_step: every sub-network of a step runs at one resolution drawn for the step
            (the largest and the smallest at that resolution, the teacher too: once-for-all's
            elastic resolution); false: the largest at the highest resolution, the smallest at the
            lowest, the random ones each at its own draw (supernets trained before this option).
        distill, distill_temperature: the other sub-networks learn from the largest one's soft
            predictions (1: only them, 0: only the labels; in-place distillation).
        kernel_transform: smaller kernels are a learned linear map of the larger kernel's centre
            (once-for-all); false: the plain centre.
        zero_init_residual: every residual block's last batch-norm scale starts at zero, so a
            stage with more blocks starts out computing what its first blocks compute (BigNAS):
            the shallow sub-networks inherit better weights to fine-tune, but the supernet did not
            rank sub-networks better on the benchmark; false (the default): the usual one.
        sort_channels: re-order expanded channels by importance at every epoch's start.
        progressive: progressive shrinking (largest only, then elastic kernel, depth, expansion).
        width: the one width multiplier the supernet is trained for (default: the space's largest).
        precision: ``fp32``, ``bf16`` or ``fp16`` (training and scoring).
        device: ``auto``, ``cpu``, ``cuda``, ``cuda:N``; a process_pool worker uses its own device.
        data_parallel: ``auto`` trains on every visible GPU (one process each) when ``device`` is
            a GPU; ``off``: one device.
        torch_threads: intra-op threads while training and scoring.
        checkpoint_every: steps between checkpoints (besides one per epoch; 0: per epoch only).
        seed: weights, batch order, sub-network draws, calibration samples.
    """

    def __init__(self, path: str, dataset: Any = None, calibration_batches: int = 8,
                 calibration_batch_size: Optional[int] = None, final_training: str = "finetune",
                 finetune_lr: Optional[float] = None, epochs: int = 4, batch_size: int = 64, optimizer: str = "adam",
                 lr: float = 3e-3, final_lr: Optional[float] = None, lr_schedule: str = "cosine",
                 momentum: float = 0.9, weight_decay: float = 0.0, num_random: int = 2,
                 resolution_per_step: bool = True, distill: float = 1.0, distill_temperature: float = 1.0, kernel_transform: bool = True,
                 zero_init_residual: bool = False, sort_channels: bool = True,
                 progressive: bool = False, width: Optional[float] = None, precision: str = "fp32",
                 device: str = "auto", data_parallel: str = "auto", torch_threads: Optional[int] = 1,
                 checkpoint_every: int = 50, seed: int = 1, base_dir: Optional[str] = None) -> None:
        if not isinstance(path, str) or not path:
            raise ValueError(f"path must be the folder of a trained supernet, got {path!r}")
        if dataset is not None and not all(hasattr(dataset, m) for m in ("get_train", "get_val", "num_classes")):
            raise ValueError(f"dataset must be a dataset provider, got {type(dataset).__name__}")
        self.settings = SupernetSettings.checked(
            epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr, final_lr=final_lr,
            lr_schedule=lr_schedule, momentum=momentum, weight_decay=weight_decay, num_random=num_random,
            resolution_per_step=resolution_per_step,
            distill=distill, distill_temperature=distill_temperature, kernel_transform=kernel_transform,
            zero_init_residual=zero_init_residual,
            sort_channels=sort_channels, progressive=progressive, width=width, precision=precision, seed=seed,
            device=device, torch_threads=torch_threads, checkpoint_every=checkpoint_every,
            data_parallel=data_parallel)
        self.device = check_device("device", device)
        self.calibration_batches = check_int("calibration_batches", calibration_batches, 1)
        self.calibration_batch_size = check_int("calibration_batch_size", calibration_batch_size
                                                if calibration_batch_size is not None else batch_size, 2)
        self.final_training = check_choice("final_training", final_training, FINAL_TRAINING)
        self.finetune_lr = None if finetune_lr is None else check_number("finetune_lr", finetune_lr, 0, low_open=True)
        self.seed = int(seed)
        self.dataset = dataset
        self.path = path if os.path.isabs(path) or base_dir is None else os.path.join(base_dir, path)
        self.meta = files.read_meta(self.path)
        self._check_meta()
        self._supernet = None
        self._cache = None

    # ---- the supernet and the data ---------------------------------------------------------------
    def provider(self):
        if self.dataset is None:
            from nas_kernel.components import build_component

            self.dataset = build_component("datasets", "digits", seed=self.seed)
        return self.dataset

    def training_data(self):
        """The provider this evaluator reads: the space takes its sizes from it (``nas_kernel.data_fit``)."""
        return self.provider()

    def _check_meta(self) -> None:
        diff = identity_differences(self.meta.get("settings", {}), self.settings.identity())
        if diff:
            raise ValueError(f"the supernet in {self.path!r} was trained with other settings: {'; '.join(diff)}. "
                             "Train it for this experiment (nas supernet train) or give its settings here")
        if self.dataset is not None:
            from nas_kernel.api.dataset import input_shape

            data = {"num_classes": int(self.dataset.num_classes), "input_shape": list(input_shape(self.dataset))}
            if self.meta.get("data") != data:
                raise ValueError(f"the supernet in {self.path!r} was trained on data with {self.meta.get('data')}, "
                                 f"this dataset has {data}")

    @property
    def config(self):
        from nas_edge.supernet.config import SupernetConfig

        return SupernetConfig.from_dict(self.meta["config"])

    def supernet(self):
        """The trained supernet, loaded once per process (evaluation mode, on this process's device)."""
        if self._supernet is None:
            from nas_edge.supernet.elastic import ElasticMobileNet

            blob = files.read_weights(self.path)
            net = ElasticMobileNet(self.config, bool(blob["settings"].get("kernel_transform", True)))
            try:
                net.load_state_dict(blob["state"])
            except RuntimeError as exc:
                raise ValueError(f"{self.path}: weights do not fit the supernet it describes "
                                 f"({str(exc).splitlines()[0]})") from None
            self._supernet = net.eval()
            LOADS[0] += 1
        return self._supernet

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_supernet"], state["_cache"] = None, None  # loaded again, once, where it is used
        return state

    def _data(self, device: str):
        """``(calibration batches, validation split)`` on ``device``, kept for the next candidate."""
        if self._cache is None or self._cache[0] != device:
            from nas_edge.supernet.bn_calibration import calibration_indices

            data = self.provider()
            X, _ = data.get_train()
            pick = calibration_indices(len(X), self.calibration_batches, self.calibration_batch_size, self.seed)
            size = self.calibration_batch_size
            batches = [X[pick[i:i + size]].to(device) for i in range(0, len(pick), size) if len(pick[i:i + size]) > 1]
            Xv, yv = data.get_val()
            self._cache = (device, batches, (Xv.to(device), yv.to(device)))
        return self._cache[1], self._cache[2]

    # ---- checks ---------------------------------------------------------------------------------
    def arch_of(self, model: ArchaiModel):
        """The candidate's architecture; ValueError saying why the supernet cannot score it."""
        from nas_edge.mobilenet_arch import parse_archid

        arch = parse_archid(model.archid)
        try:
            self.config.check_arch(arch)
        except ValueError as exc:
            raise ValueError(f"{model.archid}: {exc} (supernet {self.path!r})") from None
        return arch

    def check_fits(self, model: ArchaiModel) -> None:
        """Before the search: the space's frame (stage table, stem and head widths, input channels,
        classes) must be the supernet's (``DataMismatch``, one exit-2 line, otherwise)."""
        from nas_kernel.data_fit import DataMismatch
        from nas_edge.mobilenet_arch import parse_archid

        config, net = self.config, model.arch
        try:
            parse_archid(model.archid)
        except ValueError as exc:
            raise DataMismatch(f"the supernet in {self.path!r} holds mobilenet networks only: {exc}") from None
        table, specs = getattr(net, "table", None), getattr(net, "specs", None)
        if table is None or specs is None:
            raise DataMismatch(f"the supernet in {self.path!r} holds mobilenet networks only")
        differ = []
        if table != config.table:
            differ.append(f"stage table {table.to_dict()} (the supernet's: {config.table.to_dict()})")
        if specs[0].in_channels != config.in_channels:
            differ.append(f"in_channels {specs[0].in_channels} (the supernet's: {config.in_channels})")
        if specs[-1].out_channels != config.num_classes:
            differ.append(f"num_classes {specs[-1].out_channels} (the supernet's: {config.num_classes})")
        if differ:
            raise DataMismatch(f"the supernet in {self.path!r} was trained for another configuration of the space: "
                               + "; ".join(differ))

    # ---- scoring --------------------------------------------------------------------------------
    def inherited(self, model: ArchaiModel, device: str = "cpu"):
        """The candidate's network with its inherited weights and recalibrated batch norm (eval mode)."""
        from nas_edge.supernet.bn_calibration import recalibrate_bn

        arch = self.arch_of(model)
        net = self.supernet().extract(arch).to(device)
        batches, _ = self._data(device)
        recalibrate_bn(net, batches)
        return net.eval()

    @overrides
    def evaluate(self, arch: ArchaiModel, budget: Optional[float] = None) -> float:
        import torch

        from nas_edge.supernet.scoring import accuracy

        model, device = arch, placed(self.device)
        started = time.perf_counter()
        before = torch.get_num_threads()
        if self.settings.torch_threads is not None:
            torch.set_num_threads(self.settings.torch_threads)
        try:
            net = self.inherited(model, device)
            _, val = self._data(device)
            score = accuracy(net, val, device, self.settings.precision)
        finally:
            torch.set_num_threads(before)
        model.metadata.update({"supernet": self.path, "device": device, "supernet_loads": LOADS[0],
                               "eval_seconds": round(time.perf_counter() - started, 4)})
        return float(score)

    # ---- nas train-best -------------------------------------------------------------------------
    def train_final(self, model: ArchaiModel, epochs: int, device: Optional[str] = None):
        """``(validation accuracy, trained model)``: the sub-network fine-tuned from its inherited
        weights for ``epochs`` (``final_training: finetune``) or trained from fresh weights
        (``scratch``)."""
        import torch

        from nas_edge.mobilenet_network import MobileNetNetwork
        from nas_edge.supernet.finetune import train_network
        from nas_edge.supernet.scoring import accuracy

        device = placed(self.device if device is None else check_device("--device", device))
        arch, s = self.arch_of(model), self.settings
        if self.final_training == "finetune":
            net = self.inherited(model, "cpu")
            lr = self.finetune_lr or s.lr / 10
        else:
            config = self.config
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(s.seed)
                net = MobileNetNetwork(arch, config.table, config.in_channels, config.num_classes, config.dropout)
            lr = self.finetune_lr or s.lr
        before = torch.get_num_threads()
        if s.torch_threads is not None:
            torch.set_num_threads(s.torch_threads)
        try:
            net = train_network(net, self.provider(), epochs=int(epochs), lr=lr, batch_size=s.batch_size, seed=s.seed,
                                device=device, precision=s.precision)
            score = accuracy(net, self.provider().get_val(), device, s.precision)
        finally:
            torch.set_num_threads(before)
        trained = ArchaiModel(arch=net.eval(), archid=model.archid,
                              metadata={"device": device, "final_training": self.final_training, "supernet": self.path})
        return float(score), trained
