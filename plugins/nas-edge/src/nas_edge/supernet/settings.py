"""How a supernet is trained: the ``supernet`` evaluator's training parameters, checked once.

The experiment's ``supernet`` objective carries them, so ``nas supernet train`` and the search that
reads the trained supernet agree on what it is: a supernet trained with other settings is refused
by the evaluator (``identity()`` is compared), while where and how fast it ran (device, threads,
checkpoint interval) is not part of what it is.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional

from nas_kernel.toolbox.devices import check_device, check_precision
from nas_kernel.toolbox.params import check_choice, check_int, check_number

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")
#: fields that say where or how fast training ran, not what was trained
RUNTIME_FIELDS = ("device", "torch_threads", "checkpoint_every", "data_parallel")
#: fields added after supernets were first written, with the value that trains as before: left out
#: of the identity at that value, so a supernet trained before the field existed is still read
LATER_FIELDS = {"resolution_per_step": False, "zero_init_residual": False}


def identity_differences(found: Dict[str, Any], wanted: Dict[str, Any]) -> List[str]:
    """``"key found (the experiment says wanted)"`` for each setting the two identities disagree
    on, over the keys of both: a later field absent from one side stands for its old value, so a
    supernet trained with a later option on is refused by an experiment that leaves it off."""
    def value(identity: Dict[str, Any], key: str) -> Any:
        return identity[key] if key in identity else LATER_FIELDS.get(key)

    keys = list(wanted) + [k for k in found if k not in wanted]
    return [f"{k} {found.get(k)!r} (the experiment says {value(wanted, k)!r})" for k in keys
            if value(found, k) != value(wanted, k)]


@dataclass(frozen=True)
class SupernetSettings:
    """Training settings (see :class:`nas_edge.supernet.evaluator.SupernetEvaluator` for each)."""

    epochs: int = 4
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 3e-3
    final_lr: Optional[float] = None
    lr_schedule: str = "cosine"
    momentum: float = 0.9
    weight_decay: float = 0.0
    num_random: int = 2
    resolution_per_step: bool = True
    distill: float = 1.0
    distill_temperature: float = 1.0
    kernel_transform: bool = True
    zero_init_residual: bool = False
    sort_channels: bool = True
    progressive: bool = False
    width: Optional[float] = None
    precision: str = "fp32"
    seed: int = 1
    device: str = "auto"
    torch_threads: Optional[int] = 1
    checkpoint_every: int = 50
    data_parallel: str = "auto"

    @classmethod
    def checked(cls, **kwargs: Any) -> "SupernetSettings":
        """The settings, each checked (ValueError naming the parameter)."""
        s = cls(**kwargs)
        check_int("epochs", s.epochs, 1)
        check_int("batch_size", s.batch_size, 2)
        check_choice("optimizer", s.optimizer, OPTIMIZERS)
        check_number("lr", s.lr, 0, low_open=True)
        if s.final_lr is not None:
            check_number("final_lr", s.final_lr, 0, low_open=True)
        check_choice("lr_schedule", s.lr_schedule, SCHEDULES)
        check_number("momentum", s.momentum, 0, 0.999)
        check_number("weight_decay", s.weight_decay, 0)
        check_int("num_random", s.num_random, 0)
        check_number("distill", s.distill, 0, 1)
        check_number("distill_temperature", s.distill_temperature, 0, low_open=True)
        for name in ("kernel_transform", "zero_init_residual", "sort_channels", "progressive",
                     "resolution_per_step"):
            if not isinstance(getattr(s, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(s, name)!r}")
        if s.width is not None:
            check_number("width", s.width, 0, low_open=True)
        check_precision("precision", s.precision)
        check_int("seed", s.seed, 0)
        check_device("device", s.device)
        if s.torch_threads is not None:
            check_int("torch_threads", s.torch_threads, 1)
        check_int("checkpoint_every", s.checkpoint_every, 0)
        check_choice("data_parallel", s.data_parallel, ("auto", "off"))
        return s

    @property
    def end_lr(self) -> float:
        return self.lr / 100 if self.final_lr is None else self.final_lr

    def identity(self) -> Dict[str, Any]:
        """What the trained supernet is (compared when it is read back)."""
        return {k: v for k, v in asdict(self).items()
                if k not in RUNTIME_FIELDS and not (k in LATER_FIELDS and v == LATER_FIELDS[k])}

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)
