"""Search, then evaluate, from one config: build the supergraph, train it with an
``ArchTrainer``, finalize it into a discrete ``ModelDesc``, and train that with an ``Evaluater``.

Everything lands in ``output_dir``: ``config.yaml``, ``search/checkpoint.pt`` (after every
search epoch), ``search/final_model_desc.yaml``, ``eval/checkpoint.pt`` (after every training
epoch, removed once ``eval/result.yaml`` is written). Running again with the same config
continues where a killed run stopped: a finished phase is read back, an unfinished one resumes
from its checkpoint (loaded with ``weights_only=True``). A search checkpoint or searched desc
from a different config is refused; a finished evaluation with other settings is redone.

Config (all keys optional except ``output_dir``; unknown keys are errors)::

    seed: 1
    output_dir: runs/darts
    dataset: digits                      # or {name: synthetic, params: {...}}; or pass a provider
    model:  {init_channels: 8, n_cells: 2, n_nodes: 4, stem_multiplier: 3, ops: [...]}
    search: {algorithm: darts, epochs: 2, batch_size: 64, second_order: false, ...}
    eval:   {epochs: 5, batch_size: 64, lr: 0.05, init_channels: null, n_cells: null, ...}
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import random
from typing import Any, Callable, Dict, List

import torch

from nas_supergraph.arch_trainer import ArchTrainer
from nas_supergraph.checkpoint import Checkpoint
from nas_supergraph.data import describe, resolve_dataset
from nas_supergraph.descs import ModelDesc
from nas_supergraph.evaluater import Evaluater
from nas_supergraph.finalizers import Finalizers
from nas_supergraph.model import Model
from nas_supergraph.model_desc_builder import ModelDescBuilder
from nas_supergraph.op_lookup import use_plugin_manager
from nas_supergraph.ops import PRIMITIVES

SEARCH_ALGORITHMS = ("darts", "gdas", "random")
DEFAULTS: Dict[str, Any] = {
    "seed": 1,
    "output_dir": None,
    "dataset": None,
    "model": {"init_channels": 8, "n_cells": 2, "n_nodes": 4, "out_nodes": None, "stem_multiplier": 3,
              "reductions": None, "ops": list(PRIMITIVES)},
    "search": {"algorithm": "darts", "epochs": 2, "batch_size": 64, "second_order": False, "w_lr": 0.025,
               "w_lr_min": 0.001, "w_momentum": 0.9, "w_weight_decay": 3e-4, "alpha_lr": 3e-3,
               "alpha_weight_decay": 1e-3, "grad_clip": 5.0, "tau_max": 10.0, "tau_min": 0.1,
               "edges_per_node": 2},
    "eval": {"epochs": 5, "batch_size": 64, "lr": 0.05, "lr_min": 0.0, "momentum": 0.9, "weight_decay": 3e-4,
             "grad_clip": 5.0, "drop_path_prob": 0.0, "aux_weight": 0.0, "aux_tower": False,
             "init_channels": None, "n_cells": None},
}
EpochCallback = Callable[[str, int, Dict[str, float]], None]


def merge_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """Defaults filled in; ValueError naming any unknown key."""
    if not isinstance(config, dict):
        raise ValueError(f"config must be a mapping, got {type(config).__name__}")
    merged = copy.deepcopy(DEFAULTS)
    for key, value in config.items():
        if key not in DEFAULTS:
            raise ValueError(f"unknown config key {key!r}; expected one of {', '.join(DEFAULTS)}")
        if isinstance(DEFAULTS[key], dict):
            if not isinstance(value, dict):
                raise ValueError(f"config key {key!r} must be a mapping")
            for sub, subvalue in value.items():
                if sub not in DEFAULTS[key]:
                    raise ValueError(f"unknown config key '{key}.{sub}'; expected one of {', '.join(DEFAULTS[key])}")
                merged[key][sub] = subvalue
        else:
            merged[key] = value
    if not merged["output_dir"]:
        raise ValueError("config key 'output_dir' is required")
    if merged["search"]["algorithm"] not in SEARCH_ALGORITHMS:
        raise ValueError(f"config key 'search.algorithm' must be one of {SEARCH_ALGORITHMS}, "
                         f"got {merged['search']['algorithm']!r}")
    return merged


class ExperimentRunner:
    """Runs one search-then-eval experiment; see the module docstring for the config."""

    def __init__(self, config: Dict[str, Any], dataset: Any = None, plugin_manager: Any = None) -> None:
        self.config = merge_config(config)
        self.plugin_manager = plugin_manager
        self._dataset = dataset
        self.epoch_callbacks: List[EpochCallback] = []
        self.output_dir = str(self.config["output_dir"])

    @classmethod
    def from_yaml(cls, path: str, **kwargs) -> "ExperimentRunner":
        import yaml

        with open(path, "r", encoding="utf-8") as f:
            return cls(yaml.safe_load(f), **kwargs)

    # ---- parts (override to change one) -------------------------------------------------------
    @property
    def dataset(self) -> Any:
        if self._dataset is None or not hasattr(self._dataset, "get_train"):
            self._dataset = resolve_dataset(self._dataset or self.config["dataset"], self.config["seed"],
                                            self.plugin_manager)
        return self._dataset

    def model_desc_builder(self, phase: str = "search") -> ModelDescBuilder:
        in_channels, num_classes = describe(self.dataset)
        m = self.config["model"]
        params = {"in_channels": in_channels, "num_classes": num_classes, "init_channels": m["init_channels"],
                  "n_cells": m["n_cells"], "n_nodes": m["n_nodes"], "out_nodes": m["out_nodes"],
                  "stem_multiplier": m["stem_multiplier"], "reductions": m["reductions"]}
        if phase == "eval":
            e = self.config["eval"]
            if e["n_cells"] is not None:
                params["n_cells"], params["reductions"] = e["n_cells"], None
            if e["init_channels"] is not None:
                params["init_channels"] = e["init_channels"]
            params["aux_tower"] = bool(e["aux_tower"])
        return ModelDescBuilder(**params)

    def arch_trainer(self, model: Model) -> ArchTrainer:
        s = self.config["search"]
        return ArchTrainer(model, algorithm=s["algorithm"], second_order=s["second_order"], epochs=s["epochs"],
                           w_lr=s["w_lr"], w_lr_min=s["w_lr_min"], w_momentum=s["w_momentum"],
                           w_weight_decay=s["w_weight_decay"], alpha_lr=s["alpha_lr"],
                           alpha_weight_decay=s["alpha_weight_decay"], grad_clip=s["grad_clip"],
                           tau_max=s["tau_max"], tau_min=s["tau_min"])

    def finalizers(self) -> Finalizers:
        return Finalizers(self.config["search"]["edges_per_node"])

    def evaluater(self) -> Evaluater:
        e = self.config["eval"]
        return Evaluater(epochs=e["epochs"], batch_size=e["batch_size"], lr=e["lr"], lr_min=e["lr_min"],
                         momentum=e["momentum"], weight_decay=e["weight_decay"], grad_clip=e["grad_clip"],
                         drop_path_prob=e["drop_path_prob"], aux_weight=e["aux_weight"], seed=self.config["seed"])

    # ---- paths -------------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        return os.path.join(self.output_dir, *parts)

    @property
    def final_desc_path(self) -> str:
        return self.path("search", "final_model_desc.yaml")

    @property
    def result_path(self) -> str:
        return self.path("eval", "result.yaml")

    # ---- running -----------------------------------------------------------------------------
    def run(self, search: bool = True, eval: bool = True) -> Dict[str, Any]:
        """Search (or read the searched desc), then evaluate it; returns what was produced."""
        os.makedirs(self.output_dir, exist_ok=True)
        self._save_config()
        out: Dict[str, Any] = {}
        with use_plugin_manager(self.plugin_manager):
            if search or not os.path.exists(self.final_desc_path):
                out["final_desc"] = self.run_search()
            else:
                out["final_desc"] = ModelDesc.load(self.final_desc_path)
            if eval:
                out.update(self.run_eval(out["final_desc"]))
        return out

    def run_search(self) -> ModelDesc:
        """The searched discrete desc, from disk when a previous run finished the search."""
        fingerprint = self._fingerprint("search")
        if os.path.exists(self.final_desc_path):
            desc = ModelDesc.load(self.final_desc_path)
            if desc.params.get("search_fingerprint") != fingerprint:
                raise ValueError(f"{self.final_desc_path} was searched with a different config; "
                                 "remove it or use another output_dir")
            return desc
        s, seed = self.config["search"], self.config["seed"]
        builder = self.model_desc_builder("search")
        ops = list(self.config["model"]["ops"])
        if s["algorithm"] == "random":
            desc = builder.build(builder.random_genotype(random.Random(seed), ops, s["edges_per_node"]))
            desc.params.update({"algorithm": "random", "search_fingerprint": fingerprint})
            return self._write_desc(desc)
        with use_plugin_manager(self.plugin_manager):
            torch.manual_seed(seed)
            model = Model(builder.build_search(ops), affine=False)
            trainer = self.arch_trainer(model)
            checkpoint = Checkpoint(self.path("search", "checkpoint.pt"))
            start, state = 0, checkpoint.load()
            if state is not None:
                self._check_fingerprint(state, fingerprint, checkpoint)
                model.load_state_dict(state["model"])
                trainer.load_state_dict(state["trainer"])
                torch.set_rng_state(state["rng"])
                start = int(state["epoch"])
            train, val = self._search_halves()
            for epoch in range(start, s["epochs"]):
                info = trainer.train_epoch(epoch, train, val, s["batch_size"], seed)
                checkpoint.save({"fingerprint": fingerprint, "epoch": epoch + 1, "model": model.state_dict(),
                                 "trainer": trainer.state_dict(), "rng": torch.get_rng_state()})
                self._epoch_end("search", epoch, info)
            desc = self.finalizers().finalize_model(model)
        desc.params.update({"algorithm": s["algorithm"], "search_fingerprint": fingerprint})
        desc.params["alphas"] = {k: [[round(float(v), 6) for v in row] for row in a.tolist()]
                                 for k, a in model.alphas().items()}
        return self._write_desc(desc)

    def run_eval(self, desc: ModelDesc) -> Dict[str, Any]:
        """Train the final model (at the eval macro parameters); cached in ``eval/result.yaml``."""
        import yaml

        final = self.model_desc_builder("eval").build(desc)
        run_key = f"{final.archid()}/{self._fingerprint('eval')}"
        if os.path.exists(self.result_path):
            with open(self.result_path, "r", encoding="utf-8") as f:
                saved = yaml.safe_load(f)
            if isinstance(saved, dict) and saved.get("run_key") == run_key:
                return {"val_acc": saved["val_acc"], "eval_desc": final, "archid": saved["archid"]}
        os.makedirs(self.path("eval"), exist_ok=True)
        final.save(self.path("eval", "model_desc.yaml"))
        result = self.evaluater().train(final, self.dataset, Checkpoint(self.path("eval", "checkpoint.pt")),
                                        on_epoch_end=lambda epoch, info: self._epoch_end("eval", epoch, info),
                                        run_key=run_key)
        summary = {"archid": final.archid(), "run_key": run_key, "val_acc": float(result["val_acc"]),
                   "train_loss": float(result["train_loss"]), "epochs": int(result["epochs"])}
        tmp = self.result_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            yaml.safe_dump(summary, f, sort_keys=False)
        os.replace(tmp, self.result_path)
        Checkpoint(self.path("eval", "checkpoint.pt")).remove()  # the result is the record now
        return {"val_acc": summary["val_acc"], "eval_desc": final, "archid": final.archid(), "model": result["model"]}

    # ---- internals ---------------------------------------------------------------------------
    def _search_halves(self):
        """Split the training data in two seeded halves: weights learn on one, alphas on the other."""
        X, y = self.dataset.get_train()
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(self.config["seed"]))
        half = len(y) // 2
        a, b = order[:half], order[half:]
        return (X[a], y[a]), (X[b], y[b])

    def _write_desc(self, desc: ModelDesc) -> ModelDesc:
        os.makedirs(os.path.dirname(self.final_desc_path), exist_ok=True)
        tmp = self.final_desc_path + ".tmp"
        desc.save(tmp)
        os.replace(tmp, self.final_desc_path)
        return desc

    def _epoch_end(self, phase: str, epoch: int, info: Dict[str, float]) -> None:
        for callback in self.epoch_callbacks:
            callback(phase, epoch, info)

    def _fingerprint(self, phase: str) -> str:
        material = {"seed": self.config["seed"], "model": self.config["model"], phase: self.config[phase],
                    "data": list(describe(self.dataset))}
        return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @staticmethod
    def _check_fingerprint(state: Dict[str, Any], fingerprint: str, checkpoint: Checkpoint) -> None:
        if state.get("fingerprint") != fingerprint:
            raise ValueError(f"checkpoint {checkpoint.path} was written by a different config; "
                             "remove it or use another output_dir")

    def _save_config(self) -> None:
        import yaml

        saved = {k: v for k, v in self.config.items() if k != "dataset" or not hasattr(v, "get_train")}
        if hasattr(self._dataset, "get_train") and saved.get("dataset") is None:
            saved["dataset"] = f"<{type(self._dataset).__name__} passed in code>"
        with open(self.path("config.yaml"), "w", encoding="utf-8") as f:
            yaml.safe_dump(saved, f, sort_keys=False)
