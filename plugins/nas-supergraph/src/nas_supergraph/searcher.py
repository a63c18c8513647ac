"""One supergraph search from its config section (``conf_search``, schema
``nas_supergraph.conf.RUNNER['nas']['search']``): build the supergraph description, train it
with the trainer class (architecture weights on one part of the training data, weights on the
other), finalize it into a discrete description, optionally train that (``post_train``), and
save it as ``final_desc_filename``.

A finished search is read back when it was made with the same settings and data; one made
with others is refused, so a changed config never silently reuses an old result.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import torch

from nas_kernel.api.overridable import OpenOverrides

from nas_supergraph.checkpoint import fingerprint
from nas_supergraph.conf import arch_trainer_conf
from nas_supergraph.data import DataLoaders, UsesDataset, describe, split
from nas_supergraph.finalizers import Finalizers
from nas_supergraph.model import Model
from nas_supergraph.model_desc import ModelDesc
from nas_supergraph.nas_utils import create_checkpoint

Metrics = Dict[str, Any]
EpochCallback = Callable[[str, int, Dict[str, float]], None]


@dataclass
class SearchResult(OpenOverrides):
    """The searched (discrete) description, the search's last-epoch metrics and, when the
    description was trained after the search, its metrics (None when not, or when read back)."""

    model_desc: Optional[ModelDesc]
    search_metrics: Optional[Metrics]
    train_metrics: Optional[Metrics]


class Searcher(UsesDataset):
    """``dataset``: a provider, a registered name or ``{name, params}`` (default ``digits``);
    ``seed`` seeds the data split, the architecture weights' start and the batch order."""

    epoch_callbacks: List[EpochCallback]

    def search(self, conf_search: Dict[str, Any], model_desc_builder: Any, trainer_class: Optional[Type[Any]],
               finalizers: Finalizers) -> SearchResult:
        conf_md = conf_search["model_desc"]
        model_desc = self.build_model_desc(model_desc_builder, conf_md, conf_md["n_reductions"], conf_md["n_cells"],
                                           conf_md["cell"]["n_nodes"])
        path = conf_search["final_desc_filename"]
        key = self.search_fingerprint(conf_search, model_desc, trainer_class, finalizers)
        if os.path.exists(path):
            done = ModelDesc.load(path)
            if done.params.get("search_fingerprint") != key:
                raise ValueError(f"{path} was searched with a different config; remove it or use another "
                                 "experiment directory")
            return SearchResult(done, None, None)
        final_desc, search_metrics = self.search_model_desc(conf_search, model_desc, trainer_class, finalizers)
        final_desc.params["search_fingerprint"] = key
        train_metrics = self.train_model_desc(final_desc, (conf_search.get("post_train") or {}).get("trainer"))
        result = SearchResult(final_desc, search_metrics, train_metrics)
        self.clean_log_result(conf_search, result)
        return result

    def clean_log_result(self, conf_search: Dict[str, Any], search_result: SearchResult) -> None:
        """Save the searched description (atomically) where the evaluation will look for it."""
        path = conf_search["final_desc_filename"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        search_result.model_desc.save(tmp)
        os.replace(tmp, path)

    def build_model_desc(self, model_desc_builder: Any, conf_model_desc: Dict[str, Any], reductions: int,
                         cells: int, nodes: int) -> ModelDesc:
        """The supergraph at these macro values (``SearchCombinations`` varies them)."""
        conf = copy.deepcopy(conf_model_desc)
        if (reductions, cells) != (conf.get("n_reductions"), conf.get("n_cells")):
            conf["reductions"] = None  # explicit positions belong to the configured depth
        conf["n_reductions"], conf["n_cells"] = reductions, cells
        conf.setdefault("cell", {})["n_nodes"] = nodes
        return model_desc_builder.build(conf)

    def get_data(self, conf_loader: Dict[str, Any]) -> DataLoaders:
        """The training data split in two seeded parts (``val_ratio`` of it for the alphas)."""
        return split(self.provider(), conf_loader.get("val_ratio", 0.5), self.seed)

    def finalize_model(self, model: Model, finalizers: Finalizers) -> ModelDesc:
        return finalizers.finalize_model(model)

    def search_model_desc(self, conf_search: Dict[str, Any], model_desc: ModelDesc,
                          trainer_class: Optional[Type[Any]], finalizers: Finalizers
                          ) -> Tuple[ModelDesc, Optional[Metrics]]:
        """Train the supergraph (not at all when ``trainer_class`` is None: the random baseline)
        and finalize it; the searched alphas are recorded in ``params['alphas']``."""
        torch.manual_seed(self.seed)
        model = Model(model_desc, droppath=False, affine=False)
        metrics = None
        algorithm = "random"
        if trainer_class is not None:
            conf_train = self.trainer_conf(conf_search)
            checkpoint = create_checkpoint(conf_search.get("checkpoint"), self.resume)
            trainer = trainer_class(conf_train, model, checkpoint)
            trainer.epoch_callbacks.extend(lambda epoch, info, cb=cb: cb("search", epoch, info)
                                           for cb in self.epoch_callbacks)
            metrics = trainer.fit(self.get_data(conf_search["loader"]), seed=self.seed)
            algorithm = conf_train["algorithm"]
            model = model.to("cpu")
        final = self.finalize_model(model, finalizers)
        final.params["algorithm"] = algorithm
        final.params["alphas"] = {k: [[round(float(v), 6) for v in row] for row in a.tolist()]
                                  for k, a in model.alphas().items()}
        return final, metrics

    def train_model_desc(self, model_desc: ModelDesc, conf_train: Optional[Dict[str, Any]]) -> Optional[Metrics]:
        """Train the searched description (``post_train``); None when it asks for no epochs."""
        if not conf_train or not conf_train.get("epochs"):
            return None
        from nas_supergraph.evaluater import Evaluater

        evaluater = Evaluater(self.provider(), self.seed)
        return evaluater.train_model(conf_train, Model(model_desc, droppath=True, affine=True), None)

    # ---- helpers -----------------------------------------------------------------------------
    @staticmethod
    def trainer_conf(conf_search: Dict[str, Any]) -> Dict[str, Any]:
        conf_train = arch_trainer_conf(conf_search["trainer"], "nas.search.trainer")
        if (conf_search.get("loader") or {}).get("train_batch"):
            conf_train["batch_size"] = conf_search["loader"]["train_batch"]
        return conf_train

    def search_fingerprint(self, conf_search: Dict[str, Any], model_desc: ModelDesc,
                           trainer_class: Optional[Type[Any]], finalizers: Finalizers) -> str:
        conf_train = None if trainer_class is None else self.trainer_conf(conf_search)
        material = {"seed": self.seed, "data": list(describe(self.provider())),
                    "trainer": conf_train and {k: v for k, v in conf_train.items() if k != "device"},
                    "trainer_class": None if trainer_class is None else trainer_class.__qualname__,
                    "finalizers": [type(finalizers).__qualname__, getattr(finalizers, "edges_per_node", None)],
                    "val_ratio": conf_search["loader"].get("val_ratio")}
        return fingerprint(material, model_desc)
