"""The one config schema of the supergraph classes, and its validator.

Archai's supergraph classes read a config (``conf_model_desc``, ``conf_train``, the runner's
YAML file); here a config is a plain mapping, as ``yaml.safe_load`` gives it, with the key names
those classes read. ``validate`` fills defaults and refuses anything else with one
``ValueError`` naming the key (``nas.search.trainer.epochs must be an integer >= 1, got 0``), so
a typo never runs silently with a default. Every entry point (``ModelDescBuilder.build``,
``ArchTrainer``, ``Evaluater``, ``ExperimentRunner``, the ``darts``/``gdas`` searchers) checks
through here: nothing is validated twice or in two ways.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Mapping, Optional

from nas_kernel.toolbox.devices import check_device, check_precision
from nas_kernel.toolbox.params import check_choice, check_int, check_number

PRIMITIVES = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5", "none"]


class Free(dict):
    """A mapping whose keys are the user's (``params``): copied, not checked."""


def _int(minimum: Optional[int] = None, maximum: Optional[int] = None, optional: bool = False) -> Callable:
    def check(name, value):
        return None if optional and value is None else check_int(name, value, minimum, maximum)
    return check


def _num(minimum: Optional[float] = None, maximum: Optional[float] = None, low_open: bool = False) -> Callable:
    return lambda name, value: check_number(name, value, minimum, maximum, low_open=low_open)


def _choice(*choices: Any) -> Callable:
    return lambda name, value: check_choice(name, value, choices)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _str(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _opt_str(name: str, value: Any) -> Optional[str]:
    return None if value is None else _str(name, value)


def _op_names(name: str, value: Any) -> list:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{name} must be a non-empty list of op names, got {value!r}")
    return list(value)


def _names(name: str, value: Any) -> list:
    if len(set(_op_names(name, value))) != len(value):
        raise ValueError(f"{name} must not repeat an op, got {value!r}")
    return list(value)


def _opt_ints(name: str, value: Any) -> Optional[list]:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list of cell indices or null, got {value!r}")
    return sorted({check_int(f"{name}[{i}]", v, 0) for i, v in enumerate(value)})


def _betas(name: str, value: Any) -> list:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{name} must be a list of two numbers, got {value!r}")
    return [check_number(f"{name}[{i}]", v, 0.0, 1.0) for i, v in enumerate(value)]


def _genotype(name: str, value: Any) -> Any:
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{name} must be a mapping of cell type to nodes or null, got {type(value).__name__}")
    return value


def _device(name: str, value: Any) -> str:
    check_device(name, value)  # refuses 'cuda' without a GPU now, at config time
    return value


#: ``(default, check)`` leaves and nested sections; see the module docstring
MODEL_DESC: Dict[str, Any] = {
    "n_cells": (8, _int(1)),
    "n_reductions": (2, _int(0)),
    "reductions": (None, _opt_ints),
    "dataset": {"channels": (None, _int(1, optional=True)), "n_classes": (None, _int(2, optional=True))},
    "max_final_edges": (2, _int(1)),
    "model_post_op": ("pool_adaptive_avg2d", _str),
    "logits_op": ("linear", _str),
    "params": Free(),
    "aux_weight": (0.0, _num(0.0)),
    "aux_tower_stride": (3, _int(1)),
    "model_stems": {"ops": (["stem_conv3x3", "stem_conv3x3"], _op_names), "init_node_ch": (16, _int(1)),
                    "stem_multiplier": (3, _int(1))},
    "cell": {"n_nodes": (4, _int(1)), "cell_post_op": ("concate_channels", _choice("concate_channels", "proj_channels")),
             "ops": (list(PRIMITIVES), _names), "out_nodes": (None, _int(1, optional=True))},
    "genotype": (None, _genotype),
}

OPTIMIZER = {"lr": (0.025, _num(0.0, low_open=True)), "decay": (3e-4, _num(0.0)), "momentum": (0.9, _num(0.0, 1.0))}

TRAINER: Dict[str, Any] = {
    "epochs": (2, _int(0)),
    "batch_size": (64, _int(1)),
    "grad_clip": (5.0, _num(0.0, low_open=True)),
    "drop_path_prob": (0.0, _num(0.0, 0.999)),
    "aux_weight": (0.0, _num(0.0)),
    "optimizer": OPTIMIZER,
    "lr_schedule": {"type": ("cosine", _choice("cosine")), "min_lr": (0.001, _num(0.0))},
    "device": ("auto", _device),
    "precision": ("fp32", check_precision),
}

ARCH_TRAINER: Dict[str, Any] = {
    **TRAINER,
    "algorithm": ("darts", _choice("darts", "gdas")),
    "second_order": (False, _bool),
    "alpha_optimizer": {"lr": (3e-3, _num(0.0, low_open=True)), "decay": (1e-3, _num(0.0)),
                        "betas": ([0.5, 0.999], _betas)},
    "tau_max": (10.0, _num(0.0, low_open=True)),
    "tau_min": (0.1, _num(0.0, low_open=True)),
}

EVAL_TRAINER: Dict[str, Any] = {**TRAINER, "epochs": (5, _int(0)),
                                "optimizer": {**OPTIMIZER, "lr": (0.05, _num(0.0, low_open=True))},
                                "lr_schedule": {"type": ("cosine", _choice("cosine")), "min_lr": (0.0, _num(0.0))}}

RUNNER: Dict[str, Any] = {
    "common": {"seed": (1, _int()), "logdir": ("runs", _str), "resume": (True, _bool)},
    "dataset": {"name": ("digits", _str), "params": Free()},
    "nas": {
        "search": {
            "finalizer": ("default", _choice("default", "random")),
            "model_desc": MODEL_DESC,
            "loader": {"train_batch": (None, _int(1, optional=True)), "val_ratio": (0.5, _num(0.0, 1.0, low_open=True))},
            "trainer": ARCH_TRAINER,
            "full_desc_filename": ("$expdir/full_model_desc.yaml", _str),
            "final_desc_filename": ("$expdir/final_model_desc.yaml", _str),
            "checkpoint": {"filename": ("$expdir/search_checkpoint.pt", _opt_str)},
            "post_train": {"trainer": {**EVAL_TRAINER, "epochs": (0, _int(0))}},
            "pareto": {"enabled": (False, _bool), "max_cells": (8, _int(1)), "max_reductions": (2, _int(0)),
                       "max_nodes": (4, _int(1)), "summary_filename": ("$expdir/pareto.tsv", _str)},
        },
        "eval": {
            "model_desc": MODEL_DESC,
            "loader": {"train_batch": (None, _int(1, optional=True))},
            "trainer": EVAL_TRAINER,
            "final_desc_filename": ("$expdir/final_model_desc.yaml", _str),
            "full_desc_filename": ("$expdir/full_model_desc.yaml", _str),
            "metric_filename": ("$expdir/eval_train_metrics.yaml", _str),
            "checkpoint": {"filename": ("$expdir/eval_checkpoint.pt", _opt_str)},
        },
    },
}


def validate(conf: Any, schema: Mapping[str, Any], path: str = "") -> Dict[str, Any]:
    """``conf`` with defaults filled in; ValueError naming the first wrong key."""
    where = path or "config"
    if conf is None:
        conf = {}
    if not isinstance(conf, Mapping):
        raise ValueError(f"{where} must be a mapping, got {type(conf).__name__}")
    unknown = [k for k in conf if k not in schema]
    if unknown:
        key = f"{path}.{unknown[0]}" if path else str(unknown[0])
        hint = " (Archai's _copy/__include__ references are not supported: write the value)" \
            if str(unknown[0]).startswith("_") else ""
        raise ValueError(f"unknown config key {key!r}{hint}; expected one of {', '.join(schema)}")
    out: Dict[str, Any] = {}
    for key, spec in schema.items():
        name = f"{path}.{key}" if path else key
        if isinstance(spec, Free):
            value = conf.get(key) or {}
            if not isinstance(value, Mapping):
                raise ValueError(f"{name} must be a mapping, got {type(value).__name__}")
            out[key] = copy.deepcopy(dict(value))
        elif isinstance(spec, dict):
            out[key] = validate(conf.get(key), spec, name)
        else:
            default, check = spec
            out[key] = check(name, conf[key]) if key in conf else copy.deepcopy(default)
    return out


def model_desc_conf(conf: Any, path: str = "model_desc") -> Dict[str, Any]:
    return validate(conf, MODEL_DESC, path)


def arch_trainer_conf(conf: Any, path: str = "trainer") -> Dict[str, Any]:
    out = validate(conf, ARCH_TRAINER, path)
    if out["second_order"] and out["algorithm"] != "darts":
        raise ValueError(f"{path}.second_order applies to darts only, not {out['algorithm']!r}")
    if out["epochs"] < 1:
        raise ValueError(f"{path}.epochs must be >= 1 for a search, got {out['epochs']}")
    return out


def eval_trainer_conf(conf: Any, path: str = "trainer") -> Dict[str, Any]:
    return validate(conf, EVAL_TRAINER, path)


def runner_conf(conf: Any, source: str = "config") -> Dict[str, Any]:
    out = validate(conf, RUNNER)
    arch_trainer_conf(out["nas"]["search"]["trainer"], "nas.search.trainer")
    return out
